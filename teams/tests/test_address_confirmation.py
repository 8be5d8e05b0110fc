"""An invited address must be proven before its member gets a seat and a Hopsworks account.

Auth0 lets anyone sign up with any address before verifying it, so joining at registration makes a
member without a seat; the seat follows once the person opens the invitation link (only the mailbox
has it) while signed in with the address, or Auth0 says the address is verified. Against the Auth0
and Hopsworks sandboxes; provisioning runs the way the worker runs it (the service, per seated user).
"""

import pytest

from accounts.models import User
from accounts.services import user_upsert_from_auth0
from clusters.models import UserHopsworksAssignment
from clusters.provisioning import hopsworks_account_provision
from clusters.services import assignment_request, waiting_assign
from sandbox.oidc.store import sub_for
from teams.models import TeamDeparture

pytestmark = pytest.mark.django_db

ADA = "ada@example.com"
CONFIRM_MESSAGE = f"Confirm your email address: open the invitation link we sent to {ADA}"


@pytest.fixture
def seated_alice(alice, hopsworks_cluster):
    """Alice with a card and a seat on the cluster behind the Hopsworks sandbox."""
    alice.card_on_file = True
    alice.save(update_fields=["card_on_file"])
    assert assignment_request(user=alice).cluster == hopsworks_cluster
    return alice


@pytest.fixture
def invited(seated_alice, invite_for):
    """Alice's pending invite of ADA: (invite, token)."""
    return invite_for(seated_alice, ADA)


@pytest.fixture
def idp_user(auth0_sandbox):
    """idp_user(email, verified) → the Auth0 sandbox's user for `email`, with that email_verified."""

    def make(email, *, verified):
        user, _ = auth0_sandbox.app.idp.user_create(email=email, name="Ada Lovelace")
        user.email_verified = verified
        return user

    return make


@pytest.fixture
def webhook_registration(client, auth0_sandbox, settings):
    """Auth0's registration webhook for an address (it says nothing about verification)."""

    def post(email):
        response = client.post(
            "/api/webhooks/auth0", {"user_id": sub_for(email), "email": email, "name": "Ada Lovelace"},
            content_type="application/json", headers={"x-auth0-secret": settings.AUTH0_WEBHOOK_SECRET},
        )
        assert response.status_code in (200, 201), response.content
        return User.objects.get(auth0_sub=sub_for(email))

    return post


def provision_seated():
    """What the Celery worker does with each provisioning message: the service, per seated user."""
    for user_id in UserHopsworksAssignment.objects.filter(state__in=("pending", "provisioning")).values_list("user_id", flat=True):
        hopsworks_account_provision(user_id=user_id)


def hopsworks_accounts_of(hopsworks_sandbox, email):
    return [username for username, address in hopsworks_sandbox.store.usernames_created() if address == email]


def test_a_webhook_registration_of_an_invited_address_makes_a_member_without_a_seat_or_hopsworks_account(
    client_for, invited, seated_alice, hopsworks_sandbox, hopsworks_cluster, webhook_registration
):
    invite, _ = invited

    ada = webhook_registration(ADA)

    assert ada.account_owner == seated_alice and not ada.stripe_customer_id
    invite.refresh_from_db()
    assert invite.status == "accepted" and invite.accepted_by == ada and invite.confirmed_at is None
    assert not UserHopsworksAssignment.objects.filter(user=ada).exists()
    provision_seated()
    assert hopsworks_account_provision(user_id=ada.pk) is None  # even a stray message creates nothing
    assert hopsworks_accounts_of(hopsworks_sandbox, ADA) == []
    page = client_for(ada).get("/dashboard/")
    assert page.status_code == 200
    assert CONFIRM_MESSAGE in page.content.decode() and hopsworks_cluster.name not in page.content.decode()


def test_the_members_later_sign_in_with_a_verified_address_seats_them_with_exactly_one_hopsworks_account(
    client, auth0_sign_in, idp_user, invited, hopsworks_sandbox, hopsworks_cluster, webhook_registration
):
    invite, token = invited
    ada = webhook_registration(ADA)
    idp_user(ADA, verified=True)

    response = auth0_sign_in(client, ADA)

    assert response.status_code == 302
    assert UserHopsworksAssignment.objects.get(user=ada).cluster == hopsworks_cluster
    invite.refresh_from_db()
    assert invite.confirmed_at is not None
    provision_seated()
    ada.refresh_from_db()
    assert hopsworks_accounts_of(hopsworks_sandbox, ADA) == [ada.hopsworks_username]
    assert hopsworks_cluster.name in client.get("/dashboard/").content.decode()

    # Signing in again and opening the link again change nothing: one seat, one account.
    client.post("/logout/")
    auth0_sign_in(client, ADA)
    assert client.get(f"/team/join/{token}/")["Location"] == "/dashboard/"
    provision_seated()
    assert UserHopsworksAssignment.objects.filter(user=ada).count() == 1
    assert hopsworks_accounts_of(hopsworks_sandbox, ADA) == [ada.hopsworks_username]


