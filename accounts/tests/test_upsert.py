"""`user_upsert_from_auth0`: the one upsert behind the webhook, first login and sync-user."""

import threading

import pytest
from django.db import connection

from accounts.models import User
from accounts.services import user_upsert_from_auth0
from accounts.signals import account_owner_created, email_verified, user_registered


@pytest.fixture
def owner_announcements():
    seen = []

    def receiver(sender, user, **kwargs):
        seen.append(user.pk)

    account_owner_created.connect(receiver, dispatch_uid="test-upsert-owner")
    yield seen
    account_owner_created.disconnect(dispatch_uid="test-upsert-owner")


@pytest.mark.django_db
def test_creates_once_then_finds_the_same_user(owner_announcements):
    user, created = user_upsert_from_auth0(sub="auth0|abc123", email="Dana@EXAMPLE.com", name="Dana")
    again, created_again = user_upsert_from_auth0(sub="auth0|abc123", email="Dana@example.com", name="Dana")

    assert (created, created_again) == (True, False)
    assert again.pk == user.pk
    assert user.email == "Dana@example.com"  # the domain part is normalised
    assert owner_announcements == [user.pk]


@pytest.mark.django_db
def test_an_empty_name_or_email_never_erases_a_known_one():
    user_upsert_from_auth0(sub="auth0|abc123", email="dana@example.com", name="Dana Scully")

    user, _ = user_upsert_from_auth0(sub="auth0|abc123", email="", name="")

    assert (user.email, user.name) == ("dana@example.com", "Dana Scully")


@pytest.mark.django_db
def test_email_verified_is_kept_unless_the_caller_knows_better():
    user_upsert_from_auth0(sub="auth0|abc123", email="dana@example.com", email_verified=True)

    same, _ = user_upsert_from_auth0(sub="auth0|abc123", email="dana@example.com")
    assert same.email_verified is True
    moved, _ = user_upsert_from_auth0(sub="auth0|abc123", email="dana@new.example")
    assert moved.email_verified is False  # a new address nobody vouched for yet
    verified, _ = user_upsert_from_auth0(sub="auth0|abc123", email="dana@new.example", email_verified=True)
    assert verified.email_verified is True


@pytest.mark.django_db
def test_email_verified_is_announced_each_time_auth0_newly_vouches_for_the_current_address():
    vouched = []

    def receiver(sender, user, **kwargs):
        vouched.append((user.email, user.email_verified))

    email_verified.connect(receiver, dispatch_uid="test-upsert-email-verified")
    try:
        user_upsert_from_auth0(sub="auth0|abc123", email="dana@example.com")  # webhook: not said
        user_upsert_from_auth0(sub="auth0|abc123", email="dana@example.com", email_verified=False)
        user_upsert_from_auth0(sub="auth0|abc123", email="dana@example.com", email_verified=True)
        user_upsert_from_auth0(sub="auth0|abc123", email="dana@example.com", email_verified=True)
        user_upsert_from_auth0(sub="auth0|abc123", email="dana@new.example", email_verified=True)
        user_upsert_from_auth0(sub="auth0|new456", email="erin@example.com", email_verified=True)  # creation
    finally:
        email_verified.disconnect(dispatch_uid="test-upsert-email-verified")

    assert vouched == [("dana@example.com", True), ("dana@new.example", True)]


@pytest.mark.django_db
def test_a_registration_receiver_sees_the_new_user_before_the_owner_announcement(alice, owner_announcements):
    order = []

    def make_member(sender, user, **kwargs):
        order.append("user_registered")
        user.account_owner = alice
        user.save(update_fields=["account_owner"])

    user_registered.connect(make_member, dispatch_uid="test-upsert-member")
    try:
        user, created = user_upsert_from_auth0(sub="auth0|member1", email="erin@example.com")
    finally:
        user_registered.disconnect(dispatch_uid="test-upsert-member")

    assert created and order == ["user_registered"]
    assert User.objects.get(pk=user.pk).account_owner == alice
    assert owner_announcements == []


@pytest.mark.django_db(transaction=True)
def test_webhook_and_first_login_racing_make_one_user_and_one_announcement(
    owner_announcements, stripe_sandbox
):
    barrier = threading.Barrier(4)
    results, errors = [], []

    def upsert():
        try:
            barrier.wait()
            results.append(user_upsert_from_auth0(sub="auth0|race", email="race@example.com", name="Race"))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=upsert) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert errors == []
    assert User.objects.filter(auth0_sub="auth0|race").count() == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert len({user.pk for user, _ in results}) == 1
    assert len(owner_announcements) == 1
