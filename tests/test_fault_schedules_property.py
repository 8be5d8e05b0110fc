"""Property: whatever faults a simulated week draws — a cluster's API failing (retried within the
slot, or re-run in it once back), a slot collected twice, Stripe failing or timing out on sync days —
what ran equals what was counted equals what was billed (credits + Stripe), per owner and day.

`make test` draws a few weeks; `make test-slow` (HYPOTHESIS_PROFILE=slow) many more.
"""

import threading
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import given, note
from hypothesis import strategies as st

from clusters.models import HopsworksCluster
from sandbox.kubernetes.fixtures import RunningKubernetes
from sandbox.kubernetes.server import create_app
from sandbox.serving import start_in_thread
from usage.models import CollectionRun
from usage.slots import SLOT
from usage.tasks import collect_usage_cluster

from .fleet import INTO_SLOT, Fleet

pytestmark = pytest.mark.django_db

CLUSTERS = ("eu-1", "us-1")
DAYS = 7
# What happens to one cluster's collection of one slot.
SLOT_FAULTS = ["none", "none", "down_once", "down_twice", "down_thrice", "metrics_down", "down_all_retries",
               "duplicate"]
# Pod lists failing this many attempts in a row; "down_thrice" gets through on the last retry, 7 minutes in.
PODS_DOWN = {"down_once": 1, "down_twice": 2, "down_thrice": 3}
# What Stripe does during one day's sync.
SYNC_FAULTS = ["ok", "ok", "error_all", "error_one", "timeout_one", "rate_limited"]


@dataclass
class Day:
    first_slot: int  # of the day's working window (0 = 00:00 UTC)
    faults: list  # per slot of the window: {cluster: fault}
    load: dict  # {username: (millicores, gpus)}
    sync_fault: str


quantities = st.tuples(st.integers(0, 4000), st.integers(0, 2))


@st.composite
def days(draw):
    slots = draw(st.integers(1, 2))
    faults = draw(st.lists(st.fixed_dictionaries({c: st.sampled_from(SLOT_FAULTS) for c in CLUSTERS}),
                           min_size=slots, max_size=slots))
    return Day(
        first_slot=draw(st.integers(0, 96 - slots)), faults=faults,
        load=draw(st.fixed_dictionaries({"alice": quantities, "bob": quantities, "charlie": quantities})),
        sync_fault=draw(st.sampled_from(SYNC_FAULTS)),
    )


weeks = st.tuples(st.lists(days(), min_size=DAYS, max_size=DAYS), st.sampled_from([None, "0.05", "0.50", "3"]))


class Sandboxes:
    """Kubernetes sandboxes for one example, stopped in the background afterwards."""

    def __init__(self):
        self.running = []

    def __call__(self, *, token="sandbox-token", **config):
        running = start_in_thread(create_app(token=token, **config))
        self.running.append(running)
        return RunningKubernetes(running, token)

    def stop(self):
        for running in self.running:
            threading.Thread(target=running.stop, daemon=True).start()


def collect_with_fault(fleet, ids, cluster, slot, fault):
    """One cluster's collection of `slot` the way the task runs it, under `fault`."""
    sandbox = fleet.kubes[cluster].sandbox
    task = collect_usage_cluster.apply  # the task's own retry policy (three retries), run here
    if fault in PODS_DOWN:
        sandbox.faults_set(pods_errors=PODS_DOWN[fault])
    elif fault == "metrics_down":
        sandbox.faults_set(metrics_errors=1)
    elif fault == "down_all_retries":
        sandbox.faults_set(pods_errors=-1)
        assert task(args=[ids[cluster], slot.isoformat()]).get() == "failed"
        sandbox.faults_clear()  # back within the slot: an operator's "collect now" re-runs it
    outcome = task(args=[ids[cluster], slot.isoformat()]).get()
    assert outcome == "collected", (cluster, slot, fault)
    if fault == "duplicate":  # a second beat, or the redelivered task, for the same slot
        assert task(args=[ids[cluster], slot.isoformat()]).get() == "already_collected"
    sandbox.faults_clear()


def sync_with_fault(fleet, stripe, day, fault):
    customers = {name: user.stripe_customer_id for name, user in fleet.users.items() if user.stripe_customer_id}
    if fault == "error_all":
        stripe.fail("error")
    elif fault == "error_one":
        stripe.fail("error", customer=customers["charlie"])
    elif fault == "timeout_one":
        stripe.fail("timeout", customer=customers["alice"], remaining=2, seconds=0.6)
    elif fault == "rate_limited":
        stripe.fail("rate_limit", remaining=2)
    report = fleet.sync(day)
    stripe.heal()
    return report


def run_week(fleet, stripe, start, week):
    plan, credits = week
    for name in CLUSTERS:
        fleet.cluster_add(name, seed=len(name))
    fleet.cast(credits=credits)
    ids = dict(HopsworksCluster.objects.values_list("name", "pk"))
    homes = {"alice": "eu-1", "bob": "us-1", "charlie": "us-1"}
    for d, day in enumerate(plan):
        first = start + timedelta(days=d) + day.first_slot * SLOT
        fleet.clock_set(first + INTO_SLOT)
        for username, (millicores, gpus) in day.load.items():
            if millicores or gpus:
                fleet.pod_start(homes[username], username, cpu=f"{millicores}m", gpus=gpus)
        fleet.workload_start("us-1", "charlie", projects=1, pods=0, jobs=1)
        for n, faults in enumerate(day.faults):
            slot = first + n * SLOT
            fleet.clock_set(slot + INTO_SLOT)
            for cluster in CLUSTERS:
                collect_with_fault(fleet, ids, cluster, slot, faults[cluster])
        fleet.clock_set(first + len(day.faults) * SLOT)
        fleet.pods_stop()
        note(f"day {d}: {sync_with_fault(fleet, stripe, (start + timedelta(days=d)).date(), day.sync_fault)}")
    final = fleet.sync((start + timedelta(days=DAYS - 1)).date())  # the next day's run, Stripe well
    note(f"final: {final}")


@given(week=weeks)
def test_random_fault_schedules_over_a_simulated_week_keep_conservation_at_zero(
    week, prices, stripe_sandbox, make_user, yesterday, settings
):
    settings.STRIPE_TIMEOUT = 0.3
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    start = yesterday - timedelta(days=DAYS - 1)
    sandboxes = Sandboxes()
    stripe_sandbox.state.reset()
    try:
        with transaction.atomic():
            fleet = Fleet(kube_factory=sandboxes, make_user=make_user, stripe=stripe_sandbox, start=start)
            run_week(fleet, stripe_sandbox, start, week)
            report = fleet.report(start, start + timedelta(days=DAYS))
            runs = CollectionRun.objects.all()
            windows = sum(len(day.faults) for day in week[0])
            assert runs.count() == len(CLUSTERS) * windows and not runs.exclude(status="succeeded").exists()
            print(f"credits {week[1]}, slot faults {[d.faults for d in week[0]]}, sync faults {[d.sync_fault for d in week[0]]}")
            print(report)
            assert report.zero, str(report)
            transaction.set_rollback(True)
    finally:
        stripe_sandbox.heal()
        sandboxes.stop()
