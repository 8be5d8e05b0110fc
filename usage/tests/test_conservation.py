"""Acceptance 3: over a simulated day, usage_daily holds exactly what the cluster ran."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from usage.models import CollectionRun, UsageDaily
from usage.services import collection_run_execute

from .conftest import SLOT

FOURTH_DECIMAL = Decimal("0.0001")


def test_a_simulated_day_of_96_slots_adds_up_to_what_the_sandbox_ran(kubernetes_sandbox_factory, make_cluster, hopsworks_users):
    kube = kubernetes_sandbox_factory(start=SLOT.replace(minute=2), seed=2026)
    cluster = make_cluster("eu-1", kube)
    alice, bob = hopsworks_users("alice", "bob")
    (carol,) = hopsworks_users("carol", owner=alice)
    kube.sandbox.workload_add("alice", projects=2, pods=3, jobs=3, gpu_pods=1)
    kube.sandbox.workload_add("bob", projects=1, pods=1, jobs=4)
    kube.sandbox.workload_add("carol", projects=["alice_fraud"], pods=1, jobs=2, gpu_pods=1)

    for n in range(96):
        outcome = collection_run_execute(cluster=cluster, slot=kube.sandbox.now())
        assert outcome.outcome == "collected", outcome.run.error
        if n < 95:
            kube.sandbox.clock_advance(900)

    ledger = kube.sandbox.ledger()
    assert len({entry["slot"] for entry in ledger}) == 96
    expected = defaultdict(lambda: [Decimal(0)] * 3)
    for entry in ledger:
        key = (entry["owner"], entry["namespace"], entry["slot"].date())
        for i, field in enumerate(("cpu_hours", "gpu_hours", "memory_gb_hours")):
            expected[key][i] += entry[field]
    stored = {
        (row.user.hopsworks_username, row.namespace, row.date): [row.cpu_hours, row.gpu_hours, row.memory_gb_hours]
        for row in UsageDaily.objects.select_related("user")
    }
    assert set(stored) == set(expected)
    assert len({date for _, _, date in stored}) == 2  # the day crossed midnight UTC
    for key, values in expected.items():
        assert [v.quantize(FOURTH_DECIMAL) for v in stored[key]] == [v.quantize(FOURTH_DECIMAL) for v in values], key
    totals = UsageDaily.objects.aggregate(cpu=Sum("cpu_hours"), gpu=Sum("gpu_hours"))
    assert totals["cpu"].quantize(FOURTH_DECIMAL) == sum(e["cpu_hours"] for e in ledger).quantize(FOURTH_DECIMAL)
    assert totals["gpu"] == sum(e["gpu_hours"] for e in ledger) > 0
    assert CollectionRun.objects.filter(status="succeeded").count() == 96
    assert kube.sandbox.calls == {"pods": 96, "metrics": 96}
