"""Billing writes that other apps call: recording collected usage, prepaid credits, prices.

Stripe-facing writes live beside this module: `customers.py` (customer, subscription, Checkout),
`meter_sync.py` (the daily meter events), `webhooks.py` (Stripe events).
"""

import logging
from collections import defaultdict
from decimal import ROUND_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from .meter_sync import MeterSyncRefused, meter_sync_retry  # noqa: F401  (other apps call billing.services)
from .models import BillingAccount, CreditLedgerEntry, Price
from .pricing import ZERO, PriceTable

logger = logging.getLogger(__name__)
HOURS = Decimal("0.000001")


class CreditError(ValueError):
    """A credit movement that cannot be made (e.g. a non-positive top-up)."""


class PriceError(ValueError):
    """A price that cannot be added; `field` names the input the message is about."""

    def __init__(self, message, *, field="effective_from"):
        super().__init__(message)
        self.field = field


def usage_slot_record(*, collection_run_id, rows):
    """Record one collection run's usage for billing, once per `collection_run_id`.

    `rows`: (user_id, day, cpu_hours, gpu_hours, memory_gb_hours[, project]) with Decimal hours.
    Each user's hours land on their billing owner; prepaid credits are debited first and the
    rest is left postpaid for the daily Stripe sync. Meant to run inside the caller's
    transaction. Returns False (and changes nothing) when the run was already recorded.
    """
    rows = list(rows)
    with transaction.atomic():
        if not _usage_slot_claim(collection_run_id=collection_run_id, row_count=len(rows)):
            logger.info("collection run %s already recorded for billing", collection_run_id)
            return False
        totals = _usage_rows_by_owner(rows)
        if not totals:
            return True
        days = [key[2] for keys in totals.values() for key in keys]
        prices = PriceTable.between(min(days), max(days))
        postpaid = _credits_debit_for_usage(
            totals=totals, prices=prices, reference=f"run:{collection_run_id}"
        )
        _billable_usage_add(totals=totals, postpaid=postpaid)
    return True


def _usage_slot_claim(*, collection_run_id, row_count):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO billing_usage_slots (collection_run_id, row_count, recorded_at)"
            " VALUES (%s, %s, %s) ON CONFLICT (collection_run_id) DO NOTHING RETURNING id",
            [str(collection_run_id), row_count, timezone.now()],
        )
        return cursor.fetchone() is not None


def _usage_rows_by_owner(rows):
    """{owner_id: {(owner_id, user_id, day, project): [cpu, gpu, mem]}} summed over `rows`."""
    user_ids = {row[0] for row in rows}
    owner_of = {
        pk: owner_id or pk
        for pk, owner_id in get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "account_owner_id")
    }
    totals = defaultdict(lambda: defaultdict(lambda: [ZERO, ZERO, ZERO]))
    for row in rows:
        user_id, day, cpu, gpu, memory = row[:5]
        project = row[5] if len(row) > 5 else ""
        if user_id not in owner_of:
            logger.warning("usage for unknown user %s on %s ignored by billing", user_id, day)
            continue
        owner_id = owner_of[user_id]
        sums = totals[owner_id][(owner_id, user_id, day, project or "")]
        sums[0] += Decimal(cpu)
        sums[1] += Decimal(gpu)
        sums[2] += Decimal(memory)
    return totals


def _credits_debit_for_usage(*, totals, prices, reference):
    """Debit each owner's credits for this slot; returns {key: (postpaid_cpu, postpaid_gpu)}."""
    postpaid = {key: (sums[0], sums[1]) for keys in totals.values() for key, sums in keys.items()}
    balances = credit_balances(owner_ids=list(totals))
    funded = sorted(owner_id for owner_id, balance in balances.items() if balance > 0)
    if not funded:
        return postpaid
    # Lock the funded owners' accounts (in id order: no deadlocks), then re-read their balances.
    list(BillingAccount.objects.select_for_update().filter(owner_id__in=funded).order_by("owner_id"))
    balances = credit_balances(owner_ids=funded)
    debits, exhausted = [], []
    for owner_id in funded:
        balance = balances.get(owner_id, ZERO)
        spent = ZERO
        for key, (cpu, gpu, _memory) in totals[owner_id].items():
            cost = prices.cost(key[2], cpu_hours=cpu, gpu_hours=gpu)
            if cost <= 0 or balance <= 0:
                continue
            covered = min(cost, balance)
            balance -= covered
            spent += covered
            share = (cost - covered) / cost  # the part left for the card
            postpaid[key] = (_hours(cpu * share), _hours(gpu * share))
        if spent > 0:
            debits.append(CreditLedgerEntry(owner_id=owner_id, amount=-spent, reason="usage", reference=reference))
        if balance <= 0:
            exhausted.append(owner_id)
    CreditLedgerEntry.objects.bulk_create(debits)
    if exhausted:
        BillingAccount.objects.filter(owner_id__in=exhausted, credits_exhausted_at__isnull=True).update(
            credits_exhausted_at=timezone.now()
        )
        logger.info("credits ran out for owners %s; the rest is billed postpaid", exhausted)
    return postpaid


