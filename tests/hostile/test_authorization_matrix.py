"""Every URL in the resolver × anonymous, member (bob), owner (alice), other owner (charlie), admin
(root), for GET and POST: the answer the table says, nothing of alice's account in what a stranger
gets, and no change in the database from any refused request or any GET.

Parameterised URLs are filled with alice's objects (her invite, her member, her cluster...). A URL
added to any app without a row here fails `test_every_url_in_the_resolver_has_a_row_in_the_table`
and its own case prints the row it would need (review it before pasting it in).
"""

from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .conftest import ALICE_CREDITS, ALICE_HOPSWORKS, ALICE_NAMESPACE, BOB_NAMESPACE, INVITEE
from .fingerprint import database_fingerprint, tables_changed

ROLES = ("anonymous", "member", "owner", "other", "admin")
LOGIN = "login"  # 302 to /login/?next=<the page>

# route: {method: statuses of (anonymous, member, owner, other owner, admin)}. POSTs carry no data:
# forms answer 400 (errors shown), one-click actions do their thing (302). Read each row as a rule.
TABLE = {
    # Public: the landing page, health, the Auth0 round trip, the invitation link.
    "": dict(GET=(200, 200, 200, 200, 200), POST=(405, 405, 405, 405, 405)),
    "healthz": dict(GET=(200, 200, 200, 200, 200), POST=(405, 405, 405, 405, 405)),
    "login/": dict(GET=(302, 302, 302, 302, 302), POST=(405, 405, 405, 405, 405)),
    "logout/": dict(GET=(405, 405, 405, 405, 405), POST=(302, 302, 302, 302, 302)),
    "accounts/oidc/<str:provider_id>/login/callback/": dict(GET=(401, 401, 401, 401, 401), POST=(401, 401, 401, 401, 401)),
    # allauth's own callback route is shadowed by the strict one above (same path).
    "accounts/oidc/^(?P<provider_id>[^/]+)/login/callback/": dict(GET=(401, 401, 401, 401, 401), POST=(401, 401, 401, 401, 401)),
    "accounts/oidc/^(?P<provider_id>[^/]+)/login/": dict(GET=(302, 302, 302, 302, 302), POST=(302, 302, 302, 302, 302)),
    "accounts/login/": dict(GET=(302, 302, 302, 302, 302), POST=(405, 405, 405, 405, 405)),  # to /login/
    "accounts/logout/": dict(GET=(404, 404, 404, 404, 404), POST=(404, 404, 404, 404, 404)),  # ours: /logout/
    "accounts/inactive/": dict(GET=(200, 200, 200, 200, 200), POST=(405, 405, 405, 405, 405)),
    "accounts/3rdparty/": dict(GET=(404, 404, 404, 404, 404), POST=(404, 404, 404, 404, 404)),  # no unlinking Auth0
    "accounts/3rdparty/login/cancelled/": dict(GET=(200, 200, 200, 200, 200), POST=(405, 405, 405, 405, 405)),
    "accounts/3rdparty/login/error/": dict(GET=(401, 401, 401, 401, 401), POST=(405, 405, 405, 405, 405)),
    "accounts/3rdparty/signup/": dict(GET=(302, 302, 302, 302, 302), POST=(302, 302, 302, 302, 302)),
    "accounts/social/connections/": dict(GET=(301, 301, 301, 301, 301), POST=(301, 301, 301, 301, 301)),
    "accounts/social/login/cancelled/": dict(GET=(301, 301, 301, 301, 301), POST=(301, 301, 301, 301, 301)),
    "accounts/social/login/error/": dict(GET=(301, 301, 301, 301, 301), POST=(301, 301, 301, 301, 301)),
    "accounts/social/signup/": dict(GET=(301, 301, 301, 301, 301), POST=(301, 301, 301, 301, 301)),
    "team/join/": dict(GET=(404, 404, 404, 404, 404), POST=(405, 405, 405, 405, 405)),
    # The invitation (to ada@) is for ada only; signed in as anyone else it is refused.
    "team/join/<str:token>/": dict(GET=(200, 403, 403, 403, 403), POST=(405, 405, 405, 405, 405)),
    # Webhooks authenticate themselves: nobody's session opens them.
    "api/webhooks/auth0": dict(GET=(405, 405, 405, 405, 405), POST=(401, 401, 401, 401, 401)),
    "api/webhooks/stripe": dict(GET=(405, 405, 405, 405, 405), POST=(400, 400, 400, 400, 400)),
    # Everyone signed in: their own dashboard, profile, instance and usage.
    "dashboard/": dict(GET=(LOGIN, 200, 200, 200, 200), POST=(405, 405, 405, 405, 405)),
    "profile/": dict(GET=(LOGIN, 200, 200, 200, 200), POST=(405, 405, 405, 405, 405)),
    "instance/card": dict(GET=(401, 200, 200, 200, 200), POST=(405, 405, 405, 405, 405)),
    "api/instance": dict(GET=(401, 200, 200, 200, 200), POST=(405, 405, 405, 405, 405)),
    "api/usage": dict(GET=(401, 200, 200, 200, 200), POST=(405, 405, 405, 405, 405)),
    "api/auth/sync-user": dict(GET=(405, 405, 405, 405, 405), POST=(401, 200, 200, 200, 200)),
    # Owners only (every owner, their own account): billing and the team; members get 403.
    "billing/": dict(GET=(LOGIN, 403, 200, 200, 200), POST=(405, 405, 405, 405, 405)),
    "api/billing": dict(GET=(401, 403, 200, 200, 200), POST=(405, 405, 405, 405, 405)),
    "billing/card/": dict(GET=(405, 405, 405, 405, 405), POST=(LOGIN, 403, 302, 302, 302)),
    "billing/card/done/": dict(GET=(LOGIN, 403, 302, 302, 302), POST=(405, 405, 405, 405, 405)),
    "billing/credits/": dict(GET=(405, 405, 405, 405, 405), POST=(LOGIN, 403, 400, 400, 400)),
    "billing/credits/done/": dict(GET=(LOGIN, 403, 302, 302, 302), POST=(405, 405, 405, 405, 405)),
    "billing/mode/": dict(GET=(405, 405, 405, 405, 405), POST=(LOGIN, 403, 400, 400, 400)),
    "team/": dict(GET=(LOGIN, 403, 200, 200, 200), POST=(405, 405, 405, 405, 405)),
    "team/invites/": dict(GET=(405, 405, 405, 405, 405), POST=(LOGIN, 403, 400, 400, 400)),
    # Alice's invite and member: only alice; another owner (and the admin, as an owner) get 404.
    "team/invites/<int:invite_id>/resend/": dict(GET=(405, 405, 405, 405, 405), POST=(LOGIN, 403, 302, 404, 404)),
    "team/invites/<int:invite_id>/revoke/": dict(GET=(405, 405, 405, 405, 405), POST=(LOGIN, 403, 302, 404, 404)),
    "team/members/<int:member_id>/remove/": dict(GET=(LOGIN, 403, 200, 404, 404), POST=(LOGIN, 403, 302, 404, 404)),
    # Members only.
    "team/membership/": dict(GET=(LOGIN, 200, 403, 403, 403), POST=(405, 405, 405, 405, 405)),
    "team/leave/": dict(GET=(LOGIN, 200, 403, 403, 403), POST=(LOGIN, 302, 403, 403, 403)),
}
# The operator panel: the ordinary 404 for everyone but the admin; reads refuse POST (405), forms
# answer an empty POST with 400 and one-click actions act (302).
ADMIN_READS = ["", "audit/", "billing/", "clusters/", "clusters/<int:cluster_id>/", "prices/", "usage/",
               "usage/collect/<int:request_id>/", "usage/runs/<int:run_id>/", "users/", "users/<int:user_id>/"]
