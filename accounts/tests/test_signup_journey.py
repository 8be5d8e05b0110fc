"""Whole journeys against the running app (`live_server`) and the sandbox IdP over real HTTP:
the browser sign-up, and the registration webhook delivered by the IdP itself (as an Auth0
Action would) before or after the first login."""

import re

import pytest
import requests
from playwright.sync_api import expect

from accounts.models import User
from sandbox.oidc.store import sub_for


def _sign_in_over_http(live_server, email, name=""):
    """A cookie-keeping HTTP client through /login/, the IdP page and the allauth callback."""
    session = requests.Session()
    page = session.get(f"{live_server.url}/login/", timeout=10)
    assert "Sign up or log in" in page.text
    dashboard = session.post(page.url, data={"email": email, "name": name}, timeout=10)
    return session, dashboard


@pytest.mark.django_db(transaction=True)
def test_the_idp_delivers_the_registration_webhook_before_the_first_login(
    auth0_sandbox_live, stripe_sandbox_live, live_server
):
    _, dashboard = _sign_in_over_http(live_server, "dana@example.com", "Dana Scully")

    log = auth0_sandbox_live.app.idp.webhook_log
    assert [(e["user_id"], e["status"]) for e in log] == [(sub_for("dana@example.com"), 200)]
    assert dashboard.url == f"{live_server.url}/dashboard/"
    assert "Welcome, Dana Scully" in dashboard.text
    assert User.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_registration_webhook_arriving_after_the_first_login_keeps_one_user(
    auth0_sandbox_live, stripe_sandbox_live, live_server
):
    idp = auth0_sandbox_live.app.idp
    idp.switches["webhook"] = "hold"
    _, dashboard = _sign_in_over_http(live_server, "dana@example.com", "Dana Scully")
    signed_in = User.objects.get()

    delivered = requests.post(f"{auth0_sandbox_live.url}/_sandbox/webhooks/release", timeout=10).json()

    assert [d["status"] for d in delivered["delivered"]] == [200]
    assert "Welcome, Dana Scully" in dashboard.text
    assert User.objects.get().pk == signed_in.pk


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sign_up_see_the_dashboard_sign_out_and_sign_in_again_as_one_user(
    page, screenshot, auth0_sandbox_live, stripe_sandbox_live, live_server
):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Sign up or sign in").click()

    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    page.get_by_label("Email address").fill("dana@example.com")
    page.get_by_label("Name").fill("Dana Scully")
    screenshot(page, "idp-sign-up")
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    expect(page.get_by_role("heading", name="Welcome, Dana Scully")).to_be_visible()
    expect(page.get_by_text("No usage yet")).to_be_visible()
    screenshot(page, "dashboard")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()

    page.get_by_role("link", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(auth0_sandbox_live.url)}/authorize"))
    page.get_by_label("Email address").fill("dana@example.com")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Welcome, Dana Scully")).to_be_visible()
    screenshot(page, "dashboard-again")
    user = User.objects.get()
    assert user.auth0_sub == sub_for("dana@example.com")
    assert user.stripe_customer_id.startswith("cus_")  # the new account owner was announced
