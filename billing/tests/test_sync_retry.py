"""Retrying one unsent owner/day/meter record by hand (the admin's retry): exactly that record goes
to Stripe (the sandbox) under its own identifier, once; sent, too old and mid-sync retries are refused."""

from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from billing.meter_sync import SYNC_LOCK_ID, stripe_usage_sync
from billing.models import MeterEventSync
from billing.services import MeterSyncRefused, meter_sync_retry

pytestmark = pytest.mark.django_db


def yesterday():
    return timezone.now().date() - timedelta(days=1)


@pytest.fixture
def failed_record(collect, alice, stripe_sandbox):
    """Alice's CPU hours of yesterday, failed at the daily sync: she had no Stripe customer yet."""
    collect(alice, yesterday(), "2.5")
    assert stripe_usage_sync(day=yesterday()).failed == 1
    record = MeterEventSync.objects.get(owner=alice)
    assert record.status == "failed" and "no Stripe customer" in record.last_error
    return record


def test_a_failed_record_retried_is_sent_as_one_meter_event_and_a_second_retry_is_refused(
    failed_record, with_stripe, alice, stripe_sandbox
):
    with_stripe(alice)

    record = meter_sync_retry(sync=failed_record)

    assert (record.status, record.attempts, record.last_error) == ("sent", 2, "")
    assert record.sent_at is not None
    [event] = stripe_sandbox.meter_events_for(alice.stripe_customer_id)
    assert (event["identifier"], event["event_name"], event["value"]) == (
        f"{alice.pk}-{yesterday()}-cpu_hours", "hopsworks_cpu_hours_from_20250101", Decimal("2.500000")
    )

    with pytest.raises(MeterSyncRefused, match="sent already"):
        meter_sync_retry(sync=record)
    assert len(stripe_sandbox.meter_events_for()) == 1
    assert stripe_usage_sync(day=yesterday()).sent == 0  # the daily sync agrees: nothing left


def test_only_the_retried_record_is_sent_other_unsent_records_wait_for_the_daily_sync(
    collect, with_stripe, alice, charlie, stripe_sandbox
):
    for owner in (with_stripe(alice), with_stripe(charlie)):
        collect(owner, yesterday(), "1")
    stripe_sandbox.fail("error")
    assert stripe_usage_sync(day=yesterday()).pending == 2
    stripe_sandbox.heal()

    meter_sync_retry(sync=MeterEventSync.objects.get(owner=alice))

    assert [e["customer"] for e in stripe_sandbox.meter_events_for()] == [alice.stripe_customer_id]
    assert MeterEventSync.objects.get(owner=charlie).status == "pending"


def test_stripe_still_down_keeps_the_record_unsent_with_the_error(collect, with_stripe, alice, stripe_sandbox):
    collect(with_stripe(alice), yesterday(), "1")
    stripe_sandbox.fail("error")
    stripe_usage_sync(day=yesterday())

    record = meter_sync_retry(sync=MeterEventSync.objects.get(owner=alice))

    assert (record.status, record.attempts) == ("pending", 2)
    assert "Stripe is unavailable" in record.last_error
    assert stripe_sandbox.meter_events_for() == []


def test_a_record_older_than_stripes_35_days_is_refused_and_not_sent(with_stripe, alice, stripe_sandbox):
    old = timezone.now().date() - timedelta(days=35)
    record = MeterEventSync.objects.create(owner=with_stripe(alice), day=old, meter="cpu_hours", value=Decimal("1"),
                                           identifier=f"{alice.pk}-{old}-cpu_hours", status="failed")

    with pytest.raises(MeterSyncRefused, match="35 days"):
        meter_sync_retry(sync=record)

    assert stripe_sandbox.meter_events_for() == []
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("failed", 0)


def test_a_retry_while_the_daily_sync_runs_is_refused(failed_record, with_stripe, alice, stripe_sandbox):
    with_stripe(alice)
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [SYNC_LOCK_ID])  # the daily sync, at work

        with pytest.raises(MeterSyncRefused, match="running right now"):
            meter_sync_retry(sync=failed_record)

    assert stripe_sandbox.meter_events_for() == []
    assert MeterEventSync.objects.get(pk=failed_record.pk).status == "failed"
