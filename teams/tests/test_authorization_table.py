"""Who may open what: every team and billing URL × anonymous, member, owner, admin.

Cast: bob is alice's member, alice an owner, root an admin (an owner of his own account).
A URL added to the teams or billing apps without a row here fails the completeness test.
"""

import pytest
from django.urls import URLPattern, get_resolver

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "member", "owner", "admin")
SIGN_IN = 302  # pages send the signed-out to /login/?next=...

# name: (method, path template, data, {role: status}). {invite}, {member}, {token} are filled per test.
TABLE = {
    "teams:team": ("get", "/team/", None, dict(anonymous=SIGN_IN, member=403, owner=200, admin=200)),
    "teams:invite_send": ("post", "/team/invites/", {"emails": "new@example.com"},
                          dict(anonymous=SIGN_IN, member=403, owner=302, admin=302)),
    "teams:invite_resend": ("post", "/team/invites/{invite}/resend/", None,
                            dict(anonymous=SIGN_IN, member=403, owner=302, admin=404)),
    "teams:invite_revoke": ("post", "/team/invites/{invite}/revoke/", None,
                            dict(anonymous=SIGN_IN, member=403, owner=302, admin=404)),
    "teams:member_remove": ("get", "/team/members/{member}/remove/", None,
                            dict(anonymous=SIGN_IN, member=403, owner=200, admin=404)),
    "teams:member_remove POST": ("post", "/team/members/{member}/remove/", None,
                                 dict(anonymous=SIGN_IN, member=403, owner=302, admin=404)),
    "teams:membership": ("get", "/team/membership/", None, dict(anonymous=SIGN_IN, member=200, owner=403, admin=403)),
    "teams:leave": ("get", "/team/leave/", None, dict(anonymous=SIGN_IN, member=200, owner=403, admin=403)),
    "teams:leave POST": ("post", "/team/leave/", None, dict(anonymous=SIGN_IN, member=302, owner=403, admin=403)),
    # The invitation link is public (the token is the credential); it is for ada@ only.
    "teams:join": ("get", "/team/join/{token}/", None, dict(anonymous=200, member=403, owner=403, admin=403)),
    "teams:join_continue": ("get", "/team/join/", None, dict(anonymous=404, member=404, owner=404, admin=404)),
    "billing:page": ("get", "/billing/", None, dict(anonymous=SIGN_IN, member=403, owner=200, admin=200)),
    "billing:api": ("get", "/api/billing", None, dict(anonymous=401, member=403, owner=200, admin=200)),
    # Owners are sent on to Stripe Checkout (or back to the billing page): 302.
    "billing:card_add": ("post", "/billing/card/", None, dict(anonymous=SIGN_IN, member=403, owner=302, admin=302)),
    "billing:card_done": ("get", "/billing/card/done/", None, dict(anonymous=SIGN_IN, member=403, owner=302, admin=302)),
    "billing:credits_buy": ("post", "/billing/credits/", {"amount": "50"},
                            dict(anonymous=SIGN_IN, member=403, owner=302, admin=302)),
    "billing:credits_done": ("get", "/billing/credits/done/", None,
                             dict(anonymous=SIGN_IN, member=403, owner=302, admin=302)),
    "billing:mode_change": ("post", "/billing/mode/", {"mode": "prepaid"},
                            dict(anonymous=SIGN_IN, member=403, owner=302, admin=302)),
}
# URLs that authenticate themselves (signatures), not by the signed-in user.
EXEMPT = {"billing:stripe_webhook"}

# The owner goes last: their request is the one that may change things (remove, leave, invite).
ROLE_ORDER = ("anonymous", "member", "admin", "owner")


@pytest.fixture
def cast(alice, bob, root, invite_for):
    invite, token = invite_for(alice, "ada@example.com")
    return {
        "users": {"anonymous": None, "member": bob, "owner": alice, "admin": root},
        "path_args": {"invite": invite.pk, "member": bob.pk, "token": token},
    }


@pytest.mark.parametrize("name", list(TABLE))
def test_each_url_answers_each_role_as_the_table_says(name, cast, client_for, request):
    if name.startswith("billing:"):
        request.getfixturevalue("stripe_sandbox")  # owners' billing pages read invoices from Stripe
    method, template, data, expected = TABLE[name]
    path = template.format(**cast["path_args"])
    wrong = []
    for role in ROLE_ORDER:
        response = getattr(client_for(cast["users"][role]), method)(path, data or {})
        if response.status_code != expected[role]:
            wrong.append(f"{method.upper()} {path} as {role}: {response.status_code}, expected {expected[role]}")
        elif role == "anonymous" and response.status_code == SIGN_IN:
            assert response["Location"].startswith("/login/?next=")
        elif path.startswith("/api/") and response.status_code in (401, 403):
            assert "error" in response.json()
    assert wrong == []


def _named_urls(namespace):
    module = get_resolver().namespace_dict[namespace][1].url_patterns
    return {f"{namespace}:{p.name}" for p in module if isinstance(p, URLPattern)}


def test_every_team_and_billing_url_has_a_row_in_the_table():
    named = _named_urls("teams") | _named_urls("billing")
    assert named - EXEMPT <= {name.split(" ")[0] for name in TABLE}
