"""POST /api/webhooks/auth0: Auth0's post-registration call, the same upsert as the first login."""

import json

import pytest
from django.test import Client

from accounts.models import User
from sandbox.oidc.store import sub_for

pytestmark = pytest.mark.django_db

URL = "/api/webhooks/auth0"


@pytest.fixture
def secret(settings):
    settings.AUTH0_WEBHOOK_SECRET = "test-webhook-secret-0123456789"
    return settings.AUTH0_WEBHOOK_SECRET


def post(client, body, *, secret=None, raw=None):
    headers = {"x-auth0-secret": secret} if secret is not None else {}
    data = raw if raw is not None else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", headers=headers)


def registration(email="dana@example.com", name="Dana Scully"):
    return {"user_id": sub_for(email), "email": email, "name": name,
            "created_at": "2026-11-25T10:00:00.000Z", "ip": "203.0.113.7", "logins_count": 1}


def test_a_valid_call_creates_the_user(client, secret):
    resp = post(client, registration(), secret=secret)

    assert resp.status_code == 200
    assert resp.json() == {"user_id": sub_for("dana@example.com"), "created": True}
    user = User.objects.get()
    assert (user.auth0_sub, user.email, user.name, user.is_owner) == (
        sub_for("dana@example.com"), "dana@example.com", "Dana Scully", True)


def test_the_same_call_again_changes_nothing(client, secret):
    post(client, registration(), secret=secret)
    before = User.objects.values().get()

    resp = post(client, registration(), secret=secret)

    assert resp.status_code == 200 and resp.json()["created"] is False
    assert User.objects.values().get() == before


def test_a_later_call_updates_email_and_name_of_the_same_user(client, secret):
    post(client, registration(), secret=secret)

    post(client, {**registration(), "email": "dana@fbi.example", "name": "Agent Scully"}, secret=secret)

    user = User.objects.get()
    assert (user.email, user.name) == ("dana@fbi.example", "Agent Scully")


@pytest.mark.parametrize("given", ["wrong-secret", "test-webhook-secret-012345678", ""],
                         ids=["wrong", "one character short", "empty"])
def test_a_bad_secret_is_refused_with_401_and_changes_nothing(client, secret, given):
    resp = post(client, registration(), secret=given)

    assert resp.status_code == 401
    assert "x-auth0-secret" in resp.json()["error"]
    assert User.objects.count() == 0


def test_no_secret_is_refused_with_401_and_changes_nothing(client, secret):
    resp = post(client, registration())

    assert resp.status_code == 401
    assert resp.json() == {"error": "missing x-auth0-secret header"}
    assert User.objects.count() == 0


def test_an_unset_server_secret_refuses_every_call(client, settings):
    settings.AUTH0_WEBHOOK_SECRET = ""

    assert post(client, registration(), secret="").status_code == 401
    assert post(client, registration(), secret="anything").status_code == 401
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    "raw, message",
    [
        ("{not json", "body is not valid JSON"),
        ('["a list"]', "body must be a JSON object"),
        (b"\xff\xfe", "body is not valid JSON"),
    ],
    ids=["broken", "not an object", "not utf-8"],
)
def test_malformed_json_is_refused_with_400_and_changes_nothing(client, secret, raw, message):
    resp = post(client, None, secret=secret, raw=raw)

    assert resp.status_code == 400
    assert resp.json() == {"error": message}
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    "change, message",
    [
        ({"email": None}, "'email' is required"),
        ({"email": ""}, "'email' is required"),
        ({"email": "not-an-email"}, "'email' is not a valid email address"),
        ({"user_id": None}, "'user_id' is required (the Auth0 user id, e.g. auth0|abc123)"),
        ({"user_id": 42}, "'user_id' is required (the Auth0 user id, e.g. auth0|abc123)"),
        ({"name": ["Dana"]}, "'name' must be a string of at most 255 characters"),
    ],
    ids=["missing email", "empty email", "invalid email", "missing user_id", "numeric user_id", "name not text"],
)
def test_missing_or_invalid_fields_are_refused_with_400_and_change_nothing(client, secret, change, message):
    body = {k: v for k, v in {**registration(), **change}.items() if v is not None}

    resp = post(client, body, secret=secret)

    assert resp.status_code == 400
    assert resp.json() == {"error": message}
    assert User.objects.count() == 0


def test_get_is_not_allowed(client, secret):
    resp = client.get(URL, headers={"x-auth0-secret": secret})

    assert resp.status_code == 405
    assert User.objects.count() == 0


def test_the_webhook_needs_no_csrf_token(secret):
    strict = Client(enforce_csrf_checks=True)

    assert post(strict, registration(), secret=secret).status_code == 200


# ---------------------------------------------------------------- order with the first login


def test_webhook_then_first_login_end_in_one_user(client, auth0_sandbox, auth0_sign_in, settings):
    hook = post(client, registration(name="Dana From Webhook"), secret=settings.AUTH0_WEBHOOK_SECRET)
    created = User.objects.get()

    resp = auth0_sign_in(client, "dana@example.com", "Dana Scully")

    assert hook.json()["created"] is True and resp["Location"] == "/dashboard/"
    user = User.objects.get()
    assert user.pk == created.pk
    assert client.get("/dashboard/").context["user"] == user


def test_first_login_then_webhook_end_in_one_user(client, auth0_sandbox, auth0_sign_in, settings):
    auth0_sign_in(client, "dana@example.com", "Dana Scully")
    signed_in = User.objects.get()

    hook = post(Client(), registration(), secret=settings.AUTH0_WEBHOOK_SECRET)

    assert hook.status_code == 200 and hook.json()["created"] is False
    assert User.objects.get().pk == signed_in.pk
