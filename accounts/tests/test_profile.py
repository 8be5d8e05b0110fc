"""The profile page: name, email, sign-out, and who the account owner is for members."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_owner_sees_name_email_and_a_sign_out_button(client, alice):
    client.force_login(alice)

    html = client.get("/profile/").content.decode()

    assert "Alice Owner" in html and "alice@example.com" in html
    assert "Account owner" in html
    assert 'action="/logout/"' in html and "Sign out" in html


def test_a_member_sees_who_their_account_owner_is(client, bob):
    client.force_login(bob)

    html = client.get("/profile/").content.decode()

    assert "Bob Member" in html
    assert "Team member of Alice Owner (alice@example.com)" in html


def test_signed_out_visitors_are_sent_to_sign_in(client):
    resp = client.get("/profile/")

    assert resp.status_code == 302 and resp["Location"] == "/login/?next=/profile/"


def test_profile_page_is_read_only(client, alice):
    client.force_login(alice)

    assert client.post("/profile/").status_code == 405
