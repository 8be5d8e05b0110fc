"""Usage: collection runs per cluster and slot, failures filtered, "collect now" queued with progress."""

from datetime import timedelta

import pytest
import yaml
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from adminpanel.models import AuditEntry
from adminpanel.selectors.usage import collection_runs
from hopsmanaged.celery import app
from usage.models import CollectionRun
from usage.slots import slot_start


def make_run(cluster, slot, status="succeeded", finished=None, **extra):
    finished = finished or timezone.now()
    return CollectionRun.objects.create(
        cluster=cluster, slot_start=slot, status=status, started_at=finished, finished_at=finished, **extra
    )


def queued_messages():
    with app.connection_for_write() as conn:
        return conn.default_channel.client.llen(app.conf.task_default_queue)


@pytest.fixture
def collectable(make_cluster):
    def make(name):
        cluster = make_cluster(name)
        cluster.kubeconfig = yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "c",
            "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:9"}}],
            "users": [{"name": "u", "user": {"token": "t"}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        })
        cluster.save()
        return cluster

    return make


def test_runs_list_shows_counts_duration_and_errors_and_filters_failures(admin_client_for, make_cluster):
    eu, us = make_cluster("eu"), make_cluster("us")
    slot = slot_start()
    make_run(eu, slot, pods_counted=42, users_count=7, unknown_owner_pods=3, duration_ms=1234)
    make_run(us, slot, "failed", error="Kubernetes answered 401: Unauthorized")
    url = reverse("adminpanel:usage")

    body = admin_client_for.get(url).content.decode()
    assert "42" in body and "1234 ms" in body and "Kubernetes answered 401" in body

    failed = admin_client_for.get(url, {"status": "failed"}).context["rows"]
    assert [r.cluster_name for r in failed] == ["us"]
    only_eu = admin_client_for.get(url, {"cluster": eu.pk}).context["rows"]
    assert [r.cluster_name for r in only_eu] == ["eu"]
    searched = admin_client_for.get(url, {"q": "Unauthorized"}).context["rows"]
    assert [r.cluster_name for r in searched] == ["us"]
    other_day = admin_client_for.get(url, {"day": (slot - timedelta(days=1)).date().isoformat()}).context["rows"]
    assert list(other_day) == []


def test_runs_list_without_runs_shows_an_empty_state(admin_client_for):
    assert "No collection runs match." in admin_client_for.get(reverse("adminpanel:usage")).content.decode()


def test_runs_list_query_count_does_not_grow_with_runs(admin_client_for, make_cluster, django_assert_max_num_queries):
    clusters = [make_cluster(f"c{n}") for n in range(3)]
    slot = slot_start()
    CollectionRun.objects.bulk_create([
        CollectionRun(cluster=c, slot_start=slot - timedelta(minutes=15 * n), status="succeeded",
                      started_at=timezone.now(), finished_at=timezone.now())
        for c in clusters for n in range(40)
    ])
    with django_assert_max_num_queries(8):
        response = admin_client_for.get(reverse("adminpanel:usage"), {"page": 2})
    assert "Page 2 of 3" in response.content.decode()


def test_a_deep_page_of_the_runs_list_is_read_from_the_slot_cluster_index_without_a_sort(make_cluster):
    clusters = [make_cluster(f"c{n}") for n in range(3)]
    slot, now = slot_start(), timezone.now()
    CollectionRun.objects.bulk_create([
        CollectionRun(cluster=c, slot_start=slot - timedelta(minutes=15 * n), status="succeeded",
                      started_at=now, finished_at=now)
        for c in clusters for n in range(200)
    ])
    sql, params = collection_runs()[500:550].query.sql_with_params()
    with connection.cursor() as cursor:
        # Make the planner show what it can do without reading and sorting the whole table (as with
        # 100,000 runs), whatever the size of this test's table.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Scan using collection_runs_slot_cluster on collection_runs" in plan, plan
    assert "Sort" not in plan, plan


