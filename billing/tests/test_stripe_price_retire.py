"""Subscription items of price periods over for good leave the Stripe subscriptions (at most 20 fit).

A period is over for good once it ended more than BILLABLE_DAYS_BACK + 31 = 66 days ago: no meter
event can reach its meter any more and the invoice holding its last day is final. Days pass on a
moved clock (time-machine), the app's and the in-process Stripe sandbox's together.
"""

from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
import time_machine

from billing import stripe_client
from billing.meter_sync import stripe_usage_sync
from billing.models import Price, SubscriptionPriceItem
from billing.price_item_retirement import RETIRE_AFTER_DAYS, stripe_price_items_retire
from billing.price_periods import BILLABLE_DAYS_BACK, PricePeriods, _items_missing, stripe_prices_follow
from billing.services import price_add
from billing.tasks import stripe_price_period_create
from integrity.conservation import stripe_meter_values

D = Decimal
UTC = dt_timezone.utc
TODAY = date(2026, 8, 3)
ENDED_LONG_AGO = TODAY - timedelta(days=70)  # the 2025 CPU price ends here: over for good by TODAY
ENDED_RECENTLY = TODAY - timedelta(days=40)  # the next CPU price ends here: still correctable/invoiced
DELETE = "DELETE /v1/subscription_items/<item_id>"


def at(day, hour=1):
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)


@pytest.fixture
def clock():
    with time_machine.travel(at(ENDED_LONG_AGO - timedelta(days=1), 9), tick=True) as traveller:
        yield traveller


def cpu_price_from(day, amount):
    """An admin schedules a CPU price the day before it starts; its task runs."""
    price = price_add(resource="cpu_hour", unit_amount=D(amount), effective_from=day)
    stripe_price_period_create(price.pk)
    return price


def sandbox_items(stripe_sandbox, owner):
    (subscription,) = stripe_sandbox.objects("subscription", customer=owner.stripe_customer_id)
    return {item["id"] for item in subscription["items"]["data"]}


def unretired_items(owner):
    return set(SubscriptionPriceItem.objects.filter(owner=owner, retired_at__isnull=True)
               .values_list("stripe_item_id", flat=True))


@pytest.fixture
def two_cpu_changes(with_stripe, collect, alice, clock, stripe_sandbox):
    """Alice subscribes on the 2025 prices; CPU changes ENDED_LONG_AGO and again ENDED_RECENTLY."""
    with_stripe(alice)
    first = cpu_price_from(ENDED_LONG_AGO, "0.20")
    collect(alice, ENDED_LONG_AGO - timedelta(days=1), "5")  # a day at the 2025 price
    clock.move_to(at(ENDED_LONG_AGO))
    assert stripe_usage_sync().sent == 1
    clock.move_to(at(ENDED_RECENTLY - timedelta(days=1), 9))
    second = cpu_price_from(ENDED_RECENTLY, "0.30")
    clock.move_to(at(TODAY, 2))
    oldest = Price.objects.get(resource="cpu_hour", effective_from=date(2025, 1, 1))
    return oldest, first, second


@pytest.mark.django_db
def test_the_item_of_a_period_ended_70_days_ago_leaves_the_subscription_once_and_the_others_stay(
    alice, stripe_sandbox, two_cpu_changes
):
    oldest, first, second = two_cpu_changes
    old_item = SubscriptionPriceItem.objects.get(owner=alice, price=oldest)
    assert len(sandbox_items(stripe_sandbox, alice)) == 4  # CPU 2025, CPU from -70, CPU from -40, GPU 2025

    report = stripe_price_items_retire()
    deletes = stripe_sandbox.state.requests[DELETE]
    again = stripe_price_items_retire()

    assert (report.retired, report.errors) == (1, [])
    assert deletes == 1
    assert (again.retired, again.errors, stripe_sandbox.state.requests[DELETE]) == (0, [], 1)  # no request
    old_item.refresh_from_db()
    assert old_item.retired_at is not None  # the row stays: it says the item was there
    assert old_item.stripe_item_id not in sandbox_items(stripe_sandbox, alice)
    # The period that ended 40 days ago (still correctable) and the current ones keep their items.
    assert sandbox_items(stripe_sandbox, alice) == unretired_items(alice)
    assert set(SubscriptionPriceItem.objects.filter(owner=alice, retired_at__isnull=True)
               .values_list("price__effective_from", flat=True)) == {date(2025, 1, 1), ENDED_LONG_AGO, ENDED_RECENTLY}
    assert SubscriptionPriceItem.objects.get(owner=alice, price=first).retired_at is None
    assert SubscriptionPriceItem.objects.get(owner=alice, price=second).retired_at is None