ADMIN_FORMS = ["clusters/<int:cluster_id>/edit/", "clusters/new/", "prices/new/", "users/<int:user_id>/billing-mode/",
               "users/<int:user_id>/credits/", "users/<int:user_id>/move/"]
ADMIN_ACTIONS = ["billing/syncs/<int:sync_id>/retry/", "clusters/<int:cluster_id>/test/", "usage/collect/", "users/<int:user_id>/grant-admin/",
                 "users/<int:user_id>/reactivate/", "users/<int:user_id>/resync-username/",
                 "users/<int:user_id>/retry-provisioning/",
                 "users/<int:user_id>/revoke-admin/", "users/<int:user_id>/suspend/"]
for routes, posted in ((ADMIN_READS, 405), (ADMIN_FORMS, 400), (ADMIN_ACTIONS, 302)):
    TABLE.update({f"admin47392/{r}": dict(GET=(404, 404, 404, 404, 200), POST=(404, 404, 404, 404, posted)) for r in routes})


def _walk(patterns, prefix="", namespace="", params=()):
    for entry in patterns:
        # route converters and regex groups alike, from every level of the include chain
        found = (*params, *entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner, found)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield prefix + str(entry.pattern), name, found


def resolver_urls():
    """{route: (url name or None, its parameters)} for every URL the project answers."""
    return {route: (name, params) for route, name, params in _walk(get_resolver().url_patterns)}


