"""Stripe follows the database's price changes: a day's hours are invoiced at that day's price.

Days pass on a moved clock (time-machine): the app's and the in-process Stripe sandbox's clocks
move together, so a price scheduled "from tomorrow" really comes into effect before the sync and
the invoice. Usage is recorded for given days, as the collector would.
"""

from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
import time_machine

from billing.meter_sync import stripe_usage_sync
from billing.models import MeterEventSync, Price, SubscriptionPriceItem
from billing.price_periods import stripe_prices_follow
from billing.selectors import cost_of
from billing.services import PriceError, price_add
from billing.statements import month_to_date
from billing.tasks import stripe_price_period_create

D = Decimal
UTC = dt_timezone.utc
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # the change is mid-month: one invoice holds both sides
TUESDAY = date(2026, 12, 8)


def at(day, hour=1):
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=True) as traveller:
        yield traveller


@pytest.fixture
def cpu_price_from_tuesday(clock, django_capture_on_commit_callbacks):
    """Monday: an admin schedules CPU at $0.25 from Tuesday; the task queued on commit runs."""
    with django_capture_on_commit_callbacks() as callbacks:
        price = price_add(resource="cpu_hour", unit_amount=D("0.25"), effective_from=TUESDAY)
    assert len(callbacks) == 1  # the Stripe propagation is queued once the price is committed
    stripe_price_period_create(price.pk)  # what the worker runs for that queued task
    return price


def items_of(stripe_sandbox, owner):
    (subscription,) = stripe_sandbox.objects("subscription", customer=owner.stripe_customer_id)
    return {item["price"]["id"]: item for item in subscription["items"]["data"]}


def invoice_lines(invoice):
    return sorted((line["pricing"]["unit_amount_decimal"], line["quantity_decimal"], line["amount"])
                  for line in invoice["lines"]["data"] if line["amount"])


@pytest.mark.django_db
def test_an_invoice_across_a_cpu_price_change_bills_old_days_at_the_old_price_and_new_days_at_the_new_one(
    with_stripe, collect, alice, bob, clock, stripe_sandbox
):
    with_stripe(alice)  # she signed up on Monday morning, before the change was scheduled
    new = price_add(resource="cpu_hour", unit_amount=D("0.25"), effective_from=TUESDAY)
    stripe_price_period_create(new.pk)
    collect(alice, TUESDAY - timedelta(days=1), "10", gpu="1")  # Monday: $0.10 CPU, $0.50 GPU
    collect(bob, TUESDAY, "3", project="churn")  # Tuesday: $0.25 CPU, on his owner's bill
    collect(alice, TUESDAY, "1", gpu="2")

    clock.move_to(at(TUESDAY + timedelta(days=1)))  # Wednesday 01:00: the daily sync for Tuesday
    report = stripe_usage_sync()
    clock.move_to(at(date(2027, 1, 1)))  # the month is over
    (invoice,) = stripe_sandbox.period_close(customer=alice.stripe_customer_id)

    assert (report.sent, report.pending, report.failed) == (4, 0, 0)
    assert invoice_lines(invoice) == [
        ("10", "10.000000", 100),  # Monday: 10 CPU h × 10¢
        ("25", "4.000000", 100),  # Tuesday: (3 + 1) CPU h × 25¢
        ("50", "3.000000", 150),  # 1 + 2 GPU h × 50¢ (unchanged)
    ]
    ours = month_to_date(owner=alice, today=date(2026, 12, 31))["total"]["cost"]
    assert ours == D("3.50") == D(invoice["total"]) / 100
    assert ours == cost_of(day=TUESDAY - timedelta(days=1), cpu_hours=D("10"), gpu_hours=D("1")) + cost_of(
        day=TUESDAY, cpu_hours=D("4"), gpu_hours=D("2"))


