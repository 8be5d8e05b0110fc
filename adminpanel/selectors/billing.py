"""Reads for prices and the billing pages."""

from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from billing.models import BillableUsage, BillingAccount, MeterEventSync, Price
from billing.selectors import price_table, prices_current


def price_rows(*, today=None):
    """Every price with whether it is past, current or scheduled (the current one per resource)."""
    today = today or timezone.now().date()
    current_ids = {price.pk for price in prices_current(on=today)}
    rows = []
    for price in Price.objects.order_by("resource", "-effective_from"):
        if price.pk in current_ids:
            state = "current"
        elif price.effective_from > today:
            state = "scheduled"
        else:
            state = "past"
        rows.append({"price": price, "state": state})
    return rows


SYNC_STATUSES = MeterEventSync.Status.choices


def meter_syncs(*, q="", status="", day=None):
    """Stripe meter sync records (owner/day/meter), newest day first, narrowed by status, day, search."""
    # Owners are fetched for the page only (prefetch): a join would be sorted with a whole day's rows.
    syncs = MeterEventSync.objects.prefetch_related("owner").order_by("-day", "owner_id", "meter")
    if status:
        syncs = syncs.filter(status=status)
    if day:
        syncs = syncs.filter(day=day)
    if q:
        syncs = syncs.filter(
            Q(owner__email__icontains=q) | Q(owner__stripe_customer_id=q) | Q(identifier__icontains=q)
        )
    return syncs


def sync_summary(*, day):
    """{"sent", "pending", "failed"} counts of the meter syncs for one day; one query."""
    counts = MeterEventSync.objects.filter(day=day).aggregate(
        **{status: Count("id", filter=Q(status=status)) for status in MeterEventSync.Status.values}
    )
    counts["day"] = day
    counts["total"] = sum(counts[s] for s in MeterEventSync.Status.values)
    return counts


def failed_payments(*, limit=100):
    """Owners whose last invoice payment failed, most recent first."""
    return list(
        BillingAccount.objects.filter(payment_failed_at__isnull=False)
        .select_related("owner").order_by("-payment_failed_at")[:limit]
    )


def revenue_month_to_date(*, today=None):
    """This month's usage cost so far in USD: total, the postpaid part (billed through Stripe) and
    the part paid from prepaid credits; two queries whatever the number of owners."""
    today = today or timezone.now().date()
    start = today.replace(day=1)
    per_day = (
        BillableUsage.objects.filter(day__gte=start, day__lte=today).values("day")
        .annotate(cpu=Sum("cpu_hours"), gpu=Sum("gpu_hours"),
                  postpaid_cpu=Sum("postpaid_cpu_hours"), postpaid_gpu=Sum("postpaid_gpu_hours"))
    )
    prices = price_table(start, today)
    total = postpaid = Decimal("0")
    for row in per_day:
        total += prices.cost(row["day"], cpu_hours=row["cpu"], gpu_hours=row["gpu"])
        postpaid += prices.cost(row["day"], cpu_hours=row["postpaid_cpu"], gpu_hours=row["postpaid_gpu"])
    return {"start": start, "today": today, "total": total, "postpaid": postpaid, "credits": total - postpaid}
