"""Usage collected by the usage engine lands on the billing owner's daily billable totals, once."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import BillableUsage, UsageSlot
from billing.services import usage_slot_record

DAY = date(2026, 11, 20)
D = Decimal


def totals(owner):
    rows = BillableUsage.objects.filter(owner=owner)
    return {
        (r.user_id, r.day, r.project): (r.cpu_hours, r.gpu_hours, r.memory_gb_hours, r.postpaid_cpu_hours)
        for r in rows
    }


@pytest.mark.django_db
def test_a_members_usage_is_billed_to_their_account_owner(alice, bob):
    usage_slot_record(collection_run_id=1, rows=[
        (alice.pk, DAY, D("0.25"), D("0"), D("1")),
        (bob.pk, DAY, D("0.5"), D("0.25"), D("2")),
    ])

    assert totals(alice) == {
        (alice.pk, DAY, ""): (D("0.25"), D("0"), D("1"), D("0.25")),
        (bob.pk, DAY, ""): (D("0.5"), D("0.25"), D("2"), D("0.5")),
    }
    assert not BillableUsage.objects.filter(owner=bob).exists()


@pytest.mark.django_db
def test_the_same_collection_run_recorded_twice_counts_once(alice):
    rows = [(alice.pk, DAY, D("0.25"), D("0"), D("1"))]

    assert usage_slot_record(collection_run_id="run-7", rows=rows) is True
    assert usage_slot_record(collection_run_id="run-7", rows=rows) is False

    assert totals(alice)[(alice.pk, DAY, "")][0] == D("0.25")
    assert UsageSlot.objects.filter(collection_run_id="run-7").count() == 1


@pytest.mark.django_db
def test_successive_slots_of_a_day_add_up_per_project(alice):
    usage_slot_record(collection_run_id=1, rows=[(alice.pk, DAY, D("0.25"), D("0"), D("1"), "demo")])
    usage_slot_record(collection_run_id=2, rows=[(alice.pk, DAY, D("0.25"), D("0.25"), D("1"), "demo")])
    usage_slot_record(collection_run_id=3, rows=[(alice.pk, DAY, D("1"), D("0"), D("0"), "other")])

    assert totals(alice) == {
        (alice.pk, DAY, "demo"): (D("0.5"), D("0.25"), D("2"), D("0.5")),
        (alice.pk, DAY, "other"): (D("1"), D("0"), D("0"), D("1")),
    }
