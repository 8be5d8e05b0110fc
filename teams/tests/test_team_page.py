"""The owner's team page: members, pending invites (resend, revoke), removing a member; members leave."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from clusters.models import UserHopsworksAssignment
from teams.models import TeamDeparture, TeamInvite
from teams.tokens import invite_token_hash

pytestmark = pytest.mark.django_db


def test_the_team_page_lists_members_with_their_joined_date(client_for, alice, bob, invite_for):
    invite, _ = invite_for(alice, "bob@example.com", status="accepted", accepted_by=bob,
                           accepted_at=timezone.now() - timedelta(days=3))
    page = client_for(alice).get("/team/").content.decode()
    assert "Bob Member" in page and "bob@example.com" in page
    assert f"{invite.accepted_at:%-d %b %Y}" in page


def test_a_team_without_members_or_invites_shows_empty_states(client_for, alice):
    page = client_for(alice).get("/team/").content.decode()
    assert "No members yet." in page and "No pending invites." in page


def test_the_team_page_query_count_does_not_grow_with_the_team(client_for, alice, make_user, invite_for, django_assert_max_num_queries):
    client = client_for(alice)
    for i in range(2):
        make_user(f"m{i}@example.com", owner=alice)
        invite_for(alice, f"p{i}@example.com")
    with django_assert_max_num_queries(12) as small:
        client.get("/team/")
    for i in range(2, 12):
        make_user(f"m{i}@example.com", owner=alice)
        invite_for(alice, f"p{i}@example.com")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/team/").status_code == 200


def test_resend_emails_a_new_link_and_the_old_link_stops_working(client_for, client, alice, invite_for):
    invite, old_token = invite_for(alice, "ada@example.com")

    response = client_for(alice).post(f"/team/invites/{invite.pk}/resend/")

    assert response.status_code == 302
    (message,) = mail.outbox
    new_token = re.search(r"/team/join/([\w\-]+)/", message.body).group(1)
    invite.refresh_from_db()
    assert invite.token_hash == invite_token_hash(new_token) and invite.send_count == 2
    assert client.get(f"/team/join/{old_token}/").status_code == 404
    assert client.get(f"/team/join/{new_token}/").status_code == 200


def test_revoke_withdraws_the_invite_and_its_link_says_so(client_for, client, alice, invite_for):
    invite, token = invite_for(alice, "ada@example.com")

    assert client_for(alice).post(f"/team/invites/{invite.pk}/revoke/").status_code == 302

    invite.refresh_from_db()
    assert invite.status == "revoked" and invite.revoked_at
    assert "withdrawn" in client.get(f"/team/join/{token}/").content.decode()


def test_revoking_twice_is_refused_with_a_message(client_for, alice, invite_for, counts):
    invite, _ = invite_for(alice, "ada@example.com", status="revoked", revoked_at=timezone.now())
    before = counts()
    response = client_for(alice).post(f"/team/invites/{invite.pk}/revoke/")
    assert response.status_code == 400 and "was already revoked" in response.content.decode()
    assert counts() == before


def test_another_owners_invite_cannot_be_resent_or_revoked(client_for, alice, charlie, invite_for, counts):
    invite, _ = invite_for(alice, "ada@example.com")
    before = counts()
    client = client_for(charlie)
    assert client.post(f"/team/invites/{invite.pk}/resend/").status_code == 404
    assert client.post(f"/team/invites/{invite.pk}/revoke/").status_code == 404
    assert counts() == before and mail.outbox == []


def test_removing_a_member_asks_for_confirmation_first(client_for, alice, bob, seated_team, counts):
    before = counts()
    page = client_for(alice).get(f"/team/members/{bob.pk}/remove/")
    assert page.status_code == 200 and "Remove Bob Member from your team?" in page.content.decode()
    assert counts() == before


def test_a_removed_member_loses_their_seat_and_is_told_on_their_next_visit(client_for, alice, bob, seated_team):
    assert UserHopsworksAssignment.objects.get(user=bob).cluster == seated_team

    response = client_for(alice).post(f"/team/members/{bob.pk}/remove/")

    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.account_owner is None
    assert UserHopsworksAssignment.objects.get(user=bob).cluster is None
    bob_client = client_for(bob)
    first = bob_client.get("/team/").content.decode()
    assert "Alice Owner removed you from their team" in first
    assert "removed you" not in bob_client.get("/team/").content.decode()


def test_removing_someone_who_is_not_your_member_is_refused(client_for, alice, charlie, make_user, counts):
    dora = make_user("dora@example.com", owner=charlie)
    before = counts()
    assert client_for(alice).post(f"/team/members/{dora.pk}/remove/").status_code == 404
    assert client_for(alice).post(f"/team/members/{charlie.pk}/remove/").status_code == 404
    assert counts() == before


def test_a_member_sees_who_their_owner_is(client_for, bob):
    page = client_for(bob).get("/team/membership/").content.decode()
    assert "You are a member of <strong>Alice Owner</strong>" in page


def test_a_member_can_leave_after_confirming(client_for, alice, bob, seated_team):
    client = client_for(bob)
    assert "Leave Alice Owner" in client.get("/team/leave/").content.decode()
    assert User.objects.get(pk=bob.pk).account_owner == alice

    response = client.post("/team/leave/")

    assert response.status_code == 302
    assert User.objects.get(pk=bob.pk).account_owner is None
    assert UserHopsworksAssignment.objects.get(user=bob).cluster is None
    departure = TeamDeparture.objects.get(user=bob)
    assert departure.reason == "left" and departure.notified_at is not None


def test_the_invite_form_is_shown_with_a_count_of_pending_invites(client_for, alice, invite_for):
    invite_for(alice, "ada@example.com")
    invite_for(alice, "old@example.com", expires_at=timezone.now() - timedelta(days=1))
    page = client_for(alice).get("/team/").content.decode()
    assert "Expired" in page and "(2 of at most 50)" in page
    assert TeamInvite.objects.count() == 2


def test_a_member_who_leaves_is_announced_as_a_new_account_owner(client_for, bob, seated_team):
    from accounts.signals import account_owner_created

    announced = []
    account_owner_created.connect(lambda sender, user, **kw: announced.append(user.pk), dispatch_uid="test-leave", weak=False)
    try:
        client_for(bob).post("/team/leave/")
    finally:
        account_owner_created.disconnect(dispatch_uid="test-leave")
    assert announced == [bob.pk]
