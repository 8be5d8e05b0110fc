"""Sign-in through Auth0 (the sandbox IdP) with allauth's openid_connect provider."""

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

from accounts.models import User
from accounts.signals import account_owner_created, user_registered
from sandbox.oidc.store import sub_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def announcements():
    seen = []

    def owner(sender, user, **kwargs):
        seen.append(("account_owner_created", user.pk))

    def registered(sender, user, **kwargs):
        seen.append(("user_registered", user.pk))

    user_registered.connect(registered, dispatch_uid="test-login-registered")
    account_owner_created.connect(owner, dispatch_uid="test-login-owner")
    yield seen
    user_registered.disconnect(dispatch_uid="test-login-registered")
    account_owner_created.disconnect(dispatch_uid="test-login-owner")


def test_first_login_creates_the_user_keyed_by_the_auth0_subject(client, auth0_sign_in):
    resp = auth0_sign_in(client, "dana@example.com", "Dana Scully")

    assert resp.status_code == 302 and resp["Location"] == "/dashboard/"
    user = User.objects.get()
    assert (user.auth0_sub, user.email, user.name) == (sub_for("dana@example.com"), "dana@example.com", "Dana Scully")
    assert user.email_verified is True
    assert client.get("/dashboard/").context["user"] == user


def test_first_login_announces_a_new_account_owner_once(client, auth0_sign_in, announcements):
    auth0_sign_in(client, "dana@example.com", "Dana Scully")
    client.post("/logout/")
    auth0_sign_in(client, "dana@example.com")

    user = User.objects.get()
    assert announcements == [("user_registered", user.pk), ("account_owner_created", user.pk)]


def test_no_owner_announcement_when_a_registration_receiver_made_the_user_a_member(
    client, auth0_sign_in, announcements, alice
):
    def join_alice(sender, user, **kwargs):
        user.account_owner = alice
        user.save(update_fields=["account_owner"])

    user_registered.connect(join_alice, dispatch_uid="test-join-alice")
    try:
        auth0_sign_in(client, "erin@example.com", "Erin Invited")
    finally:
        user_registered.disconnect(dispatch_uid="test-join-alice")

    erin = User.objects.get(email="erin@example.com")
    assert erin.account_owner == alice
    assert announcements == [("user_registered", erin.pk)]


def test_signing_in_again_keeps_one_user_and_one_linked_auth0_account(client, auth0_sign_in):
    auth0_sign_in(client, "dana@example.com", "Dana Scully")
    client.post("/logout/")
    resp = auth0_sign_in(client, "dana@example.com")

    assert resp["Location"] == "/dashboard/"
    assert User.objects.count() == 1
    assert SocialAccount.objects.filter(provider="auth0", uid=sub_for("dana@example.com")).count() == 1


def test_email_and_name_changed_at_auth0_are_taken_over_on_the_next_login(client, auth0_sandbox, auth0_sign_in):
    auth0_sign_in(client, "dana@example.com", "Dana Scully")
    client.post("/logout/")
    requests.post(f"{auth0_sandbox.url}/_sandbox/users/update", timeout=5,
                  json={"email": "dana@example.com", "name": "Dana Katherine Scully", "new_email": "dana@fbi.example"})

    auth0_sign_in(client, "dana@fbi.example")

    user = User.objects.get()
    assert (user.email, user.name) == ("dana@fbi.example", "Dana Katherine Scully")


def test_an_existing_user_with_the_same_email_but_another_subject_is_not_taken_over(client, auth0_sign_in, make_user):
    other = make_user("dana@example.com", name="Dana From Google", auth0_sub="google-oauth2|1234")

    auth0_sign_in(client, "dana@example.com", "Dana Scully")

    me = User.objects.get(auth0_sub=sub_for("dana@example.com"))
    assert me.pk != other.pk
    assert client.get("/dashboard/").context["user"] == me
    other.refresh_from_db()
    assert other.name == "Dana From Google"


def test_a_demo_user_known_to_auth0_gets_an_account_on_first_login(client, auth0_sandbox, auth0_sign_in):
    resp = auth0_sign_in(client, "alice@example.com")

    assert resp["Location"] == "/dashboard/"
    assert User.objects.get().name == "Alice Owner"


def test_login_page_sends_signed_in_people_to_the_dashboard_or_next(client, alice):
    client.force_login(alice)

    assert client.get("/login/")["Location"] == "/dashboard/"
    assert client.get("/login/?next=/profile/")["Location"] == "/profile/"
    assert client.get("/login/?next=https://evil.example/")["Location"] == "/dashboard/"


def test_pages_behind_sign_in_come_back_after_auth0_login(client, auth0_sign_in):
    first = client.get("/profile/")
    assert first.status_code == 302 and first["Location"] == "/login/?next=/profile/"

    idp = requests.Session()
    resp = client.get(first["Location"])
    resp = client.get(resp["Location"])
    page = idp.post(resp["Location"], data={"email": "dana@example.com", "name": "Dana"}, allow_redirects=False)
    callback = page.headers["Location"].removeprefix("http://testserver")

    assert client.get(callback)["Location"] == "/profile/"


def test_cancelling_at_auth0_shows_a_clear_page_and_signs_nobody_in(client, auth0_sandbox):
    resp = client.get("/accounts/oidc/auth0/login/")
    state = requests.utils.urlparse(resp["Location"]).query.split("state=")[1].split("&")[0]

    page = client.get(f"/accounts/oidc/auth0/login/callback/?error=access_denied&state={state}")

    assert page.status_code == 401
    assert "Sign-in cancelled" in page.content.decode()
    assert User.objects.count() == 0
