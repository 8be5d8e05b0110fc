"""A local OpenID Connect identity provider at Auth0's paths (the Auth0 sandbox).

Built on authlib's OAuth 2 / OIDC server (authorization code + PKCE + OpenID Connect) and joserfc
RS256 keys. Switching the app to a real Auth0 tenant changes only the domain:
`/.well-known/openid-configuration`, `/.well-known/jwks.json`, `/authorize`, `/oauth/token`,
`/userinfo`, `/v2/logout`, `/oidc/logout`. The issuer ends with a slash, as Auth0's does.

On a sign-up it POSTs the app's registration webhook with `x-auth0-secret`, as an Auth0 Action
would. `/_sandbox/...` are JSON control endpoints (users, switches, webhook deliveries).
"""

import secrets
import time
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo, UserInfoEndpoint
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, redirect, render_template, request, session
from joserfc import jwt
from joserfc.errors import JoseError

from .control import control
from .store import SIGNING_KID, AuthorizationCode, Client, IdentityStore, Token
from .webhooks import webhook_send

DEMO_USERS = [
    {"email": "alice@example.com", "name": "Alice Owner"},
    {"email": "bob@example.com", "name": "Bob Member"},
    {"email": "charlie@example.com", "name": "Charlie Stranger"},
    {"email": "root@example.com", "name": "Root Admin"},
]


def create_app(
    *, client_id="hopsmanaged-dev", client_secret="dev-client-secret", issuer=None,
    callback_urls=None, logout_urls=None, webhook_url=None, webhook_secret="",
    demo_users=None, secret_key=None,
):
    """The IdP as a Flask app. `issuer` None: taken from the request (`http://host:port/`)."""
    app = Flask(__name__)
    app.secret_key = secret_key or secrets.token_hex(16)
    app.config["SESSION_COOKIE_NAME"] = "auth0_sandbox_session"
    app.config["OAUTH2_SCOPES_SUPPORTED"] = ["openid", "profile", "email", "offline_access"]
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 86400}
    client = Client(client_id, client_secret, callback_urls=callback_urls, logout_urls=logout_urls)
    app.idp = IdentityStore(clients=[client], demo_users=DEMO_USERS if demo_users is None else demo_users)
    app.idp.issuer = issuer
    app.idp.webhook_url = webhook_url
    app.idp.webhook_secret = webhook_secret
    server = _authorization_server(app)
    app.register_blueprint(control)
    _routes(app, server)
    return app


# ---------------------------------------------------------------- authlib wiring


def _issuer():
    from flask import current_app

    return current_app.idp.issuer or request.url_root


def _store():
    from flask import current_app

    return current_app.idp


def _user_info(user, scope):
    info = UserInfo(sub=user.sub, name=user.name, nickname=user.email.split("@")[0],
                    email=user.email, email_verified=user.email_verified,
                    updated_at=int(user.created_at))
    return info.filter(scope)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, request):
        data = request.payload.data
        item = AuthorizationCode(
            code=code, client_id=request.client.client_id, redirect_uri=request.payload.redirect_uri,
            scope=request.payload.scope, user=request.user, nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
        )
        with _store().lock:
            _store().codes[code] = item

    def query_authorization_code(self, code, client):
        item = _store().codes.get(code)
        if item and item.client_id == client.client_id and item.expires_at > time.time():
            return item
        return None

    def delete_authorization_code(self, authorization_code):
        with _store().lock:
            _store().codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return authorization_code.user


class Auth0OpenIDCode(OpenIDCode):
    def exists_nonce(self, nonce, request):
        return any(c.nonce == nonce for c in list(_store().codes.values()))

    def resolve_client_private_key(self, client):
        return _store().id_token_key()

    def get_client_algorithm(self, client):
        return "RS256"

    def get_encode_header(self, client):
        return {"alg": "RS256", "typ": "JWT", "kid": SIGNING_KID}

    def get_client_claims(self, client):
        now = int(time.time())
        claims = {"iss": _issuer(), "aud": client.client_id, "iat": now, "exp": now + 36000}
        claims.update(_store().switches["id_token_claims"])
        return claims

    def generate_user_info(self, user, scope):
        return _user_info(user, scope)


class Auth0UserInfo(UserInfoEndpoint):
    def get_issuer(self):
        return _issuer()

    def generate_user_info(self, user, scope):
        return _user_info(user, scope)

    def resolve_private_key(self):
        return _store().signing_key


class TokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        return _store().tokens.get(token_string)


