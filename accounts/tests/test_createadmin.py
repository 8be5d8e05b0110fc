"""`manage.py createadmin EMAIL` (`make createadmin EMAIL=...`)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("createadmin", *args, stdout=out)
    return out.getvalue()


def test_marks_the_user_with_that_email_as_admin(alice, charlie):
    out = run("Alice@Example.com")

    alice.refresh_from_db(), charlie.refresh_from_db()
    assert alice.is_admin and not charlie.is_admin
    assert "alice@example.com" in out and "is now an admin" in out


def test_running_it_twice_says_so_and_keeps_the_admin(alice):
    run("alice@example.com")

    assert "already an admin" in run("alice@example.com")
    alice.refresh_from_db()
    assert alice.is_admin


def test_an_unknown_email_is_a_clear_error_and_changes_nothing(alice):
    with pytest.raises(CommandError, match="No user with email nobody@example.com. They must sign in once"):
        run("nobody@example.com")
    alice.refresh_from_db()
    assert not alice.is_admin


def test_an_empty_email_is_a_clear_error():
    with pytest.raises(CommandError, match="Give the email"):
        run("")


def test_two_users_sharing_an_email_need_the_auth0_id(make_user):
    first = make_user("dup@example.com", auth0_sub="auth0|aaa")
    second = make_user("dup@example.com", auth0_sub="google-oauth2|bbb")

    with pytest.raises(CommandError, match="choose one with --sub"):
        run("dup@example.com")
    run("dup@example.com", "--sub", "google-oauth2|bbb")

    first.refresh_from_db(), second.refresh_from_db()
    assert (first.is_admin, second.is_admin) == (False, True)
