"""Reads for the usage pages: collection runs per cluster and slot, and "collect now" progress."""

from datetime import datetime

from django.db.models import F, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404

from clusters.models import HopsworksCluster
from usage.models import CollectionRun
from usage.selectors import clusters_to_collect

RUN_STATUSES = CollectionRun.Status.choices
# The list never needs the (possibly large) JSON report nor the clusters' encrypted secrets.
RUN_LIST_FIELDS = (
    "id", "cluster_id", "slot_start", "status", "started_at", "finished_at", "duration_ms", "attempts",
    "pods_counted", "pods_without_metrics", "users_count", "unknown_owner_pods", "api_calls", "error",
)


def collection_runs(*, cluster_id=None, status="", day=None, q=""):
    """Collection runs, newest slot first, with the cluster's name; narrowed by cluster, status,
    UTC day of the slot, and a search over the error and the cluster name."""
    runs = CollectionRun.objects.only(*RUN_LIST_FIELDS).annotate(cluster_name=F("cluster__name"))
    if cluster_id:
        runs = runs.filter(cluster_id=cluster_id)
    if status:
        runs = runs.filter(status=status)
    if day:
        runs = runs.filter(slot_start__date=day)
    if q:
        runs = runs.filter(Q(error__icontains=q) | Q(cluster__name__icontains=q))
    return runs.order_by("-slot_start", "cluster_id")


def cluster_choices():
    """(id, name) of every cluster, for the filter menu and "collect now"."""
    return list(HopsworksCluster.objects.order_by("name").values_list("id", "name"))


def collectable_clusters():
    """[(id, name)] of the clusters "collect all" collects: usage's own choice (active, kubeconfig)."""
    return list(
        HopsworksCluster.objects.filter(pk__in=clusters_to_collect()).order_by("name").values_list("id", "name")
    )


def last_runs(cluster_ids):
    """{cluster_id: its latest collection run}; one query whatever the number of runs: per cluster
    the newest slot is read from the (cluster, slot) unique index, backwards."""
    latest = CollectionRun.objects.filter(cluster_id=OuterRef("pk")).order_by("-slot_start").values("pk")[:1]
    latest_ids = HopsworksCluster.objects.filter(pk__in=list(cluster_ids)).values(last=Subquery(latest))
    runs = CollectionRun.objects.filter(pk__in=latest_ids).only(*RUN_LIST_FIELDS)
    return {run.cluster_id: run for run in runs}


def collection_run_detail(*, run_id):
    run = get_object_or_404(CollectionRun.objects.select_related("cluster"), pk=run_id)
    return {"run": run}


def collect_progress(*, entry):
    """Where a "collect now" request (its audit entry) stands: each requested cluster's run for the
    slot, whether it finished after the request, and whether all are done."""
    request = entry.after or {}
    cluster_ids = [cid for cid, _ in request.get("clusters", [])]
    runs = {
        run.cluster_id: run
        for run in CollectionRun.objects.filter(cluster_id__in=cluster_ids, slot_start=request.get("slot"))
        .only(*RUN_LIST_FIELDS)
    }
    rows = [_progress_row(cluster_id, name, runs.get(cluster_id), entry.created_at)
            for cluster_id, name in request.get("clusters", [])]
    slot = datetime.fromisoformat(request["slot"]) if request.get("slot") else None
    return {"rows": rows, "done": all(row["state"] != "waiting" for row in rows), "slot": slot}


def _progress_row(cluster_id, name, run, requested_at):
    if run is not None and run.finished_at >= requested_at:
        state = run.status  # this request's run: succeeded or failed
    elif run is not None and run.succeeded:
        state = "already_collected"  # a slot is counted once; the earlier run stands
    else:
        state = "waiting"  # not run yet, or an earlier failure that this request re-runs
    return {"cluster_id": cluster_id, "name": name, "run": run, "state": state}
