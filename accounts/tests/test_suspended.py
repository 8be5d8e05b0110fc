"""A suspended user can sign in but sees only "account suspended"; pages and API alike."""

import pytest

from accounts.models import User
from accounts.services import user_status_set
from sandbox.oidc.store import sub_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def suspended(make_user):
    return make_user("sam@example.com", name="Sam Suspended", auth0_sub=sub_for("sam@example.com"),
                     status=User.Status.SUSPENDED)


@pytest.mark.parametrize("path", ["/dashboard/", "/profile/", "/"])
def test_pages_show_the_suspended_notice(client, suspended, path):
    client.force_login(suspended)

    resp = client.get(path)

    assert resp.status_code == 403
    assert "Account suspended" in resp.content.decode()
    assert "sam@example.com" in resp.content.decode()


def test_the_api_answers_403_json(client, suspended):
    client.force_login(suspended)

    resp = client.post("/api/auth/sync-user")

    assert resp.status_code == 403
    assert resp.json() == {"error": "account suspended"}


def test_a_suspended_user_still_signs_in_and_lands_on_the_notice(client, suspended, auth0_sign_in):
    resp = auth0_sign_in(client, "sam@example.com")

    assert resp["Location"] == "/dashboard/"
    page = client.get("/dashboard/")
    assert page.status_code == 403 and "Account suspended" in page.content.decode()


def test_a_suspended_user_can_sign_out(client, suspended, auth0_sandbox):
    client.force_login(suspended)

    resp = client.post("/logout/")

    assert resp.status_code == 302 and "/v2/logout" in resp["Location"]
    assert client.get("/dashboard/")["Location"].startswith("/login/")


def test_reactivated_user_reaches_the_product_again(client, suspended):
    client.force_login(suspended)
    user_status_set(user=suspended, status=User.Status.ACTIVE)

    assert client.get("/dashboard/").status_code == 200


def test_active_users_are_not_bothered(client, alice):
    client.force_login(alice)

    assert client.get("/dashboard/").status_code == 200