def url_for(route, path_args):
    """The path of `route` with its parameters taken from alice's objects."""
    name, wanted = resolver_urls()[route]
    missing = [p for p in wanted if p not in path_args]
    assert not missing, f"give the world fixture an object for {missing} ({route})"
    if name is None:
        assert not wanted, f"unnamed URL with parameters: {route}"
        return "/" + route
    return reverse(name, kwargs={p: path_args[p] for p in wanted})


def _status(response):
    if response.status_code == 302 and response["Location"].startswith("/login/?next="):
        return LOGIN
    return response.status_code


def _refused(status):
    return status == LOGIN or status in (401, 403, 404, 405)


# What each role must never find in any answer (the admin, whose job it is, sees everything).
def never_shown(world):
    alice = world.alice
    strangers = [alice.email, world.bob.email, INVITEE, ALICE_NAMESPACE, BOB_NAMESPACE, ALICE_HOPSWORKS,
                 alice.stripe_customer_id, f"{ALICE_CREDITS:,}", str(ALICE_CREDITS)]
    return {
        "anonymous": strangers,
        "other": strangers,
        # bob sees his own usage and who his owner is, never alice's projects, billing or invites.
        "member": [INVITEE, ALICE_NAMESPACE, alice.stripe_customer_id, f"{ALICE_CREDITS:,}", str(ALICE_CREDITS)],
        "owner": [],
        "admin": [],
    }


def _clients(world):
    """A test client per role, signed in once; `reset()` puts their sessions back (a POST to a
    logout URL ends one; the savepoint around each URL brings the session row back)."""
    users = {"anonymous": None, "member": world.bob, "owner": world.alice, "other": world.charlie,
             "admin": world.root}
    clients, cookies = {}, {}
    for role, user in users.items():
        clients[role] = Client(raise_request_exception=False)  # a 500 is an answer to report
        if user is not None:
            clients[role].force_login(user)
        cookies[role] = clients[role].cookies.get(settings.SESSION_COOKIE_NAME)

    def reset():
        for role, client in clients.items():
            client.cookies.clear()
            if cookies[role] is not None:
                client.cookies[settings.SESSION_COOKIE_NAME] = cookies[role].value

    return clients, reset


def _leaks(role, body, forbidden):
    return [f"{role} sees {text!r}" for text in forbidden if text and text in body]


