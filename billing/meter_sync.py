"""The daily Stripe sync: each owner's postpaid hours per day become one meter event per meter.

`MeterEventSync` rows are the source of truth for "sent once": Stripe only deduplicates an
identifier for about 24 hours. A day not sent (Stripe down, a timeout) stays pending and goes out
with the next run, as long as Stripe still accepts its timestamp (35 days back).
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from hopsmanaged.advisory_locks import advisory_lock_try

from . import stripe_client
from .models import MeterEventSync
from .price_item_retirement import stripe_price_items_retire
from .price_periods import PricePeriods, stripe_prices_follow
from .pricing import EVENT_NAMES, RESOURCE_OF_METER  # noqa: F401  (EVENT_NAMES: read by others from here)

logger = logging.getLogger(__name__)

STRIPE_BACKDATE_DAYS = 35
SYNC_LOCK_ID = 4_711_004  # pg advisory lock: one sync at a time across processes
HOURS = Decimal("0.000001")

PENDING_SQL = """
WITH totals AS (
    SELECT owner_id, day, SUM(postpaid_cpu_hours) AS cpu, SUM(postpaid_gpu_hours) AS gpu
    FROM billable_usage_daily WHERE day BETWEEN %(oldest)s AND %(newest)s GROUP BY owner_id, day
), wanted AS (
    SELECT owner_id, day, 'cpu_hours' AS meter, cpu AS value FROM totals
    UNION ALL
    SELECT owner_id, day, 'gpu_hours' AS meter, gpu AS value FROM totals
)
SELECT w.owner_id, u.stripe_customer_id, w.day, w.meter, w.value, s.id, s.status, s.value, s.revision
FROM wanted w
JOIN users u ON u.id = w.owner_id
LEFT JOIN stripe_meter_syncs s ON s.owner_id = w.owner_id AND s.day = w.day AND s.meter = w.meter
WHERE w.value > 0 AND (s.id IS NULL OR s.status <> 'sent' OR s.value <> w.value)
ORDER BY w.owner_id, w.day, w.meter
"""


@dataclass
class SyncReport:
    """What one sync run did: counts per outcome, for the command, the task log and the bench."""

    day: object
    sent: int = 0
    pending: int = 0
    failed: int = 0
    expired: int = 0
    skipped_locked: bool = False
    errors: list = field(default_factory=list)

    def __str__(self):
        if self.skipped_locked:
            return f"sync for {self.day}: another sync is running; nothing done"
        return (f"sync for {self.day}: {self.sent} sent, {self.pending} pending, {self.failed} failed, "
                f"{self.expired} too old for Stripe")


@dataclass
class _Work:
    record: MeterEventSync
    customer: str
    event_name: str = ""  # the meter of the price in effect on the record's day ("" if none)
    price_missing: str = ""  # why there is no meter to send to


class MeterSyncRefused(Exception):
    """A retry of one record that will not be made; the message says why."""


def _sync_lock():
    """Yields whether this process holds the sync's advisory lock (held until the block ends)."""
    return advisory_lock_try(SYNC_LOCK_ID)


def stripe_usage_sync(*, day=None):
    """Send the postpaid usage of `day` (default: yesterday, UTC) and of every unsent day before it."""
    day = day or (timezone.now() - timedelta(days=1)).date()
    report = SyncReport(day=day)
    with _sync_lock() as held:
        if not held:
            report.skipped_locked = True
            return report
        # Items of price periods over for good leave first (Stripe allows 20 per subscription), then
        # the safety net for price_add's task: every billable price period has its meter, price and items.
        report.errors.extend(stripe_price_items_retire().errors)
        report.errors.extend(stripe_prices_follow().errors)
        oldest = _oldest_sendable_day(day)
        report.expired = _meter_syncs_expire(before=oldest)
        work = _meter_syncs_claim(oldest=oldest, newest=day)
        _meter_syncs_send(work, report)
    logger.info("%s", report)
    return report


def meter_sync_retry(*, sync):
    """Send one unsent owner/day/meter record again under its own identifier (so never twice) and
    store the outcome; returns the record. MeterSyncRefused: sent already, too old, or a sync runs."""
    with _sync_lock() as held:
        if not held:
            raise MeterSyncRefused("The Stripe sync is running right now; retry once it is done.")
        with transaction.atomic():
            record = MeterEventSync.objects.select_for_update(of=("self",)).select_related("owner").get(pk=sync.pk)
            if record.status == MeterEventSync.Status.SENT:
                raise MeterSyncRefused("This meter event was sent already; there is nothing to retry.")
            if record.day < _oldest_sendable_day(timezone.now().date()):
                raise MeterSyncRefused("Stripe no longer takes usage this old (35 days): bill this day by hand.")
            work = _Work(record=record, customer=record.owner.stripe_customer_id)
            _event_names_assign([work], PricePeriods.load())
            status, error = _meter_event_send(work)
            MeterEventSync.objects.filter(pk=record.pk).update(
                status=status, last_error=error, attempts=F("attempts") + 1, updated_at=timezone.now(),
                sent_at=timezone.now() if status == MeterEventSync.Status.SENT else None,
            )
    logger.info("meter event %s retried by hand: %s", record.identifier, status)
    record.refresh_from_db()
    return record


