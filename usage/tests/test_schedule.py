"""Acceptance 4: a real Celery beat and worker on Redis run the collection schedule."""

import re
import time
from decimal import Decimal

from django.db.models import Sum

from usage.models import CollectionRun, UsageDaily
from usage.slots import slot_start


def beats(celery):
    return celery.log("beat").count("(usage.tasks.collect_usage_all)")


def done(celery, task):
    return len(re.findall(rf"Task usage\.tasks\.{task}\[[^\]]+\] succeeded", celery.log("worker")))


def test_beat_and_worker_collect_every_cluster_and_repeated_beats_in_a_slot_add_nothing(
    celery_processes, kubernetes_sandbox_factory, make_cluster, hopsworks_users, wait
):
    alice, bob = hopsworks_users("alice", "bob")
    for name, user in (("eu-1", alice), ("us-1", bob)):
        kube = kubernetes_sandbox_factory()
        kube.sandbox.pod_add(user.hopsworks_username, f"{user.hopsworks_username}-a", cpu="1")
        make_cluster(name, kube)
    make_cluster("retired-1", kube, status="retired")
    first_slot = slot_start()

    # The test settings knob: beat fires every 2 s, so several beats land in one 15-minute slot.
    celery = celery_processes(USAGE_COLLECTION_SECONDS=2)
    celery.start_worker(concurrency=2)
    celery.start_beat()
    wait(lambda: CollectionRun.objects.filter(status="succeeded").count() >= 2, timeout=60,
         message="a succeeded collection run per active cluster")
    wait(lambda: beats(celery) >= 3, timeout=30, message="more beats in the same slot")
    celery.stop("beat")
    sent = beats(celery)
    # Every beat fans out to one task per active cluster; wait until the worker has run them all.
    wait(lambda: done(celery, "collect_usage_all") == sent and done(celery, "collect_usage_cluster") == 2 * sent,
         timeout=30, message="the worker to finish the fanned-out cluster tasks")
    celery.stop("worker")

    runs = CollectionRun.objects.select_related("cluster").order_by("slot_start")
    assert {run.cluster.name for run in runs} == {"eu-1", "us-1"}  # the retired cluster is not collected
    assert all(run.status == "succeeded" and run.slot_start >= first_slot for run in runs)
    slots = {run.slot_start for run in runs}
    assert len(runs) == 2 * len(slots)  # one run per cluster and slot, however many beats
    for user in (alice, bob):
        total = UsageDaily.objects.filter(user=user).aggregate(cpu=Sum("cpu_hours"))["cpu"]
        assert total == Decimal("0.25") * len(slots)


def test_a_cluster_task_that_reaches_a_worker_after_its_deadline_is_dropped_and_books_nothing(
    celery_processes, celery_queue, kubernetes_sandbox_factory, make_cluster, hopsworks_users, settings, wait
):
    """A message Redis redelivers long after its worker machine died would measure the pods running
    now and book them under the old slot: the minutes of now would be billed twice, those of the
    slot never. Celery drops the expired message; the slot shows no run."""
    from usage.tasks import collect_usage_all

    (alice,) = hopsworks_users("alice")
    kube = kubernetes_sandbox_factory()
    kube.sandbox.pod_add(alice.hopsworks_username, "alice-a", cpu="1")
    make_cluster("eu-1", kube)
    celery = celery_processes()
    celery_queue.use(celery.queue)
    settings.USAGE_COLLECTION_DEADLINE_SECONDS = 1

    collect_usage_all(slot_start().isoformat())  # the fan-out, as the beat's task does it
    time.sleep(2)  # no worker yet: the message waits past its deadline
    celery.start_worker(concurrency=1)
    wait(lambda: "Discarding revoked task" in celery.log("worker"), timeout=60,
         message="the worker to drop the expired task")
    celery.stop("worker")

    assert "collect_usage_cluster" in celery.log("worker")
    assert kube.sandbox.calls["pods"] == 0  # the cluster was never read
    assert not CollectionRun.objects.exists() and not UsageDaily.objects.exists()

    # The same fan-out within its deadline is collected.
    settings.USAGE_COLLECTION_DEADLINE_SECONDS = 900
    collect_usage_all(slot_start().isoformat())
    celery.start_worker(concurrency=1)
    run = wait(lambda: CollectionRun.objects.filter(status="succeeded").first(), timeout=60,
               message="the collection within its deadline")
    assert UsageDaily.objects.get(user=alice).cpu_hours == Decimal("0.25") and run.users_count == 1
