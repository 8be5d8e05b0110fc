"""The conservation check itself: zero when every slot is collected once and every day is synced,
and each kind of loss or double count named with its owner, day and amount."""

from datetime import timedelta
from decimal import Decimal

import pytest

from billing.services import usage_slot_record
from clusters.models import HopsworksCluster
from integrity.__main__ import main as integrity_main
from usage import upserts
from usage.collection import Usage
from usage.slots import SLOT

pytestmark = pytest.mark.django_db

SLOTS = 8


@pytest.fixture
def fleet(fleet_factory, yesterday):
    """Two clusters; alice (with a member, bob, and $0.20 of prepaid credits) and charlie."""
    start = yesterday + timedelta(hours=9)
    fleet = fleet_factory(start)
    fleet.cluster_add("eu-1", seed=11)
    fleet.cluster_add("us-1", seed=12)
    fleet.cast(credits="0.20")
    fleet.workload_start("eu-1", "alice", projects=2, pods=2, jobs=2, gpu_pods=1)
    fleet.workload_start("eu-1", "bob", projects=1, pods=1, jobs=1)
    fleet.workload_start("us-1", "charlie", projects=1, pods=2, jobs=2, gpu_pods=1)
    return fleet


def checks(report):
    return sorted({(d.owner, d.check) for d in report.differences})


def test_every_slot_collected_once_and_the_day_synced_leaves_zero_difference(fleet):
    fleet.collect_range(fleet.start, SLOTS)
    fleet.sync(fleet.start.date())

    report = fleet.report(fleet.start, fleet.start + SLOTS * SLOT)
    print(report)

    assert report.zero, str(report)
    assert [row.owner for row in report.rows] == ["alice@example.com", "charlie@example.com"]
    alice = report.rows[0]
    assert alice.ran["cpu"] > 0 and alice.ran["gpu"] == Decimal("0.25") * SLOTS
    assert 0 < alice.credits <= Decimal("0.20")  # credits ran out: the rest went to Stripe
    assert alice.stripe["cpu"] > 0
    assert report.sources["ledger entries"] > 0 and report.sources["clusters"] == 2


def test_a_slot_never_collected_is_named_with_the_hours_that_ran_in_it(fleet):
    fleet.collect_range(fleet.start, 3)
    fleet.clock_set(fleet.start + 3 * SLOT)  # slot 4 runs, nobody collects it
    fleet.collect_range(fleet.start + 4 * SLOT, SLOTS - 4)
    fleet.sync(fleet.start.date())
    lost = fleet.kubes["us-1"].sandbox.ledger(since=fleet.start + 3 * SLOT, until=fleet.start + 3 * SLOT)
    lost_cpu = sum(e["cpu_hours"] for e in lost)

    report = fleet.report(fleet.start, fleet.start + SLOTS * SLOT)

    assert ("charlie@example.com", "CPU hours: ran = usage_daily") in checks(report)
    cpu = next(d for d in report.differences
               if d.owner == "charlie@example.com" and d.check == "CPU hours: ran = usage_daily")
    assert cpu.amount == lost_cpu > 0
    assert ("charlie@example.com", "USD: cost of what ran = credits debited + Stripe") in checks(report)


def test_a_slot_counted_twice_is_named(fleet, make_user):
    fleet.collect_range(fleet.start, SLOTS)
    charlie = fleet.users["charlie"]
    # A bug that adds one slot's hours a second time under another run id.
    twice = {(charlie.pk, "charlie-x"): Usage(cpu_hours=Decimal("0.5"), gpu_hours=Decimal(0), memory_gb_hours=Decimal(0))}
    cluster_id = HopsworksCluster.objects.get(name="us-1").pk
    upserts.usage_daily_add(cluster_id=cluster_id, day=fleet.start.date(), now=fleet.start, by_user=twice)
    usage_slot_record(collection_run_id="bug-1", rows=[(charlie.pk, fleet.start.date(), Decimal("0.5"), 0, 0, "x")])
    fleet.sync(fleet.start.date())

    report = fleet.report(fleet.start, fleet.start + SLOTS * SLOT)

    cpu = next(d for d in report.differences if d.check == "CPU hours: ran = usage_daily")
    assert (cpu.owner, cpu.amount) == ("charlie@example.com", Decimal("-0.5"))
    assert checks(report) == [
        ("charlie@example.com", "CPU hours: ran = usage_daily"),
        ("charlie@example.com", "USD: cost of what ran = credits debited + Stripe"),
    ]


def test_a_day_not_sent_to_stripe_is_named_and_the_command_line_exits_1(fleet, capsys):
    fleet.collect_range(fleet.start, 2)
    end = fleet.start + 2 * SLOT

    assert integrity_main(["--start", fleet.start.isoformat(), "--end", end.isoformat()]) == 1

    out = capsys.readouterr().out
    assert "DIFFERENCES" in out
    assert "charlie@example.com" in out and "billing postpaid = Stripe meter events" in out
    fleet.sync(fleet.start.date())
    assert integrity_main(["--start", fleet.start.isoformat(), "--end", end.isoformat()]) == 0
    assert "differences: 0" in capsys.readouterr().out
