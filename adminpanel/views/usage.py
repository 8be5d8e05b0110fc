from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from clusters.models import HopsworksCluster

from .. import services
from ..access import admin_required
from ..listing import page_of
from ..models import AuditEntry
from ..selectors import usage as selectors
from .billing import day_param

PROGRESS_REFRESH_SECONDS = 2
# A queued collection normally finishes in seconds; past this, say that no worker seems to run.
PROGRESS_STALL_SECONDS = 120


def _int_param(value):
    return int(value) if value and value.isdigit() else None


@admin_required
@require_GET
def run_list(request):
    cluster_id = _int_param(request.GET.get("cluster", ""))
    status = request.GET.get("status", "")
    day = day_param(request.GET.get("day", ""))
    q = request.GET.get("q", "").strip()
    context = page_of(request, selectors.collection_runs(cluster_id=cluster_id, status=status, day=day, q=q))
    context.update({
        "cluster_id": cluster_id, "status": status, "day": day, "q": q, "statuses": selectors.RUN_STATUSES,
        "clusters": selectors.cluster_choices(), "collectable": selectors.collectable_clusters(), "section": "usage",
    })
    return render(request, "adminpanel/run_list.html", context)


@admin_required
@require_GET
def run_detail(request, run_id):
    context = selectors.collection_run_detail(run_id=run_id)
    context["section"] = "usage"
    return render(request, "adminpanel/run_detail.html", context)


@admin_required
def collect_now(request):
    """GET: what "collect now" will do; POST: queue it and follow its progress."""
    cluster_id = _int_param(request.POST.get("cluster", "") if request.method == "POST" else request.GET.get("cluster", ""))
    cluster = get_object_or_404(HopsworksCluster, pk=cluster_id) if cluster_id else None
    if request.method == "POST":
        try:
            entry = services.usage_collect_now(admin=request.user, cluster=cluster)
        except services.ActionRefused as exc:
            messages.error(request, str(exc))
            return redirect("adminpanel:usage")
        return redirect("adminpanel:collect_progress", request_id=entry.pk)
    return render(request, "adminpanel/collect_now.html", {
        "cluster": cluster, "collectable": selectors.collectable_clusters(), "section": "usage",
    })


@admin_required
@require_GET
def collect_progress(request, request_id):
    entry = get_object_or_404(AuditEntry.objects.select_related("admin"), pk=request_id, action="usage.collect_now")
    context = selectors.collect_progress(entry=entry)
    waited = (timezone.now() - entry.created_at).total_seconds()
    context.update({
        "entry": entry, "section": "usage", "refresh": PROGRESS_REFRESH_SECONDS,
        "stalled": not context["done"] and waited > PROGRESS_STALL_SECONDS, "waited": int(waited),
    })
    return render(request, "adminpanel/collect_progress.html", context)
