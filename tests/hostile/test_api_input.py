"""The JSON API under bad input: wrong parameters, wrong methods, wrong types of body. Always a
JSON answer with an `error` a developer can act on, the right 4xx, and nothing changed."""

import json

import pytest
from django.test import Client

NUL = "\x00"
MONTHS = ["2026-13", "2026-00", "2026", "2026-1-1", "2026-02-30", "-1-01", "0000-01", "10000-01", "abcd-ef",
          "2026-O1", "2026/01", "2026-01; DROP TABLE usage_daily", "<script>", NUL, "9" * 5000 + "-01", "2026-\u0661\u0663"]


def signed_in(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize("month", MONTHS)
def test_api_usage_with_a_bad_month_is_400_saying_the_format(month, alice, unchanged):
    client = signed_in(alice)
    with unchanged():
        response = client.get("/api/usage", {"month": month})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"].startswith("month must look like 2026-11")


def test_api_usage_repeated_month_parameter_uses_the_last_and_still_checks_it(alice):
    response = signed_in(alice).get("/api/usage?month=2026-01&month=nonsense")
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/api/usage", "/api/instance", "/api/billing"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_read_only_api_refuses_writing_methods_with_405(path, method, alice, unchanged):
    client = signed_in(alice)
    with unchanged():
        response = getattr(client, method)(path, data=json.dumps({"month": "2026-01"}), content_type="application/json")
    assert response.status_code == 405
    assert response["Allow"] == "GET"


SYNC_BODIES = {
    "a JSON array": "[]",
    "not JSON": "user=alice",
    "an attempt to become admin": json.dumps({"is_admin": True, "email": "root@example.com"}),
    "an oversized body": "x" * 3_000_000,
}


@pytest.mark.parametrize("case", SYNC_BODIES)
def test_sync_user_without_a_csrf_token_is_403_json_whatever_the_body(case, alice, unchanged):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(alice)
    with unchanged():
        response = client.post("/api/auth/sync-user", data=SYNC_BODIES[case], content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]


def test_sync_user_takes_nothing_from_the_body(alice, unchanged, auth0_sandbox):
    """With a valid token, the body still decides nothing: the profile comes from Auth0 only."""
    client = signed_in(alice)
    client.get("/dashboard/")  # the CSRF cookie, as a browser would have it
    client.handler.enforce_csrf_checks = True
    token = client.cookies["csrftoken"].value
    with unchanged():
        response = client.post("/api/auth/sync-user", data=json.dumps({"is_admin": True, "email": "root@example.com"}),
                               content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert response.json()["user"]["is_admin"] is False
    assert response.json()["user"]["email"] == "alice@example.com"


@pytest.mark.parametrize("path", ["/api/usage", "/api/instance", "/api/billing"])
def test_api_answers_json_not_a_login_page_to_the_signed_out(path, db):
    response = Client().get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 401
    assert response.json()["error"]
