"""Fault: Stripe answers 500 and times out during the daily syncs. The days not sent stay pending
and the next run sends them; a request that timed out on our side but reached Stripe is not
billed twice; the owners' meter events equal what ran, less what credits paid."""

from collections import Counter
from datetime import timedelta

import pytest

from billing.models import MeterEventSync
from conftest import wait_for

pytestmark = pytest.mark.django_db

DAYS = 3
SLOTS_PER_DAY = 4


def test_stripe_500s_and_timeouts_during_the_syncs_are_caught_up_by_the_next_run_and_billed_once(
    fleet_factory, yesterday, stripe_sandbox, settings
):
    settings.STRIPE_TIMEOUT = 0.5
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    first_day = yesterday - timedelta(days=DAYS - 1)
    fleet = fleet_factory(first_day + timedelta(hours=10))
    fleet.cluster_add("eu-1", seed=31)
    cast = fleet.cast(credits="0.15")
    alice, charlie = cast["alice"], cast["charlie"]

    def workloads():
        fleet.workload_start("eu-1", "alice", projects=1, pods=2, jobs=1, gpu_pods=1)
        fleet.workload_start("eu-1", "bob", projects=1, pods=1, jobs=1)
        fleet.workload_start("eu-1", "charlie", projects=2, pods=2, jobs=2, gpu_pods=1)

    days = [(first_day + timedelta(days=d)).date() for d in range(DAYS)]
    for d in range(DAYS):  # an hour of work a day, from 10:00
        fleet.window(fleet.start + timedelta(days=d), SLOTS_PER_DAY, workloads)

    # Day 1's sync: Stripe answers 500 to everything.
    stripe_sandbox.fail("error")
    first = fleet.sync(days[0])
    assert (first.sent, first.pending) == (0, 4)
    # Day 2's sync: alice's requests hang past our timeout (Stripe records them anyway, a second
    # later); charlie's first request gets a 500.
    stripe_sandbox.heal()
    stripe_sandbox.fail("timeout", customer=alice.stripe_customer_id, remaining=4, seconds=1.0)
    stripe_sandbox.fail("error", customer=charlie.stripe_customer_id, remaining=1)
    second = fleet.sync(days[1])
    assert second.sent == 3 and second.pending == 5, second
    wait_for(lambda: len(stripe_sandbox.meter_events_for(alice.stripe_customer_id)) == 4, timeout=10,
             message="the timed-out requests to land at Stripe")
    # Day 3's sync: Stripe is well again; everything pending goes out, nothing goes out twice.
    stripe_sandbox.heal()
    third = fleet.sync(days[2])
    assert third.pending == third.failed == 0

    assert MeterEventSync.objects.exclude(status="sent").count() == 0
    assert MeterEventSync.objects.count() == 2 * 2 * DAYS  # 2 owners × 2 meters × 3 days
    events = stripe_sandbox.meter_events_for()
    per_day = Counter((e["customer"], e["event_name"], e["timestamp"]) for e in events)
    assert len(per_day) == 12 and set(per_day.values()) == {1}  # one event per owner, meter and day
    report = fleet.report(fleet.start, fleet.start + timedelta(days=DAYS))
    print(report)
    assert report.zero, str(report)
    assert report.totals().credits > 0 and report.totals().stripe["cpu"] > 0
