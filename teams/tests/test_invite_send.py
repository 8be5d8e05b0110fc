"""Owners invite one or more addresses; every refusal says why and sends nothing."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from teams.models import TeamInvite
from teams.tokens import invite_token_hash

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver/team/join/([A-Za-z0-9_\-]+)/")


def invite(client, *emails):
    return client.post("/team/invites/", {"emails": ", ".join(emails)})


def links_in(message):
    return LINK.findall(message.body)


def test_an_invite_emails_a_single_use_link_and_stores_only_the_token_hash(client_for, alice):
    response = invite(client_for(alice), "Ada@Example.com")

    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
    assert "Alice Owner" in message.subject
    (token,) = links_in(message)
    row = TeamInvite.objects.get()
    assert row.email == "ada@example.com"
    assert row.token_hash == invite_token_hash(token)
    assert token not in row.token_hash
    assert all(token not in str(value) for value in TeamInvite.objects.values().get().values())
    assert row.expires_at - row.sent_at == timedelta(days=7)
    assert message.alternatives and token in message.alternatives[0][0]


def test_several_addresses_get_an_invite_each_and_no_two_share_a_token(client_for, alice):
    invite(client_for(alice), "a@example.com", "b@example.com\nc@example.com; a@example.com")

    assert sorted(TeamInvite.objects.values_list("email", flat=True)) == ["a@example.com", "b@example.com", "c@example.com"]
    tokens = [links_in(m)[0] for m in mail.outbox]
    assert len(tokens) == 3 and len(set(tokens)) == 3
    assert len(set(TeamInvite.objects.values_list("token_hash", flat=True))) == 3


def test_the_team_page_lists_the_new_invite_as_pending(client_for, alice):
    client = client_for(alice)
    invite(client, "ada@example.com")
    page = client.get("/team/").content.decode()
    assert "ada@example.com" in page and "Pending" in page


def refused(client, counts, *emails):
    before = counts()
    response = invite(client, *emails)
    assert response.status_code == 400
    assert counts() == before
    assert mail.outbox == []
    return response.content.decode()


def test_a_malformed_address_is_refused_by_name(client_for, alice, counts):
    page = refused(client_for(alice), counts, "not-an-address", "ok@example.com")
    assert "“not-an-address” is not a valid email address." in page
    assert "Nothing was sent" in page
    assert 'class="field has-error"' in page


def test_an_empty_form_is_refused(client_for, alice, counts):
    page = refused(client_for(alice), counts, " , ")
    assert "Enter at least one email address." in page


def test_inviting_yourself_is_refused(client_for, alice, counts):
    page = refused(client_for(alice), counts, "ALICE@example.com")
    assert "That is your own address" in page


def test_inviting_an_existing_member_is_refused(client_for, alice, bob, counts):
    page = refused(client_for(alice), counts, "bob@example.com")
    assert "bob@example.com is already a member of your team." in page


def test_inviting_the_owner_of_another_account_is_refused(client_for, alice, charlie, counts):
    page = refused(client_for(alice), counts, "charlie@example.com")
    assert "charlie@example.com already has their own Hopsworks Managed account" in page


def test_inviting_a_member_of_another_team_is_refused(client_for, alice, charlie, make_user, counts):
    make_user("dora@example.com", owner=charlie)
    page = refused(client_for(alice), counts, "dora@example.com")
    assert "dora@example.com is already a member of another team." in page


def test_inviting_an_address_with_a_pending_invite_is_refused(client_for, alice, invite_for, counts):
    invite_for(alice, "ada@example.com")
    page = refused(client_for(alice), counts, "ada@example.com")
    assert "ada@example.com already has a pending invite; use Resend" in page


def test_more_than_the_pending_limit_is_refused(client_for, alice, invite_for, counts, settings):
    settings.TEAM_INVITE_MAX_PENDING = 3
    invite_for(alice, "one@example.com")
    invite_for(alice, "two@example.com")
    page = refused(client_for(alice), counts, "three@example.com", "four@example.com")
    assert "at most 3 pending invites; you have 2, so there is room for 1 more" in page


def test_more_sends_per_hour_than_allowed_are_refused(client_for, alice, counts, settings):
    settings.TEAM_INVITE_SENDS_PER_HOUR = 2
    client = client_for(alice)
    assert invite(client, "one@example.com", "two@example.com").status_code == 302
    mail.outbox.clear()
    page = refused(client, counts, "three@example.com")
    assert "at most 2 invitation emails per hour (0 left this hour)" in page


def test_a_refused_form_does_not_use_up_the_hourly_allowance(client_for, alice, settings):
    settings.TEAM_INVITE_SENDS_PER_HOUR = 1
    client = client_for(alice)
    assert invite(client, "bad address").status_code == 400
    assert invite(client, "ok@example.com").status_code == 302


def test_an_expired_invite_is_renewed_with_a_new_link_when_invited_again(client_for, alice, invite_for):
    old, old_token = invite_for(alice, "ada@example.com", expires_at=timezone.now() - timedelta(days=1))
    assert invite(client_for(alice), "ada@example.com").status_code == 302
    old.refresh_from_db()
    assert TeamInvite.objects.count() == 1
    assert old.is_usable and old.token_hash != invite_token_hash(old_token)
    assert links_in(mail.outbox[0])[0] != old_token


def test_the_invitation_travels_over_real_smtp_to_the_mail_sink(client_for, alice, smtp_sink):
    assert invite(client_for(alice), "ada@example.com").status_code == 302
    (received,) = smtp_sink.app.mailbox.messages(to="ada@example.com")
    (token,) = LINK.findall(received["text"])
    assert TeamInvite.objects.get().token_hash == invite_token_hash(token)
    assert received["reply_to"] == "alice@example.com"


def test_a_mail_server_refusing_the_invitation_leaves_nothing_behind(client_for, alice, smtp_sink, counts):
    smtp_sink.app.mailbox.refuse = True
    client = client_for(alice)
    before = counts()

    response = invite(client, "ada@example.com")

    assert response.status_code == 503
    assert "could not be sent" in response.content.decode()
    assert counts() == before
    smtp_sink.app.mailbox.refuse = False
    assert invite(client, "ada@example.com").status_code == 302


def test_renewing_expired_invites_counts_against_the_pending_limit(client_for, alice, invite_for, counts, settings):
    settings.TEAM_INVITE_MAX_PENDING = 1
    invite_for(alice, "one@example.com")
    invite_for(alice, "old@example.com", expires_at=timezone.now() - timedelta(days=1))
    page = refused(client_for(alice), counts, "old@example.com")
    assert "at most 1 pending invites; you have 1, so there is room for 0 more" in page


def test_an_owner_name_with_a_line_break_still_makes_a_one_line_subject(client_for, make_user):
    owner = make_user("eve@example.com", name="Eve\nBcc: victim@example.com")
    assert invite(client_for(owner), "ada@example.com").status_code == 302
    (message,) = mail.outbox
    assert "\n" not in message.subject and message.subject.startswith("Eve Bcc: victim@example.com invited you")
    assert message.recipients() == ["ada@example.com"]
