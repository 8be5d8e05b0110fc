"""Opening the invitation link; joining at registration; every refusal changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.services import user_upsert_from_auth0
from accounts.signals import account_owner_created
from clusters.models import UserHopsworksAssignment
from teams.models import TeamInvite

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_announcements():
    announced = []

    def receiver(sender, user, **kwargs):
        announced.append(user.email)

    account_owner_created.connect(receiver, dispatch_uid="test-teams-owner-announcements")
    yield announced
    account_owner_created.disconnect(dispatch_uid="test-teams-owner-announcements")


def test_the_link_shows_who_invited_you_to_what_and_how_to_sign_in(client, alice, invite_for):
    _, token = invite_for(alice, "ada@example.com")

    response = client.get(f"/team/join/{token}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Alice Owner invited you to their team" in page
    assert "alice@example.com" in page and "ada@example.com" in page
    assert "/team/join/" in page and "Sign in to accept" in page
    # The token rides through sign-in in the session, not in the sign-in URL.
    assert token not in page
    assert client.session["teams_invite_token"] == token


def test_registering_with_an_invited_address_makes_a_member_and_no_new_owner(alice, invite_for, owner_announcements):
    invite, _ = invite_for(alice, "ada@example.com")

    ada, created = user_upsert_from_auth0(sub="auth0|ada", email="Ada@example.com", name="Ada", email_verified=True)

    assert created and ada.account_owner == alice
    invite.refresh_from_db()
    assert invite.status == "accepted" and invite.accepted_by == ada and invite.accepted_at
    assert owner_announcements == []
    assert UserHopsworksAssignment.objects.filter(user=ada).exists()


def test_registering_without_an_invite_makes_an_owner_as_before(owner_announcements, alice, invite_for):
    invite_for(alice, "someone-else@example.com")
    ada, _ = user_upsert_from_auth0(sub="auth0|ada", email="ada@example.com")
    assert ada.is_owner and owner_announcements == ["ada@example.com"]


def test_the_webhook_for_an_invited_address_creates_a_member(client, alice, invite_for, owner_announcements, settings):
    invite_for(alice, "ada@example.com")
    response = client.post(
        "/api/webhooks/auth0",
        {"user_id": "auth0|ada", "email": "ada@example.com", "name": "Ada"},
        content_type="application/json",
        headers={"x-auth0-secret": settings.AUTH0_WEBHOOK_SECRET},
    )
    assert response.status_code in (200, 201)
    assert User.objects.get(auth0_sub="auth0|ada").account_owner == alice
    assert owner_announcements == []


def test_after_sign_in_the_link_takes_the_new_member_to_the_dashboard(client, alice, invite_for):
    _, token = invite_for(alice, "ada@example.com")
    client.get(f"/team/join/{token}/")
    ada, _ = user_upsert_from_auth0(sub="auth0|ada", email="ada@example.com")
    client.force_login(ada)

    response = client.get("/team/join/")

    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert "teams_invite_token" not in client.session


def test_an_expired_invite_is_not_used_at_registration(alice, invite_for):
    invite_for(alice, "ada@example.com", expires_at=timezone.now() - timedelta(minutes=1))
    ada, _ = user_upsert_from_auth0(sub="auth0|ada", email="ada@example.com")
    assert ada.is_owner


# ---------------------------------------------------------------- refusals: nothing changes


def open_link(client, token, counts, status):
    before = counts()
    response = client.get(f"/team/join/{token}/")
    assert response.status_code == status
    assert counts() == before
    page = response.content.decode()
    assert "Nothing was changed." in page
    return page


def test_an_expired_link_says_so_and_whom_to_ask(client, alice, invite_for, counts):
    _, token = invite_for(alice, "ada@example.com", expires_at=timezone.now() - timedelta(seconds=1))
    page = open_link(client, token, counts, 410)
    assert "This invitation has expired" in page and "Ask Alice Owner (alice@example.com) to resend it" in page


def test_a_revoked_link_says_it_was_withdrawn(client, alice, invite_for, counts):
    _, token = invite_for(alice, "ada@example.com", status="revoked", revoked_at=timezone.now())
    page = open_link(client, token, counts, 410)
    assert "This invitation was withdrawn" in page


def test_a_link_used_once_cannot_be_used_again(client_for, alice, invite_for, counts, make_user):
    _, token = invite_for(alice, "ada@example.com")
    user_upsert_from_auth0(sub="auth0|ada", email="ada@example.com", email_verified=True)
    stranger = make_user("eve@example.com")

    for client in (client_for(None), client_for(stranger)):
        page = open_link(client, token, counts, 410)
        assert "This invitation has already been used" in page


def test_a_different_signed_in_address_is_told_to_sign_in_as_the_invited_one(client_for, alice, charlie, invite_for, counts):
    invite, token = invite_for(alice, "ada@example.com")
    page = open_link(client_for(charlie), token, counts, 403)
    assert "This invitation is for a different address" in page
    assert "you are signed in as <strong>charlie@example.com</strong>" in page
    invite.refresh_from_db()
    assert invite.is_usable


def test_an_unknown_token_says_the_link_is_not_valid(client, alice, counts):
    page = open_link(client, "x" * 43, counts, 404)
    assert "This invitation link is not valid" in page


def test_an_existing_owner_with_the_invited_address_cannot_join_with_their_account(client_for, alice, make_user, invite_for, counts):
    _, token = invite_for(alice, "ada@example.com")
    ada = make_user("ada@example.com")
    page = open_link(client_for(ada), token, counts, 409)
    assert "You already have your own account" in page


def test_a_member_of_another_team_cannot_join_a_second_team(client_for, alice, charlie, make_user, invite_for, counts):
    _, token = invite_for(alice, "ada@example.com")
    ada = make_user("ada@example.com", owner=charlie)
    page = open_link(client_for(ada), token, counts, 409)
    assert "You are already in another team" in page


def test_a_revoked_invite_is_not_used_at_registration(alice, invite_for):
    invite_for(alice, "ada@example.com", status=TeamInvite.Status.REVOKED, revoked_at=timezone.now())
    ada, _ = user_upsert_from_auth0(sub="auth0|ada", email="ada@example.com")
    assert ada.is_owner
