"""Stripe follows the database's prices: each Price row (a resource's price from a day until the
next one) has its own Stripe billing meter and metered price, and every owner's subscription has an
item for it. The daily sync sends a day's hours to the meter of the price in effect that day, so
each invoice line is hours × the price of the days they were used on; no proration, no repricing.

Made when a price is added (a task on commit) and checked again before every daily sync. Nothing
is made twice: Stripe itself refuses a second active meter for an event name, a second active price
for a lookup key and a second item for a price on a subscription, and what it already holds is
found again. Idempotency keys (the Price pk and the hour) cover the client's own retries; they
change each hour because Stripe replays a stored 500 for the same key for 24 hours.
"""

import logging
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from . import stripe_client
from .models import Price, StripeCatalogObject, SubscriptionPriceItem
from .pricing import EVENT_NAMES, METER_OF_RESOURCE

logger = logging.getLogger(__name__)
CATALOG_LOCK_ID = 4_711_001
PRODUCT_NAME = "Hopsworks Managed compute"
BILLABLE_DAYS_BACK = 35  # Stripe takes meter events up to 35 days old: older periods get no usage


@dataclass
class PropagationReport:
    """What one propagation did (for the task log and the sync's log)."""

    prices_created: int = 0
    items_added: int = 0
    errors: list = field(default_factory=list)

    def __str__(self):
        return (f"Stripe prices: {self.prices_created} price periods created, {self.items_added} subscription"
                f" items added, {len(self.errors)} errors")


class PricePeriods:
    """Every Price row by resource and start day: which row applies to a day (no query per day)."""

    def __init__(self, prices):
        self._starts, self._rows = {}, {}
        for price in sorted(prices, key=lambda p: (p.resource, p.effective_from)):
            self._starts.setdefault(price.resource, []).append(price.effective_from)
            self._rows.setdefault(price.resource, []).append(price)

    @classmethod
    def load(cls):
        return cls(list(Price.objects.all()))

    def in_effect(self, resource, day):
        """The Price row for `resource` on `day`, or None before the first one."""
        index = bisect_right(self._starts.get(resource, []), day) - 1
        return self._rows[resource][index] if index >= 0 else None

    def until(self, price):
        """The first day `price` no longer applies (the next price's start), or None."""
        starts = self._starts[price.resource]
        index = bisect_right(starts, price.effective_from)
        return starts[index] if index < len(starts) else None

    def from_day(self, day):
        """Rows that apply to `day` or later: the one in effect then, and every later one."""
        rows = []
        for resource, starts in self._starts.items():
            first = max(bisect_right(starts, day) - 1, 0)
            rows.extend(self._rows[resource][first:])
        return rows


def prices_for_new_subscription(*, today=None):
    """Price rows a new subscription needs: today's and the scheduled ones."""
    return PricePeriods.load().from_day(today or timezone.now().date())


def event_name_for(price):
    """The meter event name of a price period, e.g. `hopsworks_cpu_hours_from_20261201`."""
    return f"{EVENT_NAMES[METER_OF_RESOURCE[price.resource]]}_from_{price.effective_from:%Y%m%d}"


def _attempt_key(base):
    return f"{base}-{timezone.now():%Y%m%d%H}"


def stripe_product_ensure():
    """The one Stripe product every price period belongs to: its id, made once."""
    known = StripeCatalogObject.objects.filter(key="product").values_list("stripe_id", flat=True).first()
    if known:
        return known
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CATALOG_LOCK_ID])
        known = StripeCatalogObject.objects.filter(key="product").values_list("stripe_id", flat=True).first()
        if known:
            return known
        product = stripe_client.product_create(name=PRODUCT_NAME, idempotency_key="catalog-product-v1")
        StripeCatalogObject.objects.create(key="product", stripe_id=product.id)
    logger.info("Stripe product is %s", product.id)
    return product.id


def price_period_stripe_ensure(*, price):
    """Give one Price row its Stripe meter and metered price (once); returns the row, reloaded."""
    if price.stripe_price_id:
        return price
    product = stripe_product_ensure()
    with transaction.atomic():
        price = Price.objects.select_for_update().get(pk=price.pk)  # one maker per row at a time
        if not price.stripe_meter_id:
            _meter_create(price)
        if not price.stripe_price_id:
            _price_create(price, product)
    logger.info("price %s is Stripe meter %s, price %s", price.pk, price.stripe_meter_id, price.stripe_price_id)
    return price


def _meter_create(price):
    event_name = price.stripe_event_name or event_name_for(price)
    try:
        meter = stripe_client.meter_create(
            event_name=event_name, display_name=f"{price.get_resource_display()}s from {price.effective_from}",
            idempotency_key=_attempt_key(f"price-period-{price.pk}-meter"),
        )
    except stripe_client.StripeServiceError as exc:
        # Made before, but our record of it was lost (and the key has expired): Stripe refuses a
        # second active meter for the event name, so find that one.
        meter = stripe_client.meter_find(event_name=event_name) if exc.param == "event_name" else None
        if meter is None:
            raise
    price.stripe_event_name, price.stripe_meter_id = event_name, meter.id
    Price.objects.filter(pk=price.pk).update(stripe_event_name=event_name, stripe_meter_id=meter.id)


