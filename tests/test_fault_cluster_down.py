"""Fault: one cluster's Kubernetes API is down for some slots. The other cluster is collected as
usual; the failing slots are recorded failed and filled in by the collection task's retries inside
their slot once the API is back; nothing is lost or counted twice."""

from datetime import timedelta

import pytest

from clusters.models import HopsworksCluster
from usage.models import CollectionRun
from usage.slots import SLOT
from usage.tasks import collect_usage_cluster

from .fleet import INTO_SLOT

pytestmark = pytest.mark.django_db

SLOTS = 8


def test_a_cluster_api_down_for_some_slots_is_recollected_once_back_and_conservation_holds(fleet_factory, yesterday, settings):
    settings.KUBERNETES_REQUEST_TIMEOUT = 0.5
    fleet = fleet_factory(yesterday + timedelta(hours=14))
    eu, us = fleet.cluster_add("eu-1", seed=21), fleet.cluster_add("us-1", seed=22)
    fleet.cast(credits="0.10")
    fleet.workload_start("eu-1", "alice", projects=2, pods=2, jobs=2, gpu_pods=1)
    fleet.workload_start("eu-1", "bob", projects=1, pods=1, jobs=2)
    fleet.workload_start("us-1", "charlie", projects=1, pods=2, jobs=1, gpu_pods=1)
    ids = dict(HopsworksCluster.objects.values_list("name", "pk"))
    # eu-1's API: pod lists answer 500 at two slots (two attempts fail at one, three at the other:
    # the task's last retry, 7 minutes into the slot, gets through), metrics answer 500 once at a
    # third, and at a fourth every call hangs past the client's timeout until the API is back.
    faults = {2: {"pods_errors": 2}, 3: {"pods_errors": 3}, 4: {"metrics_errors": 1}, 6: {"slow_seconds": 1.0}}

    for n in range(SLOTS):
        slot = fleet.start + n * SLOT
        fleet.clock_set(slot + INTO_SLOT)
        eu.sandbox.faults_set(**faults.get(n, {}))
        us_outcome = collect_usage_cluster.apply(args=[ids["us-1"], slot.isoformat()]).get()
        eu_outcome = collect_usage_cluster.apply(args=[ids["eu-1"], slot.isoformat()]).get()
        if n == 6:  # down for every attempt: failed, and filled in when the API is back in the slot
            assert eu_outcome == "failed"
            assert "did not answer" in CollectionRun.objects.get(cluster_id=ids["eu-1"], slot_start=slot).error
            eu.sandbox.faults_clear()
            eu_outcome = collect_usage_cluster.apply(args=[ids["eu-1"], slot.isoformat()]).get()
        assert (us_outcome, eu_outcome) == ("collected", "collected"), n
        eu.sandbox.faults_clear()
    fleet.sync(fleet.start.date())

    runs = {(r.cluster.name, int((r.slot_start - fleet.start) / SLOT)): r for r in CollectionRun.objects.select_related("cluster")}
    assert len(runs) == 2 * SLOTS and all(r.status == "succeeded" for r in runs.values())
    assert [runs[("eu-1", n)].attempts for n in range(SLOTS)] == [1, 1, 3, 4, 2, 1, 5, 1]
    assert {runs[("us-1", n)].attempts for n in range(SLOTS)} == {1}
    assert us.sandbox.calls == {"pods": SLOTS, "metrics": SLOTS}
    report = fleet.report(fleet.start, fleet.start + SLOTS * SLOT)
    print(report)
    assert report.zero, str(report)
    assert report.totals().ran["cpu"] > 0
