"""The Auth0 sandbox speaks OpenID Connect the way Auth0 does, checked with plain HTTP + joserfc."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask, request
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from sandbox.oidc.fixtures import stop_in_background
from sandbox.oidc.server import create_app
from sandbox.oidc.store import sub_for
from sandbox.serving import start_in_thread

CALLBACK = "http://127.0.0.1:9/callback"


@pytest.fixture
def hook_receiver():
    """A tiny HTTP server standing in for the app's webhook endpoint."""
    calls = []
    app = Flask("hook")

    @app.post("/hook")
    def hook():
        calls.append({"secret": request.headers.get("x-auth0-secret"), "body": request.get_json()})
        return {"ok": True}

    server = start_in_thread(app)
    server.calls = calls
    yield server
    stop_in_background(server)


@pytest.fixture
def idp(hook_receiver):
    server = start_in_thread(create_app(client_id="app", client_secret="app-secret",
                                        webhook_url=f"{hook_receiver.url}/hook", webhook_secret="s3cret"))
    yield server
    stop_in_background(server)


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(idp, browser, *, email, name="", challenge=None, **extra):
    params = {"client_id": "app", "redirect_uri": CALLBACK, "response_type": "code",
              "scope": "openid profile email", "state": "st4te", **extra}
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    page = browser.get(f"{idp.url}/authorize", params=params, timeout=5)
    assert page.status_code == 200, page.text
    resp = browser.post(page.url, data={"email": email, "name": name}, allow_redirects=False, timeout=5)
    assert resp.status_code == 302, resp.text
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query["state"] == ["st4te"]
    return query["code"][0]


def token(idp, code, **extra):
    return requests.post(f"{idp.url}/oauth/token", timeout=5, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
        "client_id": "app", "client_secret": "app-secret", **extra})


def test_discovery_names_auth0_paths_and_an_issuer_with_a_trailing_slash(idp):
    doc = requests.get(f"{idp.url}/.well-known/openid-configuration", timeout=5).json()

    assert doc["issuer"] == f"{idp.url}/"
    assert doc["authorization_endpoint"] == f"{idp.url}/authorize"
    assert doc["token_endpoint"] == f"{idp.url}/oauth/token"
    assert doc["userinfo_endpoint"] == f"{idp.url}/userinfo"
    assert doc["jwks_uri"] == f"{idp.url}/.well-known/jwks.json"
    assert doc["end_session_endpoint"] == f"{idp.url}/oidc/logout"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]