def test_opening_the_invite_link_and_signing_in_with_the_address_seats_them_even_when_email_verified_is_false(
    client, auth0_sign_in, idp_user, invited, hopsworks_sandbox, hopsworks_cluster, webhook_registration
):
    invite, token = invited
    ada = webhook_registration(ADA)
    idp_user(ADA, verified=False)

    link = client.get(f"/team/join/{token}/")
    assert link.status_code == 200 and "Sign in to confirm" in link.content.decode()
    back = auth0_sign_in(client, ADA, start=link.context["login_url"])
    assert back["Location"] == "/team/join/"
    response = client.get(back["Location"])

    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    ada.refresh_from_db()
    assert ada.email_verified is False
    assert UserHopsworksAssignment.objects.get(user=ada).cluster == hopsworks_cluster
    invite.refresh_from_db()
    assert invite.confirmed_at is not None
    provision_seated()
    assert len(hopsworks_accounts_of(hopsworks_sandbox, ADA)) == 1
    assert "Your address is confirmed" in client.get("/dashboard/").content.decode()


def test_a_strangers_unverified_registration_for_the_invited_address_gets_no_seat_and_shows_unconfirmed_to_the_owner(
    client, client_for, auth0_sign_in, idp_user, invited, seated_alice, hopsworks_sandbox, root
):
    idp_user(ADA, verified=False)  # someone else signed up at Auth0 with Ada's address

    auth0_sign_in(client, ADA)

    stranger = User.objects.get(email=ADA)
    assert stranger.account_owner == seated_alice and not stranger.email_verified
    # Seats freed or an owner seated later do not reach them either.
    waiting_assign()
    waiting_assign(owner=seated_alice)
    assert not UserHopsworksAssignment.objects.filter(user=stranger).exists()
    provision_seated()
    assert hopsworks_accounts_of(hopsworks_sandbox, ADA) == []
    assert CONFIRM_MESSAGE in client.get("/dashboard/").content.decode()
    team_page = client_for(seated_alice).get("/team/").content.decode()
    assert ADA in team_page and "Address not confirmed" in team_page
    admin_page = client_for(root).get(f"/admin47392/users/{stranger.pk}/").content.decode()
    assert "Address not confirmed" in admin_page


def test_the_owner_can_remove_a_member_whose_address_is_not_confirmed(client_for, invited, seated_alice, webhook_registration):
    _, token = invited
    stranger = webhook_registration(ADA)
    owner = client_for(seated_alice)

    assert "Remove Ada Lovelace from your team?" in owner.get(f"/team/members/{stranger.pk}/remove/").content.decode()
    response = owner.post(f"/team/members/{stranger.pk}/remove/")

    assert response.status_code == 302
    stranger.refresh_from_db()
    assert stranger.account_owner is None
    assert TeamDeparture.objects.filter(user=stranger, owner=seated_alice, reason="removed").exists()
    assert not UserHopsworksAssignment.objects.filter(user=stranger, cluster__isnull=False).exists()
    team_page = owner.get("/team/").content.decode()
    assert f"{ADA} was removed from your team" in team_page and "Address not confirmed" not in team_page
    # The link no longer brings them back in.
    assert client_for(stranger).get(f"/team/join/{token}/").status_code == 410
    stranger.refresh_from_db()
    assert stranger.account_owner is None
    assert not UserHopsworksAssignment.objects.filter(user=stranger, cluster__isnull=False).exists()


def test_auth0_verifying_a_different_address_than_the_invited_one_seats_nobody(invited, webhook_registration):
    ada = webhook_registration(ADA)

    user_upsert_from_auth0(sub=ada.auth0_sub, email="someone.else@example.com", email_verified=True)

    assert not UserHopsworksAssignment.objects.filter(user=ada).exists()


def test_the_invite_link_opened_by_someone_else_signed_in_confirms_nothing(client_for, charlie, invited, webhook_registration):
    _, token = invited
    ada = webhook_registration(ADA)

    response = client_for(charlie).get(f"/team/join/{token}/")

    assert response.status_code == 410 and "This invitation has already been used" in response.content.decode()
    assert not UserHopsworksAssignment.objects.filter(user=ada).exists()
