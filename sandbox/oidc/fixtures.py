"""Pytest fixtures for the Auth0 sandbox (auto-loaded by the root conftest).

`auth0_sandbox`: the IdP on a free port; Django settings (AUTH0_*, allauth's app) point at it.
allauth reads `SOCIALACCOUNT_PROVIDERS` on every request, so overriding settings is enough.
Webhooks are not delivered anywhere (no app server is listening): use `auth0_sandbox_live`.

`auth0_sandbox_live`: the same, for `live_server`: the IdP's registration webhook posts to the live
app, `AUTH0_BASE_URL` is the live server (logout comes back there).

`auth0_sign_in(client, email, name="")`: the whole login through the IdP with Django's test
client: /login/ → IdP page (real HTTP) → allauth callback (real token exchange, JWKS, userinfo).
"""

import copy
import secrets
import threading
from urllib.parse import urlsplit

import pytest
import requests

from sandbox.serving import start_in_thread

from .server import create_app

CALLBACK_PATH = "/accounts/oidc/auth0/login/callback/"


def stop_in_background(server):
    """Stop a sandbox server without waiting out werkzeug's 0.5 s shutdown poll in every test."""
    threading.Thread(target=server.stop, name=f"stop-{server.port}", daemon=True).start()


def point_settings_at(settings, *, url, client_id, client_secret):
    """Point the app's Auth0 settings (and allauth's `auth0` app) at an IdP at `url`."""
    settings.AUTH0_ISSUER_BASE_URL = url
    settings.AUTH0_CLIENT_ID = client_id
    settings.AUTH0_CLIENT_SECRET = client_secret
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    for app in providers["openid_connect"]["APPS"]:
        if app["provider_id"] == "auth0":
            app.update(client_id=client_id, secret=client_secret)
            app["settings"] = {**app.get("settings", {}), "server_url": url}
    settings.SOCIALACCOUNT_PROVIDERS = providers


@pytest.fixture
def auth0_sandbox(settings):
    """The running IdP (`.url`, `.app.idp` is its state); the Django test client's host allowed."""
    client_id, client_secret = "hopsmanaged-test", secrets.token_urlsafe(24)
    settings.AUTH0_WEBHOOK_SECRET = secrets.token_urlsafe(24)
    settings.AUTH0_BASE_URL = "http://testserver"
    app = create_app(
        client_id=client_id, client_secret=client_secret,
        callback_urls=[f"http://testserver{CALLBACK_PATH}"], logout_urls=["http://testserver/"],
        webhook_secret=settings.AUTH0_WEBHOOK_SECRET,
    )
    server = start_in_thread(app)
    point_settings_at(settings, url=server.url, client_id=client_id, client_secret=client_secret)
    yield server
    stop_in_background(server)


@pytest.fixture
def auth0_sandbox_live(auth0_sandbox, live_server, settings):
    """The IdP wired to `live_server`: callbacks, logout `returnTo` and the registration webhook."""
    client = auth0_sandbox.app.idp.clients[settings.AUTH0_CLIENT_ID]
    client.callback_urls.append(f"{live_server.url}{CALLBACK_PATH}")
    client.logout_urls.append(f"{live_server.url}/")
    auth0_sandbox.app.idp.webhook_url = f"{live_server.url}/api/webhooks/auth0"
    settings.AUTH0_BASE_URL = live_server.url
    return auth0_sandbox


def _path(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def auth0_sign_in(auth0_sandbox):
    """sign_in(client, email, name="", idp_session=None, start="/login/") → the Django response
    after the callback.

    `idp_session` (a requests.Session) is the browser's cookie jar at the IdP: pass the same one
    to be remembered there (single sign-on), a fresh one (default) to see the login page.
    `start`: where the sign-in begins (e.g. a page's "/login/?next=..." link).
    """

    def sign_in(client, email, name="", idp_session=None, start="/login/"):
        idp = idp_session or requests.Session()
        authorize_url = start
        while not authorize_url.startswith(auth0_sandbox.url):
            resp = client.get(_path(authorize_url))
            assert resp.status_code == 302, (authorize_url, resp.status_code)
            authorize_url = resp["Location"]
        page = idp.get(authorize_url, allow_redirects=False, timeout=10)
        if page.status_code == 200:
            page = idp.post(authorize_url, data={"email": email, "name": name},
                            allow_redirects=False, timeout=10)
        assert page.status_code == 302, page.text
        return client.get(_path(page.headers["Location"]))

    return sign_in
