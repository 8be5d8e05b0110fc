"""Fault: two beats run at once (a second beat left running after a deploy) and both fire the
collection for the same slot, again and again; two workers read the same cluster at the same
moment. Each cluster's slot is counted once."""

import re
from collections import Counter
from datetime import datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest

from conftest import wait_for
from usage.models import CollectionRun
from usage.slots import SLOT

pytestmark = pytest.mark.django_db(transaction=True)
CLUSTER_TASK_DONE = re.compile(r"collect_usage_cluster\[[^\]]+\] succeeded")


def test_two_beats_firing_the_same_slot_count_each_cluster_once_per_slot(fleet_factory, celery_processes):
    now = datetime.now(dt_timezone.utc)
    fleet = fleet_factory(now)
    for name in ("eu-1", "us-1"):  # clocks that run with the wall clock: beats collect the slot they are in
        fleet.cluster_add(name, seed=51, start=now, frozen=False)
    fleet.cast()
    # Fixed usage: whichever moment of a slot a run reads, it reads the same pods.
    fleet.pod_start("eu-1", "alice", cpu="1500m", gpus=1)
    fleet.pod_start("us-1", "bob", cpu="250m")
    fleet.pod_start("us-1", "charlie", cpu="2", gpus=2)
    # eu-1's metrics answer waits until two collections ask: two workers race on the same slot.
    fleet.kubes["eu-1"].sandbox.faults_set(metrics_barrier=2)
    celery = celery_processes(USAGE_COLLECTION_SECONDS=1)
    celery.start_worker(concurrency=2)
    celery.start_beat(name="beat-a")
    celery.start_beat(name="beat-b")

    wait_for(lambda: CollectionRun.objects.filter(status="succeeded").count() >= 2, timeout=90,
             message=f"a run per cluster; worker log:\n{celery.log('worker')[-2000:]}")
    wait_for(lambda: min(celery.log(b).count("usage.tasks.collect_usage_all") for b in ("beat-a", "beat-b")) >= 2,
             timeout=30, message="both beats to fire more than once")
    celery.stop("beat-a")
    celery.stop("beat-b")
    fired = sum(celery.log(b).count("usage.tasks.collect_usage_all") for b in ("beat-a", "beat-b"))
    wait_for(lambda: len(CLUSTER_TASK_DONE.findall(celery.log("worker"))) >= 2 * fired, timeout=60,
             message="the worker to run both clusters' tasks for every beat")
    celery.stop("worker")

    runs = list(CollectionRun.objects.select_related("cluster"))
    per_key = Counter((run.cluster.name, run.slot_start) for run in runs)
    assert set(per_key.values()) == {1} and all(run.status == "succeeded" for run in runs)
    slots = sorted({run.slot_start for run in runs})
    assert len(slots) in (1, 2)  # a quarter hour may have begun during the test
    assert fired >= 4
    assert fleet.kubes["eu-1"].sandbox.calls["metrics"] >= 2  # two workers really read the same slot
    for slot in slots:
        fleet.sync(slot.date())
    report = fleet.report(slots[0], slots[-1] + SLOT)
    print(f"beats fired {fired} times for {len(slots)} slot(s); runs {dict(per_key)}")
    print(report)
    assert report.zero, str(report)
    assert report.totals().counted["gpu"] == Decimal("0.75") * len(slots)  # 3 GPUs × 0.25 h per slot
