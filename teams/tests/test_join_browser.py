"""The whole journey in Chromium: an owner invites, the invitee signs up through the sandbox
identity provider from the emailed link, lands on the dashboard with the owner's cluster, and is
kept out of billing."""

import re

import pytest
from django.core import mail

from accounts.models import User
from clusters.models import UserHopsworksAssignment
from clusters.services import assignment_request
from sandbox.oidc.store import sub_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_at_idp(page, email, name):
    page.fill("#email", email)
    page.fill("#name", name)
    page.click("button[type=submit] >> text=Continue")


def test_an_invited_colleague_signs_up_from_the_email_and_joins_the_owners_cluster(
    chromium, page, live_server, auth0_sandbox_live, hopsworks_cluster, make_user, screenshot, wait
):
    alice = make_user("alice@example.com", name="Alice Owner", auth0_sub=sub_for("alice@example.com"), card_on_file=True)
    assignment_request(user=alice)

    # The owner signs in and invites a colleague.
    page.goto(f"{live_server.url}/login/?next=/team/")
    sign_in_at_idp(page, "alice@example.com", "Alice Owner")
    page.wait_for_url(f"{live_server.url}/team/")
    page.fill("#id_emails", "ada@example.com")
    page.click("text=Send invitations")
    page.wait_for_selector("text=Invitation sent to ada@example.com")
    screenshot(page, "invited")

    (message,) = mail.outbox
    link = re.search(r"http://\S+/team/join/[\w\-]+/", message.body).group(0)
    assert link.startswith(live_server.url)

    # The colleague opens the link in a browser of their own and signs up.
    invitee = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    try:
        invitee.goto(link)
        assert invitee.locator("h1").inner_text() == "Alice Owner invited you to their team"
        screenshot(invitee, "invitation")
        invitee.click("text=Sign in to accept")
        sign_in_at_idp(invitee, "ada@example.com", "Ada Lovelace")
        invitee.wait_for_url(f"{live_server.url}/dashboard/")
        assert "You are a member of Alice Owner's team." in invitee.content()
        assert hopsworks_cluster.name in invitee.content()
        screenshot(invitee, "dashboard")

        ada = User.objects.get(email="ada@example.com")
        assert ada.account_owner_id == alice.pk
        assert UserHopsworksAssignment.objects.get(user=ada).cluster_id == hopsworks_cluster.pk
        assert not ada.stripe_customer_id

        billing = invitee.goto(f"{live_server.url}/billing/")
        assert billing.status == 403
        assert "Billing is managed by your account owner" in invitee.content()
        screenshot(invitee, "billing-forbidden")
    finally:
        invitee.context.close()
