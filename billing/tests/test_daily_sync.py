"""The daily sync: one meter event per owner/day/meter, never twice, late days caught up."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from billing.meter_sync import stripe_usage_sync
from billing.models import BillableUsage, MeterEventSync

D = Decimal


def yesterday():
    return timezone.now().date() - timedelta(days=1)


def events(stripe_sandbox, customer=None):
    return sorted((e["identifier"], e["event_name"], e["value"]) for e in stripe_sandbox.meter_events_for(customer))


@pytest.mark.django_db
def test_running_the_sync_twice_sends_one_meter_event_per_owner_day_and_meter(
    with_stripe, collect, alice, charlie, stripe_sandbox
):
    day = yesterday()
    for owner in (with_stripe(alice), with_stripe(charlie)):
        collect(owner, day, "1.25", gpu="0.5")

    first = stripe_usage_sync(day=day)
    second = stripe_usage_sync(day=day)

    assert (first.sent, second.sent) == (4, 0)
    sent = events(stripe_sandbox)
    assert len(sent) == 4
    assert {identifier for identifier, *_ in sent} == {
        f"{owner.pk}-{day}-{meter}" for owner in (alice, charlie) for meter in ("cpu_hours", "gpu_hours")
    }
    assert MeterEventSync.objects.filter(status="sent").count() == 4


@pytest.mark.django_db
def test_a_members_usage_is_in_the_owners_events_and_amounts_equal_the_collected_sums(
    with_stripe, collect, alice, bob, stripe_sandbox
):
    day = yesterday()
    with_stripe(alice)
    collect(alice, day, "0.25", gpu="0.25", project="fraud")
    collect(alice, day, "0.5", project="fraud")
    collect(bob, day, "1.75", gpu="0.5", project="churn")

    stripe_usage_sync(day=day)

    collected = BillableUsage.objects.filter(owner=alice, day=day)
    assert sum(r.cpu_hours for r in collected) == D("2.5")
    assert events(stripe_sandbox, alice.stripe_customer_id) == [
        (f"{alice.pk}-{day}-cpu_hours", "hopsworks_cpu_hours_from_20250101", D("2.500000")),
        (f"{alice.pk}-{day}-gpu_hours", "hopsworks_gpu_hours_from_20250101", D("0.750000")),
    ]
    assert stripe_sandbox.meter_events_for(bob.stripe_customer_id or "none") == []


@pytest.mark.django_db
def test_stripe_failing_for_one_owner_leaves_that_day_pending_sends_the_others_and_the_next_run_sends_it(
    with_stripe, collect, alice, charlie, stripe_sandbox
):
    day = yesterday()
    for owner in (with_stripe(alice), with_stripe(charlie)):
        collect(owner, day, "3")
    stripe_sandbox.fail("error", customer=charlie.stripe_customer_id)

    report = stripe_usage_sync(day=day)

    assert (report.sent, report.pending) == (1, 1)
    record = MeterEventSync.objects.get(owner=charlie)
    assert record.status == "pending"
    assert "Stripe is unavailable" in record.last_error
    assert events(stripe_sandbox, charlie.stripe_customer_id) == []

    stripe_sandbox.heal()
    later = stripe_usage_sync(day=day + timedelta(days=1))  # the next day's run catches up

    assert later.sent == 1
    assert events(stripe_sandbox, charlie.stripe_customer_id) == [(f"{charlie.pk}-{day}-cpu_hours", "hopsworks_cpu_hours_from_20250101", D("3.000000"))]
    assert len(events(stripe_sandbox, alice.stripe_customer_id)) == 1
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("sent", 2)


@pytest.mark.django_db
def test_a_timeout_leaves_the_day_pending_and_the_retry_is_not_counted_twice(
    with_stripe, collect, alice, stripe_sandbox, settings
):
    settings.STRIPE_TIMEOUT = 0.5
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    day = yesterday()
    collect(with_stripe(alice), day, "2")
    stripe_sandbox.fail("timeout", customer=alice.stripe_customer_id, remaining=1, seconds=1.0)

    assert stripe_usage_sync(day=day).pending == 1
    import time

    time.sleep(0.8)  # the timed-out request still reached Stripe and was recorded there
    assert stripe_usage_sync(day=day).sent == 1

    assert len(events(stripe_sandbox, alice.stripe_customer_id)) == 1
    assert MeterEventSync.objects.get(owner=alice).status == "sent"


@pytest.mark.django_db
def test_rate_limited_answers_are_retried_with_backoff(with_stripe, collect, make_user, stripe_sandbox, settings):
    settings.STRIPE_SYNC_CONCURRENCY = 4
    day = yesterday()
    owners = [with_stripe(make_user(f"owner{i}@example.com")) for i in range(6)]
    for owner in owners:
        collect(owner, day, "1")
    stripe_sandbox.fail("rate_limit", remaining=5)

    report = stripe_usage_sync(day=day)

    assert (report.sent, report.pending) == (6, 0)
    assert len(events(stripe_sandbox)) == 6
    assert stripe_sandbox.state.requests["POST /v1/billing/meter_events"] == 11


@pytest.mark.django_db
def test_usage_added_after_a_day_was_sent_goes_out_as_a_correction_that_replaces_it(
    with_stripe, collect, alice, stripe_sandbox
):
    day = yesterday()
    collect(with_stripe(alice), day, "1")
    stripe_usage_sync(day=day)
    collect(alice, day, "0.5")  # a late slot of that day

    assert stripe_usage_sync(day=day).sent == 1
    assert stripe_usage_sync(day=day).sent == 0

    start = int(timezone.now().timestamp()) - 40 * 86400
    total = stripe_sandbox.meter_total(customer=alice.stripe_customer_id, event_name="hopsworks_cpu_hours_from_20250101",
                                       start=start, end=start + 80 * 86400)
    assert total == D("1.5")  # the day window keeps Stripe's last event: no double count
    assert MeterEventSync.objects.get(owner=alice).identifier == f"{alice.pk}-{day}-cpu_hours-r2"


@pytest.mark.django_db
def test_a_day_older_than_stripes_35_day_window_is_marked_failed_not_sent(with_stripe, collect, alice, stripe_sandbox):
    old = timezone.now().date() - timedelta(days=40)
    collect(with_stripe(alice), old, "1")
    MeterEventSync.objects.create(owner=alice, day=old, meter="cpu_hours", value=D("1"),
                                  identifier=f"{alice.pk}-{old}-cpu_hours")

    report = stripe_usage_sync(day=yesterday())

    assert report.expired == 1
    record = MeterEventSync.objects.get(owner=alice)
    assert record.status == "failed" and record.last_error.startswith("Too old")
    assert stripe_sandbox.meter_events_for() == []


@pytest.mark.django_db
def test_an_owner_without_a_stripe_customer_is_recorded_failed_and_others_still_go(
    with_stripe, collect, alice, charlie, stripe_sandbox
):
    day = yesterday()
    collect(with_stripe(alice), day, "1")
    collect(charlie, day, "1")  # no Stripe customer (sign-up hook failed)

    report = stripe_usage_sync(day=day)

    assert (report.sent, report.failed) == (1, 1)
    assert "no Stripe customer" in MeterEventSync.objects.get(owner=charlie).last_error


@pytest.mark.django_db
def test_the_command_syncs_the_given_date_and_refuses_a_bad_one(with_stripe, collect, alice, stripe_sandbox, capsys):
    day = yesterday() - timedelta(days=2)
    collect(with_stripe(alice), day, "1")

    call_command("sync_stripe_usage", "--date", day.isoformat())

    assert f"sync for {day}: 1 sent" in capsys.readouterr().out
    assert len(stripe_sandbox.meter_events_for()) == 1
    with pytest.raises(CommandError, match="--date must look like"):
        call_command("sync_stripe_usage", "--date", "24/11/2026")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded prices
def test_the_daily_celery_task_sends_yesterdays_usage_from_a_real_worker(
    with_stripe, collect, alice, stripe_sandbox, celery_processes, settings, wait
):
    from billing.tasks import sync_stripe_usage_daily

    collect(with_stripe(alice), yesterday(), "4", gpu="1")
    procs = celery_processes(STRIPE_API_BASE=settings.STRIPE_API_BASE, STRIPE_SECRET_KEY=settings.STRIPE_SECRET_KEY)
    procs.start_worker(concurrency=1)

    result = sync_stripe_usage_daily.apply_async(queue=procs.queue)

    wait(lambda: MeterEventSync.objects.filter(status="sent").count() == 2, timeout=60,
         message=f"the worker's sync; log:\n{procs.log('worker')[-2000:]}")
    assert "2 sent" in result.get(timeout=10)
    assert len(stripe_sandbox.meter_events_for(alice.stripe_customer_id)) == 2


@pytest.mark.django_db
def test_a_second_sync_while_one_is_running_does_nothing(with_stripe, collect, alice, stripe_sandbox):
    import psycopg
    from django.db import connection

    from billing.meter_sync import SYNC_LOCK_ID

    collect(with_stripe(alice), yesterday(), "1")
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [SYNC_LOCK_ID])  # the other sync, still at work

        report = stripe_usage_sync(day=yesterday())

    assert report.skipped_locked and "another sync is running" in str(report)
    assert stripe_sandbox.meter_events_for() == []
