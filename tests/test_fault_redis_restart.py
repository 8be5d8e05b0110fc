"""Fault: Redis (the Celery broker) is restarted between two slots. The worker reconnects by
itself, the next slots are collected, a beat repeated after the restart adds nothing."""

from datetime import timedelta

import pytest
from celery import Celery

from conftest import wait_for
from usage.models import CollectionRun
from usage.slots import SLOT

from .fleet import INTO_SLOT

pytestmark = pytest.mark.django_db(transaction=True)
SLOTS = 4


def test_redis_restarted_between_slots_loses_no_slot_and_counts_none_twice(
    fleet_factory, yesterday, celery_processes, own_redis
):
    fleet = fleet_factory(yesterday + timedelta(hours=16))
    fleet.cluster_add("eu-1", seed=61)
    fleet.cluster_add("us-1", seed=62)
    fleet.cast(credits="0.25")
    fleet.workload_start("eu-1", "alice", projects=1, pods=2, jobs=1, gpu_pods=1)
    fleet.workload_start("us-1", "bob", projects=1, pods=1, jobs=1)
    fleet.workload_start("us-1", "charlie", projects=2, pods=2, jobs=2, gpu_pods=1)
    celery = celery_processes(REDIS_URL=own_redis.url)
    celery.start_worker(concurrency=2)
    # What the beat sends, on this Redis (not the current app: later tests send through the real one).
    beat = Celery("beat-side", broker=own_redis.url, set_as_current=False)

    def fire(slot):
        beat.send_task("usage.tasks.collect_usage_all", args=[slot.isoformat()], queue=celery.queue)

    def collected(slot):
        return CollectionRun.objects.filter(slot_start=slot, status="succeeded").count() == 2

    for n in range(SLOTS):
        slot = fleet.start + n * SLOT
        fleet.clock_set(slot + INTO_SLOT)
        fire(slot)
        wait_for(lambda: collected(slot), timeout=90,
                 message=f"slot {n} to be collected; worker log:\n{celery.log('worker')[-2000:]}")
        if n == 1:
            own_redis.restart()  # everything in Redis is gone; nothing was waiting in it
            fire(slot)  # the same slot fired again after the restart (a late beat)
    celery.stop("worker")
    beat.close()

    log = celery.log("worker")
    assert "Connection to broker lost" in log, log[-2000:]  # the restart really cut the worker off
    assert CollectionRun.objects.count() == 2 * SLOTS
    assert not CollectionRun.objects.exclude(status="succeeded").exists()
    fleet.sync(fleet.start.date())
    report = fleet.report(fleet.start, fleet.start + SLOTS * SLOT)
    print(report)
    assert report.zero, str(report)
    assert report.totals().credits > 0
