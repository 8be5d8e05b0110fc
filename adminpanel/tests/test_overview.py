"""The front page: users by state, clusters' load and last collection, yesterday's sync, revenue."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from usage.models import CollectionRun


def test_overview_counts_users_by_state_and_shows_cluster_load(admin_client_for, make_user, make_cluster, seat):
    cluster = make_cluster("eu-1", max_users=4)
    for n, state in enumerate(["ready", "ready", "failed", "provisioning", "waiting_for_capacity"]):
        seat(make_user(f"u{n}@example.com"), cluster, state)
    make_user("nocard@example.com")  # no assignment yet: waiting for a card
    make_user("sus@example.com", status="suspended")

    response = admin_client_for.get(reverse("adminpanel:overview"))

    by_state = {key: count for key, _, count in response.context["user_counts"]["by_state"]}
    # root (the admin) and the suspended user have no assignment either: waiting for a card.
    assert by_state == {"waiting_for_card": 3, "waiting_for_capacity": 1, "provisioning": 1, "ready": 2,
                        "failed": 1, "suspended": 1}
    body = response.content.decode()
    assert "4 / 4" in body and "eu-1" in body


def test_overview_query_count_does_not_grow_with_users_clusters_or_runs(
    admin_client_for, make_user, make_cluster, seat, django_assert_max_num_queries
):
    def grow(n):
        cluster = make_cluster(f"c{n}")
        for m in range(10):
            seat(make_user(f"u{n}-{m}@example.com"), cluster, "ready")
        now = timezone.now()
        CollectionRun.objects.bulk_create([
            CollectionRun(cluster=cluster, slot_start=now - timedelta(minutes=15 * k), status="succeeded",
                          started_at=now, finished_at=now) for k in range(20)
        ])

    grow(0)
    with django_assert_max_num_queries(12) as small:
        admin_client_for.get(reverse("adminpanel:overview"))
    for n in range(1, 6):
        grow(n)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = admin_client_for.get(reverse("adminpanel:overview"))
    assert len(response.context["clusters"]) == 6


def test_clusters_and_user_detail_query_counts_stay_flat(
    admin_client_for, alice, make_user, make_cluster, seat, django_assert_max_num_queries
):
    cluster = make_cluster("eu-1", max_users=500)
    for m in range(30):
        seat(make_user(f"m{m}@example.com", owner=alice), cluster, "ready")
    for n in range(60):
        make_cluster(f"extra-{n:02d}")
    with django_assert_max_num_queries(8):
        assert "Page 1 of 2" in admin_client_for.get(reverse("adminpanel:clusters")).content.decode()
    with django_assert_max_num_queries(10):
        admin_client_for.get(reverse("adminpanel:cluster_detail", args=[cluster.pk]))
    with django_assert_max_num_queries(16):
        body = admin_client_for.get(reverse("adminpanel:user_detail", args=[alice.pk])).content.decode()
    assert "m29@example.com" in body
