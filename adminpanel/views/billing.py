from datetime import date, timedelta

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from billing.models import MeterEventSync

from .. import services
from ..access import admin_required
from ..listing import page_of
from ..selectors import billing as selectors
from .actions import confirm_action


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


@admin_required
def sync_retry(request, sync_id):
    sync = get_object_or_404(MeterEventSync.objects.select_related("owner"), pk=sync_id)
    return confirm_action(
        request, title="Retry the Stripe sync", button="Retry", back_url=reverse("adminpanel:billing"),
        section="billing",
        question=(f"{sync.owner.email}, {sync.day:%Y-%m-%d}, {sync.get_meter_display()}: {sync.get_status_display().lower()}"
                  f"{' — ' + sync.last_error if sync.last_error else ''}. This one meter event is sent to Stripe "
                  f"again under its identifier {sync.identifier}, so nothing is billed twice."),
        run=lambda: services.meter_sync_retry(admin=request.user, sync=sync),
        done=_retried,
    )


def _retried(record):
    if record.status == MeterEventSync.Status.SENT:
        return f"Sent to Stripe: {record.identifier}."
    return f"Stripe did not take {record.identifier} ({record.get_status_display().lower()}): {record.last_error}"