def _hours(value):
    return Decimal(value).quantize(HOURS, rounding=ROUND_UP)


def _billable_usage_add(*, totals, postpaid):
    now = timezone.now()
    params = [
        (*key, sums[0], sums[1], sums[2], *postpaid[key], now)
        for keys in totals.values()
        for key, sums in keys.items()
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO billable_usage_daily (owner_id, user_id, day, project, cpu_hours, gpu_hours,"
            " memory_gb_hours, postpaid_cpu_hours, postpaid_gpu_hours, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (owner_id, user_id, day, project) DO UPDATE SET"
            " cpu_hours = billable_usage_daily.cpu_hours + EXCLUDED.cpu_hours,"
            " gpu_hours = billable_usage_daily.gpu_hours + EXCLUDED.gpu_hours,"
            " memory_gb_hours = billable_usage_daily.memory_gb_hours + EXCLUDED.memory_gb_hours,"
            " postpaid_cpu_hours = billable_usage_daily.postpaid_cpu_hours + EXCLUDED.postpaid_cpu_hours,"
            " postpaid_gpu_hours = billable_usage_daily.postpaid_gpu_hours + EXCLUDED.postpaid_gpu_hours,"
            " updated_at = EXCLUDED.updated_at",
            params,
        )


def credit_balances(*, owner_ids):
    """{owner_id: balance} (the ledger's sum) for owners that have ledger entries."""
    rows = (
        CreditLedgerEntry.objects.filter(owner_id__in=owner_ids)
        .values("owner_id").annotate(balance=Sum("amount")).values_list("owner_id", "balance")
    )
    return dict(rows)


def billing_account_for(*, owner):
    """The owner's billing account row, created on first use."""
    account, _ = BillingAccount.objects.get_or_create(owner=owner)
    return account


def credits_add(*, owner, amount, reason, reference):
    """Add `amount` USD of credit once per (reason, reference); returns the entry or None if seen."""
    amount = Decimal(amount)
    if amount <= 0:
        raise CreditError("A credit amount must be more than zero.")
    with transaction.atomic():
        account = billing_account_for(owner=owner)
        BillingAccount.objects.select_for_update().filter(pk=account.pk).first()
        entry, created = CreditLedgerEntry.objects.get_or_create(
            owner=owner, reason=reason, reference=reference, defaults={"amount": amount}
        )
        if not created:
            return None
        BillingAccount.objects.filter(pk=account.pk).update(credits_exhausted_at=None)
    logger.info("credits %s USD (%s %s) added for user %s", amount, reason, reference, owner.pk)
    return entry


def billing_mode_set(*, owner, mode):
    """Switch an owner between postpaid and prepaid credits (credits are used first either way)."""
    User = get_user_model()
    if mode not in User.BillingMode.values:
        raise CreditError(f"Unknown billing mode {mode!r}.")
    User.objects.filter(pk=owner.pk).update(billing_mode=mode)
    owner.billing_mode = mode
    logger.info("user %s billing mode is now %s", owner.pk, mode)
    return owner


def price_add(*, resource, unit_amount, effective_from):
    """Schedule `unit_amount` USD per unit of `resource` from `effective_from` on. Only future days
    (UTC): prices in effect today or before are never changed, so no collected usage is repriced."""
    if resource not in Price.Resource.values:
        raise PriceError(f"Unknown resource {resource!r}.", field="resource")
    unit_amount = Decimal(unit_amount)
    if not unit_amount.is_finite() or unit_amount < 0:
        raise PriceError("A price must be a number greater than or equal to 0.", field="unit_amount")
    if effective_from <= timezone.now().date():
        raise PriceError("Choose a day after today: prices already in effect cannot change.")
    try:
        with transaction.atomic():
            price = Price.objects.create(resource=resource, unit_amount=unit_amount, effective_from=effective_from)
    except IntegrityError:
        raise PriceError("A price for this resource already starts on that day.") from None
    logger.info("price %s added: %s from %s", price.pk, resource, effective_from)
    transaction.on_commit(lambda: _price_period_stripe_schedule(price_id=price.pk))
    return price


def _price_period_stripe_schedule(*, price_id):
    """Stripe gets the new price period (meter, price, subscription items) in the background."""
    from .tasks import stripe_price_period_create

    try:
        stripe_price_period_create.delay(price_id)
    except Exception:  # the broker is down: the price stays, the next daily sync makes it in Stripe
        logger.exception("price %s: Stripe propagation not queued; the daily sync will do it", price_id)