def _authorization_server(app):
    def query_client(client_id):
        return app.idp.clients.get(client_id)

    def save_token(token, req):
        with app.idp.lock:
            app.idp.tokens[token["access_token"]] = Token(
                access_token=token["access_token"], client=req.client, scope=token.get("scope", ""),
                user=req.user, expires_at=time.time() + token.get("expires_in", 86400),
            )

    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_grant(CodeGrant, [CodeChallenge(required=False), Auth0OpenIDCode(require_nonce=False)])
    protector = ResourceProtector()
    protector.register_token_validator(TokenValidator())
    server.register_endpoint(Auth0UserInfo(resource_protector=protector))
    return server


# ---------------------------------------------------------------- sign-up


def _sign_in(store, *, email, name):
    """The person on the login page: an existing IdP user, or a new sign-up (webhook fires)."""
    user, created = store.user_create(email=email, name=name or email)
    with store.lock:
        user.logins_count += 1
    if created:
        webhook_send(store, user, ip=request.remote_addr or "")
    session["email"] = user.email
    return user


def _valid_email(email):
    local, at, domain = email.partition("@")
    return bool(local and at and "." in domain and " " not in email and len(email) <= 254)


# ---------------------------------------------------------------- routes


def _routes(app, server):
    @app.get("/.well-known/openid-configuration")
    def discovery():
        base = _issuer()
        return jsonify({
            "issuer": base,
            "authorization_endpoint": base + "authorize",
            "token_endpoint": base + "oauth/token",
            "userinfo_endpoint": base + "userinfo",
            "jwks_uri": base + ".well-known/jwks.json",
            "end_session_endpoint": base + "oidc/logout",
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256", "plain"],
            "claims_supported": ["aud", "email", "email_verified", "exp", "iat", "iss", "name",
                                 "nickname", "sub", "updated_at", "nonce"],
        })

    @app.get("/.well-known/jwks.json")
    def jwks():
        return jsonify(app.idp.jwks())

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize():
        store = app.idp
        current = store.user_get(session.get("email"))
        try:
            grant = server.get_consent_grant(end_user=current)
        except OAuth2Error as error:
            return render_template("message.html", title="Something went wrong",
                                   text=f"{error.error}: {error.description}"), 400
        if request.method == "GET":
            if current and request.args.get("prompt") != "login":
                return server.create_authorization_response(grant_user=current, grant=grant)
            return _login_page(store, grant)
        email = (request.form.get("email") or "").strip()
        name = (request.form.get("name") or "").strip()
        if not _valid_email(email):
            return _login_page(store, grant, error="Enter a valid email address.", email=email,
                               name=name, status=400)
        user = _sign_in(store, email=email, name=name)
        return server.create_authorization_response(grant_user=user, grant=grant)

    @app.post("/oauth/token")
    def token():
        return server.create_token_response()

    @app.route("/userinfo", methods=["GET", "POST"])
    def userinfo():
        return server.create_endpoint_response("userinfo")

    @app.get("/v2/logout")
    def logout_v2():
        client = app.idp.clients.get(request.args.get("client_id", ""))
        clients = [client] if client else list(app.idp.clients.values())
        return _logout(request.args.get("returnTo"), clients)

    @app.get("/oidc/logout")
    def logout_oidc():
        client = app.idp.clients.get(request.args.get("client_id") or _hint_audience(app.idp))
        return _logout(request.args.get("post_logout_redirect_uri"), [client] if client else [],
                       state=request.args.get("state"))


def _logout(target, clients, *, state=None):
    """End the IdP session; then back to `target` if one of `clients` allows it."""
    session.clear()
    if not target:
        return render_template("message.html", title="Signed out", text="You are signed out.")
    if not any(c.check_logout_url(target) for c in clients):
        return render_template("message.html", title="Oops!, something went wrong",
                               text=f"The logout return URL {target} is not allowed."), 400
    if state:
        target += ("&" if "?" in target else "?") + urlencode({"state": state})
    return redirect(target)


def _hint_audience(store):
    hint = request.args.get("id_token_hint")
    if not hint:
        return ""
    try:
        token = jwt.decode(hint, store.signing_key)
    except (JoseError, ValueError):
        return ""
    aud = token.claims.get("aud")
    return aud[0] if isinstance(aud, list) else (aud or "")


def _login_page(store, grant, *, error="", email="", name="", status=200):
    body = render_template(
        "authorize.html", demo_users=store.demo_users(), error=error, email=email, name=name,
        client_id=grant.client.client_id,
    )
    return body, status
