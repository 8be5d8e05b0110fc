"""Sign-in through Auth0 (the sandbox IdP) with allauth's openid_connect provider."""

import pytest

from accounts.models import User
from sandbox.oidc.store import sub_for

pytestmark = pytest.mark.django_db


def test_first_login_creates_the_user_keyed_by_the_auth0_subject(client, auth0_sandbox, auth0_sign_in):
    resp = auth0_sign_in(client, "dana@example.com", "Dana Scully")

    assert resp.status_code == 302 and resp["Location"] == "/dashboard/"
    user = User.objects.get()
    assert (user.auth0_sub, user.email, user.name) == (sub_for("dana@example.com"), "dana@example.com", "Dana Scully")
    assert user.email_verified is True
    assert client.get("/dashboard/").status_code == 200
