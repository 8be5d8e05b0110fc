"""Billing test helpers on top of the shared cast (alice the owner, bob her member, charlie)."""

import itertools
from decimal import Decimal

import pytest

from billing.customers import stripe_customer_ensure
from billing.services import usage_slot_record

_runs = itertools.count(1)


@pytest.fixture
def with_stripe(stripe_sandbox):
    """stripe_customer(user) → the user reloaded with a Stripe customer and subscription."""

    def make(user):
        stripe_customer_ensure(owner=user)
        user.refresh_from_db()
        return user

    return make


@pytest.fixture
def collect():
    """collect(user, day, cpu, gpu=0, memory=0, project="") → records one collection run for billing."""

    def record(user, day, cpu, gpu="0", memory="0", project=""):
        run_id = f"test-run-{next(_runs)}"
        usage_slot_record(collection_run_id=run_id,
                          rows=[(user.pk, day, Decimal(cpu), Decimal(gpu), Decimal(memory), project)])
        return run_id

    return record
