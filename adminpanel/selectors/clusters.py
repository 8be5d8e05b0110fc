"""Reads for the clusters pages: load, last collection, one cluster's detail."""

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from clusters.models import HopsworksCluster
from clusters.selectors import assignments_on

from ..models import AuditEntry
from .audit import audit_for_target
from .usage import last_runs


CLUSTER_STATUSES = HopsworksCluster.Status.choices


def cluster_list(*, q="", status=""):
    """Clusters with seats taken annotated, narrowed by a name/region search and a status."""
    clusters = HopsworksCluster.objects.annotate(seats_taken=Count("assignments")).order_by("name")
    if status:
        clusters = clusters.filter(status=status)
    if q:
        clusters = clusters.filter(Q(name__icontains=q) | Q(region__icontains=q) | Q(api_url__icontains=q))
    return clusters


def clusters_attach_last_run(clusters):
    """Set `last_run` (the latest collection run, or None) on each cluster; one query."""
    runs = last_runs(cluster.pk for cluster in clusters)
    for cluster in clusters:
        cluster.last_run = runs.get(cluster.pk)
    return clusters


def cluster_detail(*, cluster_id, check_id=""):
    """A cluster with its load, masked secrets, the users on it and its audit history."""
    cluster = get_object_or_404(HopsworksCluster.objects.annotate(seats_taken=Count("assignments")), pk=cluster_id)
    clusters_attach_last_run([cluster])
    return {
        "cluster": cluster,
        "kubeconfig_summary": cluster.kubeconfig_summary(),
        "seated": list(assignments_on(cluster=cluster)[:200]),
        "audit": audit_for_target(target_type="cluster", target_id=cluster.pk),
        "check": _connection_check(cluster, check_id),
    }


def _connection_check(cluster, check_id):
    """The results of one "test connection" on this cluster (kept in its audit entry), or None."""
    if not str(check_id).isdigit():
        return None
    return AuditEntry.objects.filter(
        pk=check_id, action="cluster.test_connection", target_type="cluster", target_id=str(cluster.pk)
    ).select_related("admin").first()