@pytest.mark.django_db
def test_the_price_added_reaches_every_existing_owners_subscription_before_it_starts(
    with_stripe, alice, charlie, clock, stripe_sandbox, django_capture_on_commit_callbacks
):
    with_stripe(alice)
    with_stripe(charlie)

    with django_capture_on_commit_callbacks() as callbacks:
        price = price_add(resource="cpu_hour", unit_amount=D("0.25"), effective_from=TUESDAY)
    stripe_price_period_create(price.pk)

    assert len(callbacks) == 1
    price.refresh_from_db()
    meter = stripe_sandbox.state.get(price.stripe_meter_id, "billing.meter")
    stripe_price = stripe_sandbox.state.get(price.stripe_price_id, "price")
    assert meter["event_name"] == "hopsworks_cpu_hours_from_20261208"
    assert (stripe_price["unit_amount_decimal"], stripe_price["recurring"]["meter"]) == ("25", meter["id"])
    for owner in (alice, charlie):
        item = items_of(stripe_sandbox, owner)[price.stripe_price_id]
        assert item["current_period_start"] < at(TUESDAY, 0).timestamp()  # in place before Tuesday's usage
    assert SubscriptionPriceItem.objects.filter(price=price).count() == 2


@pytest.mark.django_db
def test_running_the_propagation_and_the_sync_again_makes_no_second_meter_price_or_item(
    with_stripe, collect, alice, clock, cpu_price_from_tuesday, stripe_sandbox
):
    with_stripe(alice)
    collect(alice, TUESDAY, "2")
    clock.move_to(at(TUESDAY + timedelta(days=1)))

    stripe_prices_follow()
    stripe_price_period_create(cpu_price_from_tuesday.pk)
    first = stripe_usage_sync()
    second = stripe_usage_sync()
    # Our records of what Stripe made are lost and Stripe's idempotency keys have expired (> 24 h):
    # the meter, price and item Stripe holds are found again, not made twice.
    SubscriptionPriceItem.objects.all().delete()
    Price.objects.filter(pk=cpu_price_from_tuesday.pk).update(stripe_meter_id="", stripe_price_id="")
    stripe_sandbox.state.idempotency.clear()
    stripe_prices_follow()
    third = stripe_usage_sync()

    assert (first.sent, second.sent, third.sent) == (1, 0, 0)
    assert len(stripe_sandbox.objects("billing.meter")) == 3  # CPU and GPU from 2025, CPU from Tuesday
    assert len(stripe_sandbox.objects("price")) == 3
    assert len(items_of(stripe_sandbox, alice)) == 3
    assert SubscriptionPriceItem.objects.filter(owner=alice).count() == 3
    assert [e["event_name"] for e in stripe_sandbox.meter_events_for(alice.stripe_customer_id)] == [
        "hopsworks_cpu_hours_from_20261208"
    ]


@pytest.mark.django_db
def test_an_owner_subscribing_after_the_change_gets_items_for_the_current_prices_only(
    with_stripe, collect, make_user, clock, cpu_price_from_tuesday, stripe_sandbox
):
    clock.move_to(at(TUESDAY, 12))
    dora = with_stripe(make_user("dora@example.com"))
    collect(dora, TUESDAY, "6")
    clock.move_to(at(TUESDAY + timedelta(days=1)))
    stripe_usage_sync()
    clock.move_to(at(date(2027, 1, 1)))
    (invoice,) = stripe_sandbox.period_close(customer=dora.stripe_customer_id)

    prices = {item["price"]["unit_amount_decimal"] for item in items_of(stripe_sandbox, dora).values()}
    assert prices == {"25", "50"}  # CPU from Tuesday, GPU since 2025; not the CPU price that ended Monday
    assert invoice_lines(invoice) == [("25", "6.000000", 150)]


@pytest.mark.django_db
def test_a_day_whose_price_has_no_stripe_meter_yet_waits_and_goes_out_once_it_has_one(
    with_stripe, collect, alice, clock, stripe_sandbox
):
    with_stripe(alice)
    price_add(resource="cpu_hour", unit_amount=D("0.25"), effective_from=TUESDAY)  # its task never ran
    collect(alice, TUESDAY, "2")
    clock.move_to(at(TUESDAY + timedelta(days=1)))
    stripe_sandbox.fail("error", remaining=1)  # Stripe fails the sync's first call: making the meter

    first = stripe_usage_sync()
    record = MeterEventSync.objects.get(owner=alice)
    clock.shift(timedelta(hours=1))  # the task's retry, or the next sync
    second = stripe_usage_sync()

    assert (first.sent, first.pending) == (0, 1)
    assert "has no Stripe meter yet" in record.last_error
    assert second.sent == 1
    assert [e["event_name"] for e in stripe_sandbox.meter_events_for(alice.stripe_customer_id)] == [
        "hopsworks_cpu_hours_from_20261208"
    ]


