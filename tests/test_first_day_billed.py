"""A new owner's first day is billed: usage from the afternoon an owner signed up must reach an
invoice, not only Stripe's list of meter events. Stripe bills a meter event in the billing period
its timestamp falls in, and a subscription's first period starts at sign-up."""

from datetime import timedelta
from decimal import Decimal

import pytest

from usage.slots import SLOT

pytestmark = pytest.mark.django_db
SLOTS = 4


def test_usage_on_the_afternoon_an_owner_signed_up_is_on_the_invoice(fleet_factory, yesterday, stripe_sandbox):
    fleet = fleet_factory(yesterday + timedelta(hours=15))
    fleet.cluster_add("eu-1", seed=81)
    alice = fleet.owner_add("alice", signed_up=fleet.start - timedelta(minutes=30))  # 14:30 UTC
    # An hour of a 2-core, 1-GPU pod: 2 CPU hours ($0.20) and 1 GPU hour ($0.50).
    fleet.window(fleet.start, SLOTS, lambda: fleet.pod_start("eu-1", "alice", cpu="2", gpus=1))
    assert fleet.sync(fleet.start.date()).sent == 2

    report = fleet.report(fleet.start, fleet.start + SLOTS * SLOT)
    print(report)
    (invoice,) = stripe_sandbox.period_close(customer=alice.stripe_customer_id)

    assert report.zero, str(report)
    assert invoice["total"] == 70 and Decimal(invoice["total"]) / 100 == report.totals().cost_ran
