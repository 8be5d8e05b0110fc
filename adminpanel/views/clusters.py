from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from clusters.forms import ClusterForm
from clusters.models import HopsworksCluster

from .. import services
from ..access import admin_required
from ..listing import page_of
from ..selectors import clusters as selectors


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
    context = selectors.cluster_detail(cluster_id=cluster_id, check_id=request.GET.get("check", ""))
    context["section"] = "clusters"
    return render(request, "adminpanel/cluster_detail.html", context)


def _cluster_form_page(request, cluster):
    posted = request.method == "POST"
    form = ClusterForm(request.POST if posted else None, request.FILES if posted else None, instance=cluster)
    if posted and form.is_valid():
        try:
            saved = services.cluster_save(admin=request.user, form=form)
        except services.ActionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Cluster {saved.name} saved.")
            return redirect("adminpanel:cluster_detail", cluster_id=saved.pk)
    return render(request, "adminpanel/cluster_form.html", {
        "form": form, "cluster": cluster, "section": "clusters",
    }, status=400 if form.errors else 200)


@admin_required
def cluster_add(request):
    return _cluster_form_page(request, None)


@admin_required
def cluster_edit(request, cluster_id):
    return _cluster_form_page(request, get_object_or_404(HopsworksCluster, pk=cluster_id))


@admin_required
def cluster_test(request, cluster_id):
    """GET: what the test does; POST: run both checks, then show them on the cluster page."""
    cluster = get_object_or_404(HopsworksCluster, pk=cluster_id)
    if request.method == "POST":
        entry = services.cluster_connection_test(admin=request.user, cluster=cluster)
        return redirect(f"{reverse('adminpanel:cluster_detail', args=[cluster.pk])}?check={entry.pk}")
    return render(request, "adminpanel/confirm.html", {
        "title": f"Test the connection to {cluster.name}", "button": "Test connection", "section": "clusters",
        "question": "Calls the Hopsworks API with the stored key, then the Kubernetes API (/version and a pod list) "
                    "through the stored kubeconfig, and shows how long each took.",
        "back_url": reverse("adminpanel:cluster_detail", args=[cluster.pk]),
    })
