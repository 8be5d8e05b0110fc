"""The identity provider's state: clients, users, codes, tokens, signing keys, switches.

In memory, guarded by one lock (the server is threaded). The authlib model classes live here too;
they only carry data, authlib does the protocol.
"""

import hashlib
import threading
import time
from dataclasses import dataclass, field

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin
from joserfc.jwk import RSAKey

SIGNING_KID = "sandbox-signing-key"

# Generating RSA keys is the slow part of starting an app; one pair serves every app in a process.
_KEYS = {}
_KEYS_LOCK = threading.Lock()


def _shared_key(name):
    with _KEYS_LOCK:
        if name not in _KEYS:
            _KEYS[name] = RSAKey.generate_key(
                2048, parameters={"kid": SIGNING_KID, "alg": "RS256", "use": "sig"}
            )
        return _KEYS[name]


def sub_for(email):
    """Stable Auth0-like subject for an email: `auth0|` + 24 hex characters."""
    return "auth0|" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]


@dataclass
class IdpUser:
    email: str
    name: str
    sub: str
    email_verified: bool = True
    created_at: float = field(default_factory=time.time)
    logins_count: int = 0

    def as_dict(self):
        return {
            "user_id": self.sub, "email": self.email, "name": self.name,
            "email_verified": self.email_verified,
            "created_at": _iso(self.created_at), "logins_count": self.logins_count,
        }


def _iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    # None: any loopback URL (the sandbox serves apps on random test ports); else exact matches.
    callback_urls: list | None = None
    logout_urls: list | None = None
    client_metadata: dict = field(default_factory=dict)

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return (self.callback_urls or [None])[0]

    def get_allowed_scope(self, scope):
        allowed = {"openid", "profile", "email", "offline_access"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return _url_allowed(redirect_uri, self.callback_urls)

    def check_logout_url(self, url):
        return _url_allowed(url, self.logout_urls)

    def check_client_secret(self, client_secret):
        import hmac

        return hmac.compare_digest(client_secret.encode(), self.client_secret.encode())

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


def _url_allowed(url, allowed):
    if not url:
        return False
    if allowed is not None:
        return url in allowed
    return url.startswith(("http://127.0.0.1:", "http://localhost:", "http://127.0.0.1/", "http://localhost/"))


@dataclass
class AuthorizationCode(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: IdpUser
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))
    expires_at: float = field(default_factory=lambda: time.time() + 300)

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


@dataclass
class Token(TokenMixin):
    access_token: str
    client: Client
    scope: str
    user: IdpUser
    expires_at: float
    revoked: bool = False

    def check_client(self, client):
        return client.client_id == self.client.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return int(self.expires_at - time.time())

    def is_expired(self):
        return time.time() >= self.expires_at

    def is_revoked(self):
        return self.revoked

    def get_user(self):
        return self.user

    def get_client(self):
        return self.client


DEFAULT_SWITCHES = {
    # Sign ID tokens with a key that is not in the JWKS (same kid): a forged token.
    "sign_with_unknown_key": False,
    # Claims forced into every ID token, e.g. {"iss": "https://evil.example/"} or {"exp": 1}.
    "id_token_claims": {},
    # "deliver": POST the registration webhook on sign-up; "hold": keep it until released.
    "webhook": "deliver",
}


class IdentityStore:
    def __init__(self, *, clients, demo_users):
        self.lock = threading.RLock()
        self.clients = {c.client_id: c for c in clients}
        self.users = {}
        self.codes = {}
        self.tokens = {}
        self.switches = {}
        self.webhook_log = []
        self.held_webhooks = []
        self.signing_key = _shared_key("signing")
        self.unknown_key = _shared_key("unknown")
        self.demo_emails = []
        for demo in demo_users:
            self.user_create(email=demo["email"], name=demo.get("name", ""))
            self.demo_emails.append(demo["email"].lower())
        self.switches_reset()

    def switches_reset(self):
        with self.lock:
            self.switches = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULT_SWITCHES.items()}

    def user_get(self, email):
        with self.lock:
            return self.users.get((email or "").strip().lower())

    def user_create(self, *, email, name=""):
        """(user, created): a new IdP user, or the existing one with that email."""
        key = email.strip().lower()
        with self.lock:
            if key in self.users:
                return self.users[key], False
            user = IdpUser(email=email.strip(), name=name.strip(), sub=sub_for(email))
            self.users[key] = user
            return user, True

    def demo_users(self):
        with self.lock:
            return [self.users[e] for e in self.demo_emails if e in self.users]

    def jwks(self):
        return {"keys": [self.signing_key.as_dict(private=False)]}

    def id_token_key(self):
        with self.lock:
            return self.unknown_key if self.switches["sign_with_unknown_key"] else self.signing_key