def _oldest_sendable_day(day):
    """Stripe rejects meter event timestamps older than 35 days; we stamp events at noon UTC."""
    limit = (timezone.now() - timedelta(days=STRIPE_BACKDATE_DAYS)).date() + timedelta(days=1)
    return max(limit, day - timedelta(days=STRIPE_BACKDATE_DAYS - 1))


def _meter_syncs_expire(*, before):
    """Unsent days that Stripe will no longer take: failed, loudly, for an operator to settle."""
    count = MeterEventSync.objects.filter(day__lt=before).exclude(status=MeterEventSync.Status.SENT).exclude(
        status=MeterEventSync.Status.FAILED, last_error__startswith="Too old"
    ).update(status=MeterEventSync.Status.FAILED,
             last_error="Too old for Stripe (more than 35 days back); bill this day by hand.")
    if count:
        logger.error("%s meter events are older than Stripe's 35-day window and were not sent", count)
    return count


def _meter_syncs_claim(*, oldest, newest):
    """Create or refresh a pending record for every owner/day/meter whose total is not sent yet."""
    with connection.cursor() as cursor:
        cursor.execute(PENDING_SQL, {"oldest": oldest, "newest": newest})
        rows = cursor.fetchall()
    new, changed, work = [], [], []
    for owner_id, customer, day, meter, value, sync_id, status, sent_value, revision in rows:
        record = MeterEventSync(
            id=sync_id, owner_id=owner_id, day=day, meter=meter, value=value,
            status=MeterEventSync.Status.PENDING, revision=revision or 1,
        )
        if sync_id is None:
            new.append(record)
        elif status == MeterEventSync.Status.SENT:
            record.revision = revision + 1  # a larger total arrived after the day was sent
            changed.append(record)
        else:
            changed.append(record)
        record.identifier = _identifier(owner_id, day, meter, record.revision)
        work.append(_Work(record=record, customer=customer))
    MeterEventSync.objects.bulk_create(new, batch_size=1000)
    MeterEventSync.objects.bulk_update(changed, ["value", "status", "revision", "identifier"], batch_size=1000)
    _event_names_assign(work, PricePeriods.load())
    return work


def _event_names_assign(work, periods):
    """Each record goes to the meter of its day's price period: Stripe bills it at that price."""
    for item in work:
        record = item.record
        price = periods.in_effect(RESOURCE_OF_METER[record.meter], record.day)
        if price is None:
            item.price_missing = f"No {RESOURCE_OF_METER[record.meter]} price is in effect on {record.day}."
        elif not price.stripe_event_name or not price.stripe_price_id:
            item.price_missing = (f"The price in effect on {record.day} (price {price.pk}) has no Stripe meter"
                                  " yet; it will be sent once it has.")
        else:
            item.event_name = price.stripe_event_name


def _identifier(owner_id, day, meter, revision):
    base = f"{owner_id}-{day.isoformat()}-{meter}"
    return base if revision == 1 else f"{base}-r{revision}"


def _meter_syncs_send(work, report):
    """Send with bounded concurrency (STRIPE_SYNC_CONCURRENCY threads); store outcomes in batches."""
    concurrency = max(1, settings.STRIPE_SYNC_CONCURRENCY)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="stripe-sync") as pool:
        outcomes = list(pool.map(_meter_event_send, work))
    now = timezone.now()
    done = []
    for item, (status, error) in zip(work, outcomes):
        record = item.record
        record.status, record.last_error = status, error
        record.attempts = F("attempts") + 1
        record.sent_at = now if status == MeterEventSync.Status.SENT else None
        done.append(record)
        setattr(report, status, getattr(report, status) + 1)
        if error:
            report.errors.append(f"{record.identifier}: {error}")
    MeterEventSync.objects.bulk_update(done, ["status", "last_error", "sent_at", "attempts"], batch_size=1000)


def _meter_event_send(item):
    """(status, error) of sending one record; runs in a pool thread, touches no database."""
    record = item.record
    if not item.customer:
        return MeterEventSync.Status.FAILED, "The owner has no Stripe customer yet."
    if not item.event_name:
        return MeterEventSync.Status.PENDING, item.price_missing
    # The end of the usage day (never in the future): a subscription's first period starts at
    # sign-up, so an owner who signed up in the afternoon still has that day on their invoice.
    timestamp = min(
        datetime.combine(record.day, time(23, 59, 59), tzinfo=dt_timezone.utc), timezone.now()
    )
    try:
        stripe_client.meter_event_create(
            event_name=item.event_name,
            customer=item.customer,
            value=f"{Decimal(record.value).quantize(HOURS):f}",
            identifier=record.identifier,
            timestamp=int(timestamp.timestamp()),
        )
    except stripe_client.StripeServiceError as exc:
        if exc.code == "resource_already_exists":
            # Stripe already holds this identifier (an earlier attempt got through before a timeout).
            return MeterEventSync.Status.SENT, ""
        status = MeterEventSync.Status.PENDING if exc.retryable else MeterEventSync.Status.FAILED
        logger.warning("meter event %s not sent: %s", record.identifier, exc)
        return status, str(exc)[:2000]
    return MeterEventSync.Status.SENT, ""
