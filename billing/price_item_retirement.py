"""Subscription items of price periods that are over for good leave the Stripe subscriptions.

Every price period adds an item to every owner's subscription and Stripe allows 20 items on one, so
items whose usage can no longer change and was invoiced are removed: those of a period that ended
more than BILLABLE_DAYS_BACK + 31 days ago. By then no meter event (at most 35 days old) can reach
its meter, and the monthly invoice holding its last day is finalised. The SubscriptionPriceItem row
stays, marked retired: it records that the item was there, and keeps `_items_missing` from adding it
again. Run before every daily sync, next to `stripe_prices_follow`.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from . import stripe_client
from .models import Price, SubscriptionPriceItem
from .price_periods import BILLABLE_DAYS_BACK, PricePeriods

logger = logging.getLogger(__name__)
RETIRE_AFTER_DAYS = BILLABLE_DAYS_BACK + 31  # corrections reach 35 days back; a month's invoice closes


@dataclass
class RetirementReport:
    """What one retirement run did (for the sync's log)."""

    retired: int = 0
    errors: list = field(default_factory=list)

    def __str__(self):
        return f"Stripe price items: {self.retired} retired, {len(self.errors)} errors"


def price_periods_closed(*, today=None):
    """Price rows whose period ended (the next row of the resource started) more than
    RETIRE_AFTER_DAYS days before `today`."""
    cutoff = (today or timezone.now().date()) - timedelta(days=RETIRE_AFTER_DAYS)
    prices = list(Price.objects.all())
    periods = PricePeriods(prices)
    return [price for price in prices if (until := periods.until(price)) is not None and until < cutoff]


def stripe_price_items_retire(*, today=None):
    """Remove every owner's subscription item of a closed price period from Stripe and mark its row
    retired; returns a RetirementReport. Idempotent: a row Stripe refused stays for the next run."""
    report = RetirementReport()
    closed = [price.pk for price in price_periods_closed(today=today)]
    if not closed:
        return report
    # Only the owner's current subscription: items of one replaced since are not ours to change.
    rows = (SubscriptionPriceItem.objects.filter(price_id__in=closed, retired_at__isnull=True,
                                                 stripe_subscription_id=F("owner__stripe_subscription_id"))
            .order_by("pk"))
    for row in rows:
        try:
            stripe_client.subscription_item_delete(row.stripe_item_id)
        except stripe_client.StripeServiceError as exc:
            logger.warning("subscription item %s (price %s, user %s) not retired: %s", row.stripe_item_id,
                           row.price_id, row.owner_id, exc)
            report.errors.append(f"{row.stripe_subscription_id} item {row.stripe_item_id}: {exc}")
            if exc.retryable:
                break  # Stripe is down or limiting us: the rest waits for the next run
            continue
        SubscriptionPriceItem.objects.filter(pk=row.pk, retired_at__isnull=True).update(retired_at=timezone.now())
        report.retired += 1
        logger.info("subscription item %s (price %s) retired from subscription %s of user %s", row.stripe_item_id,
                    row.price_id, row.stripe_subscription_id, row.owner_id)
    if report.retired or report.errors:
        logger.info("%s", report)
    return report