def _price_create(price, product):
    cents = Decimal(format((price.unit_amount * 100).normalize(), "f"))  # 0.100000 USD → 10 cents
    lookup_key = f"hopsworks-price-period-{price.pk}"
    try:
        created = stripe_client.metered_price_create(
            product=product, meter=price.stripe_meter_id, unit_amount_cents=cents, lookup_key=lookup_key,
            nickname=f"{price.get_resource_display()}s at ${price.unit_amount} from {price.effective_from}",
            idempotency_key=_attempt_key(f"price-period-{price.pk}-price"),
        )
    except stripe_client.StripeServiceError as exc:
        # Made before (our record lost, the key expired): a second price on the same meter would
        # bill its hours twice, so take the one holding the lookup key.
        created = stripe_client.price_find(lookup_key=lookup_key) if exc.param == "lookup_key" else None
        if created is None:
            raise
    price.stripe_price_id = created.id
    Price.objects.filter(pk=price.pk).update(stripe_price_id=created.id)


def subscription_items_record(*, owner, subscription):
    """Remember which price periods a just-created subscription has an item for."""
    by_stripe_id = dict(Price.objects.exclude(stripe_price_id="").values_list("stripe_price_id", "pk"))
    SubscriptionPriceItem.objects.bulk_create([
        SubscriptionPriceItem(owner=owner, price_id=by_stripe_id[item.price.id], stripe_subscription_id=subscription.id,
                              stripe_item_id=item.id)
        for item in subscription["items"].data if item.price.id in by_stripe_id
    ], ignore_conflicts=True)


def stripe_prices_follow(*, price_id=None):
    """Make the Stripe meter and price of every billable Price row (or just `price_id`) that lacks
    them, and add each to every owner's subscription that lacks it; returns a PropagationReport.
    Idempotent: run on price_add's commit and before every daily sync."""
    report = PropagationReport()
    periods = PricePeriods.load()
    prices = periods.from_day(timezone.now().date() - timedelta(days=BILLABLE_DAYS_BACK))
    if price_id is not None:
        prices = [p for p in prices if p.pk == price_id]
    ready = []
    for price in prices:
        try:
            made = not price.stripe_price_id
            ready.append(price_period_stripe_ensure(price=price))
            report.prices_created += made
        except stripe_client.StripeServiceError as exc:
            logger.warning("Stripe meter/price for price %s not made: %s", price.pk, exc)
            report.errors.append(f"price {price.pk}: {exc}")
    for owner_id, subscription, price in _items_missing(ready, periods):
        try:
            _subscription_item_add(owner_id=owner_id, subscription=subscription, price=price)
            report.items_added += 1
        except stripe_client.StripeServiceError as exc:
            logger.warning("price %s not added to subscription %s of user %s: %s", price.pk, subscription, owner_id, exc)
            report.errors.append(f"{subscription} price {price.pk}: {exc}")
            if exc.retryable:
                break  # Stripe is down or limiting us: the rest waits for the next run
    if report.prices_created or report.items_added or report.errors:
        logger.info("%s", report)
    return report


def _items_missing(prices, periods):
    """(owner_id, subscription id, price) for every owner subscription without an item for a price
    that applies on or after the day the owner joined (earlier periods cannot hold their usage).
    A retired row counts as an item: its period is over for good (`price_item_retirement.py`)."""
    if not prices:
        return []
    ends = {price.pk: periods.until(price) for price in prices}
    owners = (get_user_model().objects.exclude(stripe_subscription_id="").filter(account_owner__isnull=True)
              .values_list("pk", "stripe_subscription_id", "date_joined"))
    have = set(SubscriptionPriceItem.objects.filter(price_id__in=ends)
               .values_list("stripe_subscription_id", "price_id"))
    return [(owner_id, subscription, price) for owner_id, subscription, joined in owners for price in prices
            if (subscription, price.pk) not in have and (ends[price.pk] is None or ends[price.pk] > joined.date())]


def _subscription_item_add(*, owner_id, subscription, price):
    try:
        item = stripe_client.subscription_item_create(
            subscription=subscription, price=price.stripe_price_id,
            idempotency_key=_attempt_key(f"subscription-item-{subscription}-{price.pk}"),
        )
    except stripe_client.StripeServiceError as exc:
        # Stripe refuses a second item with the same price: it was added before, find it.
        item = stripe_client.subscription_item_find(subscription=subscription, price=price.stripe_price_id) \
            if exc.param == "price" else None
        if item is None:
            raise
    SubscriptionPriceItem.objects.get_or_create(
        stripe_subscription_id=subscription, price=price, defaults={"owner_id": owner_id, "stripe_item_id": item.id}
    )
    logger.info("price %s added to subscription %s of user %s (%s)", price.pk, subscription, owner_id, item.id)