def observe(route, world, clients, expected=None):
    """Request `route` as every role with GET and POST; returns ({method: statuses}, problems).

    Every GET and every refused POST runs first; together they must leave the database as it was.
    """
    path = url_for(route, world.path_args)
    forbidden = never_shown(world)
    expected = expected or {"GET": (403,) * len(ROLES), "POST": (403,) * len(ROLES)}
    requests = [(method, role, want) for method in ("GET", "POST") for role, want in zip(ROLES, expected[method])]
    requests.sort(key=lambda r: r[0] == "POST" and not _refused(r[2]))
    statuses, problems, before, checked = {}, [], database_fingerprint(), False
    for method, role, want in requests:
        if not checked and method == "POST" and not _refused(want):
            problems += [f"GETs or refused POSTs changed {t}" for t in tables_changed(before, database_fingerprint())]
            checked = True
        response = getattr(clients[role], method.lower())(path)
        statuses[method, role] = _status(response)
        body = response.content.decode("utf-8", "replace")
        if path.startswith("/api/") and response.status_code in (401, 403) and "error" not in response.json():
            problems.append(f"{method} {path} as {role}: no JSON error")
        if not route.startswith("team/join/<"):  # whoever holds the link's token may read the invitation
            problems += [f"{method} {path}: {leak}" for leak in _leaks(role, body, forbidden[role])]
    if not checked:
        problems += [f"GETs or refused POSTs changed {t}" for t in tables_changed(before, database_fingerprint())]
    seen = {method: tuple(statuses[method, role] for role in ROLES) for method in ("GET", "POST")}
    return seen, problems


def _row(route, seen):
    return f"    {route!r}: dict(GET={seen['GET']!r}, POST={seen['POST']!r}),".replace("'login'", "LOGIN")


def test_every_url_answers_every_role_as_the_table_says_and_shows_nobody_alices_things(world, auth0_sandbox):
    """One world for all URLs (fast); each URL runs in a savepoint rolled back afterwards, so an
    action (alice revoking her invite, the admin suspending her) never leaks into the next URL."""
    clients, reset = _clients(world)
    wrong = []
    for route in sorted(resolver_urls()):
        reset()
        expected = TABLE.get(route)
        with transaction.atomic():
            seen, problems = observe(route, world, clients, expected)
            transaction.set_rollback(True)
        if expected is None:
            wrong.append(f"no row for {route}; it answers now (review before adding):\n{_row(route, seen)}")
            continue
        wrong += [
            f"{method} {route} as {role}: {got}, expected {want}"
            for method in ("GET", "POST")
            for role, got, want in zip(ROLES, seen[method], expected[method])
            if got != want
        ]
        wrong += problems
    assert not wrong, "\n".join(wrong)


def test_every_url_in_the_resolver_has_a_row_in_the_table():
    assert sorted(set(resolver_urls()) - set(TABLE)) == []
    assert sorted(set(TABLE) - set(resolver_urls())) == [], "rows for URLs that no longer exist"


def test_the_strings_the_matrix_looks_for_are_on_alices_own_pages(world):
    """Otherwise "charlie never sees them" would prove nothing."""
    shown = {
        "owner": {"/dashboard/": [ALICE_NAMESPACE, BOB_NAMESPACE, ALICE_HOPSWORKS],
                  "/api/usage": [ALICE_NAMESPACE, BOB_NAMESPACE, world.bob.email],
                  "/billing/": [str(ALICE_CREDITS)], "/api/billing": [str(ALICE_CREDITS)],
                  "/team/": [INVITEE, world.bob.email], "/api/instance": [ALICE_HOPSWORKS]},
        "member": {"/dashboard/": [BOB_NAMESPACE], "/api/usage": [BOB_NAMESPACE]},
        "admin": {f"/admin47392/users/{world.alice.pk}/": [world.alice.email, world.alice.stripe_customer_id]},
    }
    clients, _ = _clients(world)
    missing = [
        f"{role} does not see {text!r} on {path}"
        for role, pages in shown.items()
        for path, texts in pages.items()
        for text in texts
        if text not in clients[role].get(path).content.decode()
    ]
    assert missing == []
