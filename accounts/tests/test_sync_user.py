"""POST /api/auth/sync-user: refresh the signed-in user from their Auth0 profile."""

import pytest
import requests
from allauth.socialaccount.models import SocialToken
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db

URL = "/api/auth/sync-user"


def test_signed_out_is_refused_with_401(client):
    resp = client.post(URL)

    assert resp.status_code == 401
    assert resp.json() == {"error": "sign in first"}


def test_signed_out_is_401_even_without_a_csrf_token():
    assert Client(enforce_csrf_checks=True).post(URL).status_code == 401


def test_signed_in_without_a_csrf_token_is_refused(client, auth0_sign_in):
    auth0_sign_in(client, "dana@example.com", "Dana Scully")
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies

    assert strict.post(URL).status_code == 403


def test_only_post(client, alice):
    client.force_login(alice)

    assert client.get(URL).status_code == 405


def test_returns_the_user_and_is_idempotent(client, auth0_sign_in):
    auth0_sign_in(client, "dana@example.com", "Dana Scully")
    before = User.objects.values().get()

    first, second = client.post(URL), client.post(URL)

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    body = first.json()["user"]
    assert (body["email"], body["name"], body["is_owner"], body["status"]) == (
        "dana@example.com", "Dana Scully", True, "active")
    assert User.objects.values().get() == before


def test_takes_over_a_name_and_email_changed_at_auth0(client, auth0_sandbox, auth0_sign_in):
    auth0_sign_in(client, "dana@example.com", "Dana Scully")
    requests.post(f"{auth0_sandbox.url}/_sandbox/users/update", timeout=5,
                  json={"email": "dana@example.com", "name": "Agent Scully", "new_email": "dana@fbi.example"})

    body = client.post(URL).json()["user"]

    assert (body["email"], body["name"]) == ("dana@fbi.example", "Agent Scully")
    user = User.objects.get()
    assert (user.email, user.name) == ("dana@fbi.example", "Agent Scully")


def test_an_access_token_auth0_no_longer_accepts_falls_back_to_the_last_sign_in(client, auth0_sandbox, auth0_sign_in):
    auth0_sign_in(client, "dana@example.com", "Dana Scully")
    auth0_sandbox.app.idp.tokens.clear()  # Auth0 forgot the token: userinfo answers 401
    User.objects.update(name="Stale Name")

    resp = client.post(URL)

    assert resp.status_code == 200
    assert resp.json()["user"]["name"] == "Dana Scully"
    assert SocialToken.objects.count() == 1


def test_auth0_unreachable_is_a_clear_502_and_changes_nothing(client, auth0_sandbox, auth0_sign_in, settings):
    auth0_sign_in(client, "dana@example.com", "Dana Scully")
    before = User.objects.values().get()
    auth0_sandbox.stop()

    resp = client.post(URL)

    assert resp.status_code == 502
    assert "Auth0 could not be reached" in resp.json()["error"]
    assert User.objects.values().get() == before
