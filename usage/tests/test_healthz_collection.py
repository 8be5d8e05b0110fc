"""/healthz reports the last collection run, so an operator sees when collection stops."""

from datetime import timedelta

from django.utils import timezone

from usage.models import CollectionRun
from usage.services import collection_run_execute

from .conftest import SLOT


def test_healthz_names_the_last_run_its_slot_and_status(client, kube, cluster):
    assert client.get("/healthz").json()["collection"] is None

    kube.sandbox.pod_add("alice", "alice-a")
    collection_run_execute(cluster=cluster, slot=SLOT)
    report = client.get("/healthz").json()

    assert report["status"] == "ok"
    collection = report["collection"]
    assert collection["cluster"] == "eu-1" and collection["status"] == "succeeded"
    assert collection["slot"] == SLOT.isoformat()
    assert collection["stale"] is False


def test_healthz_marks_collection_stale_after_two_missed_slots_without_going_down(client, kube, cluster):
    kube.sandbox.faults_set(pods_errors=-1)
    collection_run_execute(cluster=cluster, slot=SLOT)
    CollectionRun.objects.update(finished_at=timezone.now() - timedelta(minutes=40))

    response = client.get("/healthz")

    assert response.status_code == 200  # stale collection is a warning, not an outage of the app
    assert response.json()["collection"]["status"] == "failed"
    assert response.json()["collection"]["stale"] is True