def test_code_flow_with_pkce_issues_an_rs256_id_token_verifiable_with_the_jwks(idp):
    verifier, challenge = pkce()
    code = authorize(idp, requests.Session(), email="dana@example.com", name="Dana Scully", challenge=challenge)

    resp = token(idp, code, code_verifier=verifier)

    assert resp.status_code == 200
    body = resp.json()
    keys = KeySet.import_key_set(requests.get(f"{idp.url}/.well-known/jwks.json", timeout=5).json())
    claims = jwt.decode(body["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["iss"] == f"{idp.url}/" and claims["aud"] == "app"
    assert claims["sub"] == sub_for("dana@example.com")
    assert (claims["email"], claims["email_verified"], claims["name"]) == ("dana@example.com", True, "Dana Scully")
    assert claims["exp"] > claims["iat"]
    info = requests.get(f"{idp.url}/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=5)
    assert info.json()["sub"] == claims["sub"]


def test_a_wrong_pkce_verifier_gets_no_tokens(idp):
    _, challenge = pkce()
    code = authorize(idp, requests.Session(), email="dana@example.com", challenge=challenge)

    resp = token(idp, code, code_verifier=pkce()[0])

    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_a_code_works_once_and_a_wrong_client_secret_gets_nothing(idp):
    code = authorize(idp, requests.Session(), email="dana@example.com")

    assert token(idp, code, client_secret="nope").status_code == 401
    assert token(idp, code).status_code == 200
    assert token(idp, code).json()["error"] == "invalid_grant"


def test_subject_is_stable_per_email_and_auth0_shaped():
    assert sub_for("Dana@Example.com") == sub_for("dana@example.com")
    assert sub_for("dana@example.com").startswith("auth0|") and len(sub_for("x@y.z")) == len("auth0|") + 24
    assert sub_for("dana@example.com") != sub_for("fox@example.com")


def test_a_sign_up_calls_the_registration_webhook_with_the_secret_once(idp, hook_receiver):
    authorize(idp, requests.Session(), email="dana@example.com", name="Dana Scully")
    authorize(idp, requests.Session(), email="dana@example.com")

    assert len(hook_receiver.calls) == 1
    call = hook_receiver.calls[0]
    assert call["secret"] == "s3cret"
    assert call["body"]["user_id"] == sub_for("dana@example.com")
    assert (call["body"]["email"], call["body"]["name"]) == ("dana@example.com", "Dana Scully")


def test_held_webhooks_go_out_when_released(idp, hook_receiver):
    requests.post(f"{idp.url}/_sandbox/switches", json={"webhook": "hold"}, timeout=5)
    authorize(idp, requests.Session(), email="dana@example.com")
    assert hook_receiver.calls == []

    released = requests.post(f"{idp.url}/_sandbox/webhooks/release", timeout=5).json()

    assert [d["status"] for d in released["delivered"]] == [200]
    assert len(hook_receiver.calls) == 1


def test_the_unknown_key_switch_signs_tokens_the_jwks_cannot_verify(idp):
    requests.post(f"{idp.url}/_sandbox/switches", json={"sign_with_unknown_key": True}, timeout=5)
    code = authorize(idp, requests.Session(), email="dana@example.com")

    id_token = token(idp, code).json()["id_token"]

    keys = KeySet.import_key_set(requests.get(f"{idp.url}/.well-known/jwks.json", timeout=5).json())
    with pytest.raises(BadSignatureError):
        jwt.decode(id_token, keys, algorithms=["RS256"])


def test_an_unregistered_callback_url_is_refused(idp):
    resp = requests.get(f"{idp.url}/authorize", timeout=5, params={
        "client_id": "app", "redirect_uri": "https://evil.example/cb", "response_type": "code", "scope": "openid"})

    assert resp.status_code == 400 and "evil.example" in resp.text


def test_an_invalid_email_on_the_login_page_is_refused_and_creates_nobody(idp):
    browser = requests.Session()
    page = browser.get(f"{idp.url}/authorize", timeout=5, params={
        "client_id": "app", "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid"})

    resp = browser.post(page.url, data={"email": "not an email"}, allow_redirects=False, timeout=5)

    assert resp.status_code == 400 and "Enter a valid email address." in resp.text
    assert [u["email"] for u in requests.get(f"{idp.url}/_sandbox/users", timeout=5).json()["users"]] == [
        "alice@example.com", "bob@example.com", "charlie@example.com", "root@example.com"]


def test_v2_logout_ends_the_session_and_returns_only_to_allowed_urls(idp):
    browser = requests.Session()
    authorize(idp, browser, email="dana@example.com")

    refused = browser.get(f"{idp.url}/v2/logout", params={"returnTo": "https://evil.example/", "client_id": "app"},
                          allow_redirects=False, timeout=5)
    back = browser.get(f"{idp.url}/v2/logout", params={"returnTo": "http://127.0.0.1:9/", "client_id": "app"},
                       allow_redirects=False, timeout=5)

    assert refused.status_code == 400
    assert back.status_code == 302 and back.headers["Location"] == "http://127.0.0.1:9/"
    page = browser.get(f"{idp.url}/authorize", allow_redirects=False, timeout=5, params={
        "client_id": "app", "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid"})
    assert page.status_code == 200  # the login page again, not a silent sign-in


def test_oidc_logout_redirects_with_state(idp):
    resp = requests.get(f"{idp.url}/oidc/logout", allow_redirects=False, timeout=5, params={
        "client_id": "app", "post_logout_redirect_uri": "http://127.0.0.1:9/bye", "state": "abc"})

    assert resp.status_code == 302 and resp.headers["Location"] == "http://127.0.0.1:9/bye?state=abc"


def test_control_endpoints_refuse_bad_input(idp):
    assert requests.post(f"{idp.url}/_sandbox/switches", json={"nope": 1}, timeout=5).status_code == 400
    assert requests.post(f"{idp.url}/_sandbox/switches", json={"webhook": "later"}, timeout=5).status_code == 400
    assert requests.post(f"{idp.url}/_sandbox/users", data="x", timeout=5).status_code == 400
    ghost = requests.post(f"{idp.url}/_sandbox/users/update", json={"email": "ghost@example.com"}, timeout=5)
    assert ghost.status_code == 404


def test_users_can_be_created_through_the_control_api_and_fire_the_webhook(idp, hook_receiver):
    resp = requests.post(f"{idp.url}/_sandbox/users", json={"email": "fox@example.com", "name": "Fox"}, timeout=5)

    assert resp.status_code == 201 and resp.json()["user"]["user_id"] == sub_for("fox@example.com")
    assert [c["body"]["email"] for c in hook_receiver.calls] == ["fox@example.com"]
