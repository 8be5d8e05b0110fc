"""POSTs without a CSRF token: every URL whose POST does something for a signed-in role (per the
authorization table) refuses it with 403 from a browser-like client and changes nothing. Only the
webhooks, which authenticate themselves, take POSTs without one."""

from django.db import transaction
from django.test import Client

from .fingerprint import database_fingerprint, tables_changed
from .test_authorization_matrix import ROLES, TABLE, _refused, url_for

SELF_AUTHENTICATED = {"api/webhooks/auth0", "api/webhooks/stripe"}
PREFERRED = ("owner", "admin", "member", "other")  # who acts, when several may


def acting_role(route):
    """The signed-in role whose token-less POST would otherwise act (None: nobody's would)."""
    posted = dict(zip(ROLES, TABLE[route]["POST"]))
    return next((role for role in PREFERRED if not _refused(posted[role]) and posted[role] < 500), None)


def test_every_post_that_acts_is_refused_without_a_csrf_token_and_changes_nothing(world, auth0_sandbox):
    users = {"owner": world.alice, "admin": world.root, "member": world.bob, "other": world.charlie}
    routes = {route: acting_role(route) for route in sorted(TABLE) if route not in SELF_AUTHENTICATED}
    routes = {route: role for route, role in routes.items() if role}
    assert len(routes) >= 25  # forms and actions of every app, including the panel's
    wrong = []
    for route, role in routes.items():
        client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        client.force_login(users[role])
        with transaction.atomic():
            before = database_fingerprint()
            response = client.post(url_for(route, world.path_args), {})
            changed = tables_changed(before, database_fingerprint())
            transaction.set_rollback(True)
        body = response.content.decode("utf-8", "replace")
        if response.status_code != 403 or "CSRF" not in body:
            wrong.append(f"POST {route} as {role} without a token: {response.status_code} {body[:120]!r}")
        wrong += [f"POST {route} as {role} without a token changed {t}" for t in changed]
    assert not wrong, "\n".join(wrong)


def test_webhooks_need_no_csrf_token_because_they_check_their_own_secret(settings, db):
    client = Client(enforce_csrf_checks=True)
    auth0 = client.post("/api/webhooks/auth0", data="{}", content_type="application/json",
                        HTTP_X_AUTH0_SECRET=settings.AUTH0_WEBHOOK_SECRET)
    stripe = client.post("/api/webhooks/stripe", data="{}", content_type="application/json")
    assert (auth0.status_code, stripe.status_code) == (400, 400)  # past CSRF, refused on their own terms
