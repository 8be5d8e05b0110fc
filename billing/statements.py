"""The billing page's numbers: month-to-date cost per day, resource, person and project.

Reads only billing's own tables (plus the prices) in a fixed number of queries; Stripe invoices
are read separately (`invoices_for`) so a Stripe outage never breaks the page.
"""

from collections import defaultdict
from datetime import datetime
from datetime import timezone as dt_timezone
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.utils import timezone

from . import stripe_client
from .models import BillableUsage, BillingAccount, CreditLedgerEntry
from .pricing import CENT, ZERO, PriceTable
from .selectors import prices_current

LEDGER_ROWS = 20


def money(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _line():
    return {"cpu_hours": ZERO, "gpu_hours": ZERO, "cpu_cost": ZERO, "gpu_cost": ZERO}


def _add(line, cpu, gpu, cpu_cost, gpu_cost):
    line["cpu_hours"] += cpu
    line["gpu_hours"] += gpu
    line["cpu_cost"] += cpu_cost
    line["gpu_cost"] += gpu_cost


def month_to_date(*, owner, today=None):
    """Cost this month so far: totals, per day, per person (owner/members) and per project."""
    today = today or timezone.now().date()
    start = today.replace(day=1)
    prices = PriceTable.between(start, today)
    rows = (
        BillableUsage.objects.filter(owner=owner, day__range=(start, today))
        .values("day", "user_id", "user__email", "user__name", "project")
        .annotate(cpu=Sum("cpu_hours"), gpu=Sum("gpu_hours"), pcpu=Sum("postpaid_cpu_hours"),
                  pgpu=Sum("postpaid_gpu_hours"))
    )
    total, postpaid = _line(), ZERO
    by_day, by_user, by_project, people = defaultdict(_line), defaultdict(_line), defaultdict(_line), {}
    for row in rows:
        cpu_cost = row["cpu"] * prices.unit_amount("cpu_hour", row["day"])
        gpu_cost = row["gpu"] * prices.unit_amount("gpu_hour", row["day"])
        postpaid += prices.cost(row["day"], cpu_hours=row["pcpu"], gpu_hours=row["pgpu"])
        for line in (total, by_day[row["day"]], by_user[row["user_id"]], by_project[row["project"]]):
            _add(line, row["cpu"], row["gpu"], cpu_cost, gpu_cost)
        people[row["user_id"]] = row["user__name"] or row["user__email"]
    return {
        "month": start, "today": today, "total": _finish(total),
        "postpaid_cost": money(postpaid), "credits_cost": money(total["cpu_cost"] + total["gpu_cost"] - postpaid),
        "by_day": [{"day": day, **_finish(by_day[day])} for day in sorted(by_day)],
        "by_user": [
            {"user_id": uid, "name": people[uid], "role": "owner" if uid == owner.pk else "member",
             **_finish(by_user[uid])}
            for uid in sorted(by_user, key=lambda u: (u != owner.pk, people[u]))
        ],
        "by_project": [{"project": p or "(no project)", **_finish(by_project[p])} for p in sorted(by_project)],
        "prices": prices_current(on=today),
    }


def _finish(line):
    return {**line, "cpu_cost": money(line["cpu_cost"]), "gpu_cost": money(line["gpu_cost"]),
            "cost": money(line["cpu_cost"] + line["gpu_cost"])}


def credits_for(*, owner, limit=LEDGER_ROWS):
    """Credit balance (the ledger's sum) and the latest ledger entries."""
    balance = CreditLedgerEntry.objects.filter(owner=owner).aggregate(total=Sum("amount"))["total"] or ZERO
    entries = list(CreditLedgerEntry.objects.filter(owner=owner)[:limit])
    return {"balance": money(balance), "entries": entries}


def account_for(*, owner):
    """Card and dunning state; `hybrid` when prepaid credits ran out and usage goes to the card."""
    account = BillingAccount.objects.filter(owner=owner).first() or BillingAccount(owner=owner)
    return {
        "card_on_file": owner.card_on_file, "card_brand": account.card_brand, "card_last4": account.card_last4,
        "card_added_at": account.card_added_at, "payment_failed_at": account.payment_failed_at,
        "credits_exhausted_at": account.credits_exhausted_at, "billing_mode": owner.billing_mode,
        "subscription_status": account.subscription_status,
    }


def invoices_for(*, owner):
    """(invoices, error message): the owner's Stripe invoices, newest first."""
    if not owner.stripe_customer_id:
        return [], ""
    try:
        listed = stripe_client.invoices_list(customer=owner.stripe_customer_id)
    except stripe_client.StripeServiceError:
        return [], "Invoices cannot be loaded from Stripe right now. Please try again in a few minutes."
    invoices = []
    for invoice in listed:
        invoices.append({
            "id": invoice["id"], "number": invoice.get("number") or invoice["id"], "status": invoice["status"],
            "total": money(Decimal(invoice["total"]) / 100), "amount_paid": money(Decimal(invoice["amount_paid"]) / 100),
            "currency": invoice["currency"], "url": invoice.get("hosted_invoice_url") or "",
            "period_start": _day(invoice.get("period_start")), "period_end": _day(invoice.get("period_end")),
        })
    return invoices, ""


def _day(timestamp):
    return datetime.fromtimestamp(timestamp, tz=dt_timezone.utc).date() if timestamp else None