@pytest.mark.django_db
def test_a_retired_item_is_never_added_again(alice, stripe_sandbox, two_cpu_changes):
    oldest, _first, _second = two_cpu_changes
    stripe_price_items_retire()
    periods = PricePeriods.load()

    followed = stripe_prices_follow()

    assert (followed.items_added, followed.errors) == (0, [])
    # It applies to no day Stripe still takes usage for, and its retired row counts as "has an item".
    assert oldest not in periods.from_day(TODAY - timedelta(days=BILLABLE_DAYS_BACK))
    assert _items_missing(list(Price.objects.all()), periods) == []
    assert len(sandbox_items(stripe_sandbox, alice)) == 3


@pytest.mark.django_db
def test_usage_metered_before_the_item_left_still_counts_as_invoiceable_for_the_conservation_check(
    alice, stripe_sandbox, two_cpu_changes
):
    stripe_price_items_retire()

    values = stripe_meter_values(stripe_url=stripe_sandbox.url)

    ((_meter, value, invoiceable, unit),) = [
        v for (customer, _meter, day), v in values.items()
        if customer == alice.stripe_customer_id and day == ENDED_LONG_AGO - timedelta(days=1)]
    assert (value, invoiceable, unit) == (D("5"), True, D("0.10"))


@pytest.mark.django_db
def test_a_period_is_retired_the_67th_day_after_it_ended_not_the_66th(alice, stripe_sandbox, two_cpu_changes):
    on_day_66 = stripe_price_items_retire(today=ENDED_LONG_AGO + timedelta(days=RETIRE_AFTER_DAYS))
    on_day_67 = stripe_price_items_retire(today=ENDED_LONG_AGO + timedelta(days=RETIRE_AFTER_DAYS + 1))

    assert (on_day_66.retired, on_day_67.retired) == (0, 1)


@pytest.mark.django_db
def test_stripe_failing_the_delete_leaves_the_row_for_the_next_run(alice, stripe_sandbox, two_cpu_changes):
    oldest, _first, _second = two_cpu_changes
    stripe_sandbox.fail("error", customer=alice.stripe_customer_id)  # 500 until healed (the library retries too)

    failed = stripe_price_items_retire()
    old_item = SubscriptionPriceItem.objects.get(owner=alice, price=oldest)
    still_there = old_item.stripe_item_id in sandbox_items(stripe_sandbox, alice)
    stripe_sandbox.heal()
    next_run = stripe_price_items_retire()

    assert (failed.retired, len(failed.errors), old_item.retired_at, still_there) == (0, 1, None, True)
    assert "Stripe is unavailable right now" in failed.errors[0]
    assert (next_run.retired, next_run.errors) == (1, [])
    old_item.refresh_from_db()
    assert old_item.retired_at is not None
    assert old_item.stripe_item_id not in sandbox_items(stripe_sandbox, alice)


@pytest.mark.django_db
def test_an_item_already_gone_from_stripe_counts_as_retired(alice, stripe_sandbox, two_cpu_changes):
    oldest, _first, _second = two_cpu_changes
    old_item = SubscriptionPriceItem.objects.get(owner=alice, price=oldest)
    stripe_client.subscription_item_delete(old_item.stripe_item_id)  # by hand, or a delete whose answer was lost

    report = stripe_price_items_retire()

    assert (report.retired, report.errors) == (1, [])
    old_item.refresh_from_db()
    assert old_item.retired_at is not None


@pytest.mark.django_db
def test_a_year_of_price_changes_every_ten_days_never_fills_the_subscription(
    with_stripe, collect, alice, stripe_sandbox
):
    start = date(2026, 1, 5)
    with time_machine.travel(at(start, 9), tick=True) as clock:
        with_stripe(alice)
        most = 0
        for step in range(36):  # 36 CPU prices: without retiring, 38 items where Stripe allows 20
            day = start + timedelta(days=10 * step)
            clock.move_to(at(day, 9))
            price_add(resource="cpu_hour", unit_amount=D("0.10") + D(step) / 100,
                      effective_from=day + timedelta(days=1))
            collect(alice, day, "1")
            clock.move_to(at(day + timedelta(days=1), 3))
            report = stripe_usage_sync()  # the daily sync retires, then follows, then sends

            assert report.errors == [] and report.sent == 1
            remaining = unretired_items(alice)
            assert sandbox_items(stripe_sandbox, alice) == remaining
            most = max(most, len(remaining))

    retired = SubscriptionPriceItem.objects.filter(owner=alice, retired_at__isnull=False).count()
    assert retired == 36 - 7  # periods ended more than 66 days before the last run
    assert most <= 9 < 20  # 7-8 ended-but-open CPU periods and the current one, plus GPU
