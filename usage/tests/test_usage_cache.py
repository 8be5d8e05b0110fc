"""A month's usage is kept in the cache (Redis) between requests, yet every answer is current: a
collection run shows at once, and one user's numbers are never answered to another."""

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.services import price_add
from usage.services import collection_run_execute

from .conftest import SLOT

NOVEMBER = {"month": SLOT.strftime("%Y-%m")}


def usage_read(client, params=NOVEMBER):
    """The API's answer, and whether the month had to be grouped again (not from the cache)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/usage", params)
    assert response.status_code == 200
    return response.json(), any("GROUPING SETS" in query["sql"] for query in captured.captured_queries)


def test_a_new_collection_run_shows_in_the_api_at_once_though_the_month_was_cached(
    kube, cluster, hopsworks_users, client_for, django_assert_max_num_queries
):
    (alice,) = hopsworks_users("alice")
    kube.sandbox.pod_add("alice", "alice-a", cpu="1")
    collection_run_execute(cluster=cluster, slot=SLOT)
    client = client_for(alice)
    first, grouped = usage_read(client)
    assert first["totals"]["cpu_hours"] == "0.2500" and grouped

    with django_assert_max_num_queries(4):  # session, user, team, the month's fingerprint
        again, grouped = usage_read(client)
    assert again == first and not grouped  # answered from the cache

    kube.sandbox.clock_advance(900)
    collection_run_execute(cluster=cluster, slot=SLOT.replace(minute=15))
    after, grouped = usage_read(client)
    assert after["totals"]["cpu_hours"] == "0.5000" and after["projects"][0]["cpu_hours"] == "0.5000" and grouped
    assert next(day for day in after["days"] if day["date"] == SLOT.date().isoformat())["cost"] == "0.05"
    assert usage_read(client) == (after, False)


def test_two_users_never_share_a_cache_entry(client_for, alice, bob, charlie, make_cluster, usage_rows):
    eu1 = make_cluster("eu-1")
    usage_rows(alice, eu1, cpu="10")
    usage_rows(bob, eu1, cpu="3")
    usage_rows(charlie, eu1, cpu="10")  # a stranger with exactly alice's numbers

    def projects(user):
        data, _ = usage_read(client_for(user), {})
        return [p["namespace"] for p in data["projects"]], data["totals"]["cpu_hours"]

    for _ in range(2):  # the second round is answered from the cache
        assert projects(alice) == ([f"{alice.pk}-project-0", f"{bob.pk}-project-0"], "13.0000")
        assert projects(bob) == ([f"{bob.pk}-project-0"], "3.0000")
        assert projects(charlie) == ([f"{charlie.pk}-project-0"], "10.0000")


def test_owners_without_usage_each_see_only_their_own_team(client_for, make_user):
    dave = make_user("dave@example.com", name="Dave")
    make_user("erin@example.com", name="Erin", owner=dave)
    frank = make_user("frank@example.com", name="Frank")  # the same (empty) month as dave's team

    for _ in range(2):
        for owner, emails in ((dave, ["dave@example.com", "erin@example.com"]), (frank, ["frank@example.com"])):
            data, _ = usage_read(client_for(owner), {})
            assert sorted(m["email"] for m in data["members"]) == emails
            assert data["totals"]["cpu_hours"] == "0.0000" and data["projects"] == []


def test_rows_written_and_members_joining_after_a_cached_read_show_at_once(client_for, alice, make_user, make_cluster, usage_rows):
    eu1 = make_cluster("eu-1")
    usage_rows(alice, eu1, cpu="1")
    client = client_for(alice)
    assert usage_read(client, {})[0]["totals"]["cpu_hours"] == "1.0000"

    usage_rows(alice, make_cluster("us-1"), cpu="2")  # written directly, not by a collection run
    assert usage_read(client, {})[0]["totals"]["cpu_hours"] == "3.0000"
    dana = make_user("dana@example.com", name="Dana", owner=alice)
    usage_rows(dana, eu1, cpu="0.5")
    data, grouped = usage_read(client, {})
    assert grouped and data["totals"]["cpu_hours"] == "3.5000"
    assert {m["email"]: m["cpu_hours"] for m in data["members"]}["dana@example.com"] == "0.5000"


def test_a_price_scheduled_for_next_month_shows_at_once_in_that_month(client_for, alice):
    next_month = (timezone.now().date().replace(day=28) + timedelta(days=4)).replace(day=1)
    client = client_for(alice)
    params = {"month": next_month.strftime("%Y-%m")}
    assert usage_read(client, params)[0]["prices"]["cpu_hour"] == "0.100000"

    price_add(resource="cpu_hour", unit_amount=Decimal("0.12"), effective_from=next_month)
    assert usage_read(client, params)[0]["prices"]["cpu_hour"] == "0.120000"
    assert usage_read(client, {})[0]["prices"]["cpu_hour"] == "0.100000"  # this month is unchanged


def test_usage_is_answered_from_the_database_while_redis_is_down(client_for, alice, make_cluster, usage_rows, settings):
    usage_rows(alice, make_cluster("eu-1"), cpu="4")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0"}}  # nothing listens there
    client = client_for(alice)
    for _ in range(2):
        data, grouped = usage_read(client, {})
        assert data["totals"]["cpu_hours"] == "4.0000" and grouped
    assert client.get("/dashboard/").status_code == 200