@pytest.mark.django_db
def test_a_price_for_today_is_refused_and_nothing_reaches_stripe(
    with_stripe, alice, clock, stripe_sandbox, django_capture_on_commit_callbacks
):
    with_stripe(alice)
    meters = len(stripe_sandbox.objects("billing.meter"))

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(PriceError):
        price_add(resource="cpu_hour", unit_amount=D("0.25"), effective_from=MONDAY.date())

    assert callbacks == []
    assert len(stripe_sandbox.objects("billing.meter")) == meters
    assert len(items_of(stripe_sandbox, alice)) == 2


def legacy_subscription(owner):
    """What the app made before price periods: one catalog meter and price per resource, by key."""
    from billing import stripe_client
    from billing.models import StripeCatalogObject

    stripe = stripe_client.client().v1
    product = stripe.products.create(params={"name": "Hopsworks Managed compute"})
    StripeCatalogObject.objects.create(key="product", stripe_id=product.id)
    price_ids = []
    for meter, cents in (("cpu_hours", "10"), ("gpu_hours", "50")):
        created = stripe.billing.meters.create(params={
            "display_name": meter, "event_name": f"hopsworks_{meter}", "default_aggregation": {"formula": "sum"},
            "customer_mapping": {"type": "by_id", "event_payload_key": "stripe_customer_id"},
            "value_settings": {"event_payload_key": "value"}, "event_time_window": "day"})
        price = stripe.prices.create(params={
            "product": product.id, "currency": "usd", "unit_amount_decimal": D(cents),
            "recurring": {"interval": "month", "usage_type": "metered", "meter": created.id}})
        StripeCatalogObject.objects.create(key=f"meter:{meter}", stripe_id=created.id)
        StripeCatalogObject.objects.create(key=f"price:{meter}", stripe_id=price.id)
        price_ids.append(price.id)
    customer = stripe.customers.create(params={"email": owner.email})
    subscription = stripe.subscriptions.create(params={"customer": customer.id,
                                                       "items": [{"price": p} for p in price_ids]})
    type(owner).objects.filter(pk=owner.pk).update(stripe_customer_id=customer.id,
                                                   stripe_subscription_id=subscription.id)
    owner.refresh_from_db()
    return owner


@pytest.mark.django_db
def test_an_owner_subscribed_before_price_periods_keeps_the_old_meters_and_gets_the_new_price(
    collect, alice, clock, stripe_sandbox
):
    from importlib import import_module

    from django.apps import apps

    alice = legacy_subscription(alice)
    import_module("billing.migrations.0005_stripe_price_periods").adopt_legacy_catalog(apps, None)
    new = price_add(resource="cpu_hour", unit_amount=D("0.25"), effective_from=TUESDAY)
    stripe_price_period_create(new.pk)
    collect(alice, TUESDAY - timedelta(days=1), "10")
    collect(alice, TUESDAY, "4")
    clock.move_to(at(TUESDAY + timedelta(days=1)))
    stripe_usage_sync()
    clock.move_to(at(date(2027, 1, 1)))
    (invoice,) = stripe_sandbox.period_close(customer=alice.stripe_customer_id)

    assert sorted(e["event_name"] for e in stripe_sandbox.meter_events_for(alice.stripe_customer_id)) == [
        "hopsworks_cpu_hours", "hopsworks_cpu_hours_from_20261208"
    ]
    assert len(stripe_sandbox.objects("billing.meter")) == 3 and len(items_of(stripe_sandbox, alice)) == 3
    assert invoice_lines(invoice) == [("10", "10.000000", 100), ("25", "4.000000", 100)]
    assert month_to_date(owner=alice, today=date(2026, 12, 31))["total"]["cost"] == D("2.00")
