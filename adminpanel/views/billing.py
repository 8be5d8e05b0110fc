from datetime import date, timedelta

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..access import admin_required
from ..listing import page_of
from ..selectors import billing as selectors


def day_param(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@admin_required
@require_GET
def billing_overview(request):
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    day = day_param(request.GET.get("day", ""))
    yesterday = timezone.now().date() - timedelta(days=1)
    context = page_of(request, selectors.meter_syncs(q=q, status=status, day=day))
    context.update({
        "q": q, "status": status, "day": day, "statuses": selectors.SYNC_STATUSES,
        "yesterday": selectors.sync_summary(day=yesterday),
        "failed_payments": selectors.failed_payments(),
        "revenue": selectors.revenue_month_to_date(),
        "section": "billing",
    })
    return render(request, "adminpanel/billing.html", context)
