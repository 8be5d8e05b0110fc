"""Sign-out ends the Django session and the Auth0 session (Auth0's /v2/logout with returnTo)."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client

pytestmark = pytest.mark.django_db


def test_sign_out_ends_the_session_and_sends_the_browser_to_auth0_logout(
    client, auth0_sandbox, auth0_sign_in, settings
):
    auth0_sign_in(client, "dana@example.com", "Dana Scully")

    resp = client.post("/logout/")

    parts = urlsplit(resp["Location"])
    assert resp.status_code == 302
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{auth0_sandbox.url}/v2/logout"
    assert parse_qs(parts.query) == {"returnTo": ["http://testserver/"], "client_id": [settings.AUTH0_CLIENT_ID]}
    assert client.get("/dashboard/")["Location"].startswith("/login/")


def test_auth0_logout_ends_the_idp_session_and_returns_to_the_landing_page(client, auth0_sandbox, auth0_sign_in):
    idp = requests.Session()
    auth0_sign_in(client, "dana@example.com", "Dana Scully", idp_session=idp)

    back = idp.get(client.post("/logout/")["Location"], allow_redirects=False, timeout=5)

    assert back.status_code == 302 and back.headers["Location"] == "http://testserver/"
    login_page = idp.get(client.get(client.get("/login/")["Location"])["Location"], allow_redirects=False, timeout=5)
    assert login_page.status_code == 200 and "Email address" in login_page.text


def test_without_auth0_logout_the_idp_signs_the_same_person_straight_back_in(client, auth0_sandbox, auth0_sign_in):
    idp = requests.Session()
    auth0_sign_in(client, "dana@example.com", "Dana Scully", idp_session=idp)
    client.logout()  # the Django session only

    authorize = idp.get(client.get(client.get("/login/")["Location"])["Location"], allow_redirects=False, timeout=5)

    assert authorize.status_code == 302 and "code=" in authorize.headers["Location"]


def test_sign_out_is_post_only(client, alice):
    client.force_login(alice)

    assert client.get("/logout/").status_code == 405
    assert client.get("/dashboard/").status_code == 200


def test_sign_out_needs_the_csrf_token(alice):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)

    assert strict.post("/logout/").status_code == 403
    assert strict.get("/dashboard/").status_code == 200
