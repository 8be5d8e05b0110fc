"""Fault: the worker process running a collection is SIGKILLed in the middle of it. With acks_late
and reject-on-worker-lost the task goes back to the queue, a fresh process collects the slot, and
the slot is counted once."""

import os
import signal
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import wait_for
from usage.models import CollectionRun
from usage.tasks import collect_usage_all

from .fleet import INTO_SLOT

pytestmark = pytest.mark.django_db(transaction=True)


def pool_processes(worker_pid):
    """The prefork pool's child processes of a Celery worker."""
    children = Path(f"/proc/{worker_pid}/task/{worker_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def test_a_worker_killed_mid_collection_gets_its_task_redelivered_and_the_slot_counts_once(
    fleet_factory, yesterday, celery_processes
):
    fleet = fleet_factory(yesterday + timedelta(hours=12))
    kube = fleet.cluster_add("eu-1", seed=41)
    fleet.owner_add("alice", credits="0.05")
    fleet.member_add("bob", owner="alice")
    fleet.workload_start("eu-1", "alice", projects=2, pods=2, jobs=1, gpu_pods=1)
    fleet.workload_start("eu-1", "bob", projects=1, pods=1, jobs=1)
    slot = fleet.start
    fleet.clock_set(slot + INTO_SLOT)
    celery = celery_processes()
    worker = celery.start_worker(concurrency=1)
    # The metrics answer waits (up to 30 s) for a second request that never comes: the worker is
    # stuck between its pod list and its metrics list when it is killed.
    kube.sandbox.faults_set(metrics_barrier=2)

    collect_usage_all.apply_async(args=[slot.isoformat()], queue=celery.queue)
    wait_for(lambda: kube.sandbox.calls["metrics"] >= 1, timeout=60,
             message=f"the collection to reach the metrics list; log:\n{celery.log('worker')[-2000:]}")
    (child,) = pool_processes(worker.pid)
    os.kill(child, signal.SIGKILL)
    kube.sandbox.faults_clear()

    run = wait_for(lambda: CollectionRun.objects.filter(slot_start=slot, status="succeeded").first(), timeout=60,
                   message=f"the redelivered task to collect the slot; log:\n{celery.log('worker')[-3000:]}")
    celery.stop("worker")

    log = celery.log("worker")
    assert "SIGKILL" in log and "WorkerLostError" in log
    assert run.attempts == 1  # the killed process never wrote anything
    assert kube.sandbox.calls["pods"] == 2 and kube.sandbox.calls["metrics"] == 2  # read again after the kill
    assert CollectionRun.objects.count() == 1
    fleet.sync(slot.date())
    report = fleet.report(slot, slot + timedelta(minutes=15))
    print(report)
    assert report.zero, str(report)
    assert report.totals().counted["cpu"] > 0
