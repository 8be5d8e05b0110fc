from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..selectors import clusters as selectors
from ..access import admin_required
from ..listing import page_of


@admin_required
@require_GET
def cluster_list(request):
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    context = page_of(request, selectors.cluster_list(q=q, status=status))
    selectors.clusters_attach_last_run(context["rows"])
    context.update({"q": q, "status": status, "statuses": selectors.CLUSTER_STATUSES, "section": "clusters"})
    return render(request, "adminpanel/cluster_list.html", context)


@admin_required
@require_GET
def cluster_detail(request, cluster_id):
    context = selectors.cluster_detail(cluster_id=cluster_id)
    context["section"] = "clusters"
    return render(request, "adminpanel/cluster_detail.html", context)