def test_cluster_pages_show_the_last_collection(admin_client_for, make_cluster):
    cluster = make_cluster("eu")
    make_run(cluster, slot_start() - timedelta(minutes=15), "succeeded")
    make_run(cluster, slot_start(), "failed", error="boom")
    for url in (reverse("adminpanel:clusters"), reverse("adminpanel:overview")):
        assert admin_client_for.get(url).context["clusters"][0].last_run.status == "failed"


def test_collect_now_for_one_cluster_queues_a_task_and_audits_once(
    admin_client_for, root, collectable, django_capture_on_commit_callbacks
):
    cluster = collectable("eu")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_for.post(reverse("adminpanel:collect_now"), {"cluster": cluster.pk})

    entry = AuditEntry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("adminpanel:collect_progress", args=[entry.pk])
    assert (entry.admin, entry.action, entry.target_id) == (root, "usage.collect_now", str(cluster.pk))
    assert entry.after == {"slot": slot_start().isoformat(), "clusters": [[cluster.pk, "eu"]]}
    assert queued_messages() == 1


def test_collect_now_for_all_lists_every_collectable_cluster(admin_client_for, collectable, make_cluster,
                                                              django_capture_on_commit_callbacks):
    collectable("a"), collectable("b")
    make_cluster("no-kubeconfig")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_for.post(reverse("adminpanel:collect_now"), {"cluster": ""})
    entry = AuditEntry.objects.get()
    assert [name for _, name in entry.after["clusters"]] == ["a", "b"]
    assert entry.target_id == "all" and queued_messages() == 1


def test_collect_now_for_a_cluster_without_kubeconfig_is_refused(admin_client_for, make_cluster,
                                                                  django_capture_on_commit_callbacks):
    cluster = make_cluster("bare")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_for.post(reverse("adminpanel:collect_now"), {"cluster": cluster.pk}, follow=True)
    assert "only active clusters with a kubeconfig are" in response.content.decode()
    assert AuditEntry.objects.count() == 0 and queued_messages() == 0


def test_progress_page_refreshes_until_every_cluster_has_its_run(admin_client_for, collectable):
    eu, us = collectable("eu"), collectable("us")
    admin_client_for.post(reverse("adminpanel:collect_now"))
    entry = AuditEntry.objects.get()
    url = reverse("adminpanel:collect_progress", args=[entry.pk])
    slot = slot_start()

    waiting = admin_client_for.get(url)
    assert not waiting.context["done"] and '<meta http-equiv="refresh"' in waiting.content.decode()

    make_run(eu, slot, "succeeded", pods_counted=12)
    half = admin_client_for.get(url)
    assert [row["state"] for row in half.context["rows"]] == ["succeeded", "waiting"]

    make_run(us, slot, "failed", error="Kubernetes did not answer")
    done = admin_client_for.get(url)
    assert done.context["done"] and '<meta http-equiv="refresh"' not in done.content.decode()
    assert "Kubernetes did not answer" in done.content.decode()


def test_progress_tells_a_slot_collected_before_the_request_from_one_to_be_rerun(admin_client_for, collectable):
    eu, us = collectable("eu"), collectable("us")
    earlier = timezone.now() - timedelta(seconds=30)
    make_run(eu, slot_start(), "succeeded", finished=earlier)
    make_run(us, slot_start(), "failed", finished=earlier, error="old failure")
    admin_client_for.post(reverse("adminpanel:collect_now"))
    entry = AuditEntry.objects.get()
    page = admin_client_for.get(reverse("adminpanel:collect_progress", args=[entry.pk]))
    assert [row["state"] for row in page.context["rows"]] == ["already_collected", "waiting"]
    assert "a slot is counted once" in page.content.decode()


def test_progress_of_an_unknown_request_is_404(admin_client_for, root, alice):
    from adminpanel.services import user_suspend

    other = user_suspend(admin=root, user=alice)
    entry = AuditEntry.objects.get(target_id=str(other.pk))
    assert admin_client_for.get(reverse("adminpanel:collect_progress", args=[entry.pk])).status_code == 404
    assert admin_client_for.get(reverse("adminpanel:collect_progress", args=[99999])).status_code == 404
