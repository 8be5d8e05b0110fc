"""The app verifies Auth0 ID tokens as it would Auth0's: signature against the JWKS, issuer,
audience, expiry — through the real allauth callback, with a tampered sandbox IdP."""

import time

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


def _refused(client, resp):
    assert resp.status_code == 401
    assert "We could not sign you in" in resp.content.decode()
    assert User.objects.count() == 0
    assert "_auth_user_id" not in client.session


def test_an_id_token_signed_with_a_key_not_in_the_jwks_is_refused(client, auth0_sandbox, auth0_sign_in):
    auth0_sandbox.app.idp.switches["sign_with_unknown_key"] = True

    _refused(client, auth0_sign_in(client, "mallory@example.com", "Mallory"))


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://evil.example/"},
        {"aud": "some-other-application"},
        {"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600},
    ],
    ids=["wrong issuer", "wrong audience", "expired"],
)
def test_an_id_token_with_wrong_issuer_audience_or_expiry_is_refused(client, auth0_sandbox, auth0_sign_in, claims):
    auth0_sandbox.app.idp.switches["id_token_claims"] = claims

    _refused(client, auth0_sign_in(client, "mallory@example.com", "Mallory"))


def test_the_same_sign_in_succeeds_once_the_sandbox_signs_honestly_again(client, auth0_sandbox, auth0_sign_in):
    auth0_sandbox.app.idp.switches["sign_with_unknown_key"] = True
    _refused(client, auth0_sign_in(client, "mallory@example.com", "Mallory"))

    auth0_sandbox.app.idp.switches_reset()
    resp = auth0_sign_in(client, "mallory@example.com", "Mallory")

    assert resp["Location"] == "/dashboard/"
    assert User.objects.get().email == "mallory@example.com"
