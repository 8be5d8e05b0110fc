"""Reads for the clusters pages: load, last collection, one cluster's detail."""

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from clusters.models import HopsworksCluster
from clusters.selectors import assignments_on

from .audit import audit_for_target


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
    for cluster in clusters:
        cluster.last_run = None
    return clusters


def cluster_detail(*, cluster_id):
    """A cluster with its load, masked secrets, the users on it and its audit history."""
    cluster = get_object_or_404(HopsworksCluster.objects.annotate(seats_taken=Count("assignments")), pk=cluster_id)
    clusters_attach_last_run([cluster])
    return {
        "cluster": cluster,
        "kubeconfig_summary": cluster.kubeconfig_summary(),
        "seated": list(assignments_on(cluster=cluster)[:200]),
        "audit": audit_for_target(target_type="cluster", target_id=cluster.pk),
    }
