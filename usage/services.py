"""Usage collection: one run per (cluster, 15-minute slot), counted exactly once.

A run reads the cluster (two kinds of list calls, outside any transaction), then in ONE
transaction writes its `collection_runs` row, adds `usage × 0.25 h` to `usage_daily` and hands
the same hours to billing (`usage_slot_record`: billing owner roll-up, prepaid debits). When the
slot already has a succeeded run — a retry, a second beat, a racing worker — nothing is added.
A failing cluster gets a `failed` row with its error; re-running the slot fills it in later.
"""

import logging
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from billing.services import usage_slot_record
from clusters.models import HopsworksCluster

from . import upserts
from .attribution import usage_attribute
from .collection import measure, usage_by_owner
from .kubernetes_client import KubernetesError, cluster_lists
from .models import CollectionRun
from .slots import slot_day, slot_start

logger = logging.getLogger(__name__)
Status = CollectionRun.Status


class CollectionError(Exception):
    """A cluster that cannot be collected for a reason of our own (no kubeconfig, not active)."""


@dataclass
class CollectionOutcome:
    run: CollectionRun
    outcome: str  # "collected", "already_collected" or "failed"


def _elapsed_ms(started):
    return int((time.monotonic() - started) * 1000)


def _run_failed(*, cluster, slot, started_at, started, error, api_calls=0):
    upserts.run_upsert(
        cluster_id=cluster.pk, slot_start=slot, status=Status.FAILED, started_at=started_at,
        finished_at=timezone.now(), duration_ms=_elapsed_ms(started), attempts=1, pods_counted=0,
        pods_without_metrics=0, users_count=0, unknown_owner_pods=0, api_calls=api_calls, report={}, error=error,
    )
    logger.warning("collection of cluster %s for slot %s failed: %s", cluster.pk, slot.isoformat(), error)
    run = CollectionRun.objects.get(cluster=cluster, slot_start=slot)
    return CollectionOutcome(run, "already_collected" if run.succeeded else "failed")


def _measure(cluster):
    """Read the cluster and attribute its usage; raises KubernetesError/CollectionError."""
    if cluster.status != HopsworksCluster.Status.ACTIVE:
        raise CollectionError(f"The cluster is {cluster.status}, not active; it is not collected.")
    kubeconfig = cluster.kubeconfig_dict()
    if not kubeconfig:
        raise CollectionError("The cluster has no kubeconfig; upload one to collect its usage.")
    lists = cluster_lists(kubeconfig=kubeconfig, owner_label_key=cluster.owner_label_key)
    measurement = measure(pods=lists.pods, metrics=lists.metrics, owner_label_key=cluster.owner_label_key)
    attribution = usage_attribute(cluster=cluster, usage=usage_by_owner(measurement.pods))
    return lists, measurement, attribution


def collection_run_execute(*, cluster, slot=None):
    """Collect `cluster` for the slot containing `slot` (default: now), at most once per slot."""
    slot = slot_start(slot)
    done = CollectionRun.objects.filter(cluster=cluster, slot_start=slot, status=Status.SUCCEEDED).first()
    if done is not None:
        return CollectionOutcome(done, "already_collected")
    started_at, started = timezone.now(), time.monotonic()
    try:
        lists, measurement, attribution = _measure(cluster)
    except (KubernetesError, CollectionError) as exc:
        return _run_failed(cluster=cluster, slot=slot, started_at=started_at, started=started, error=str(exc))
    day = slot_day(slot)
    rows = [
        (user_id, day, u.cpu_hours, u.gpu_hours, u.memory_gb_hours, namespace)
        for (user_id, namespace), u in sorted(attribution.by_user.items())
    ]
    try:
        with transaction.atomic():
            run_id = upserts.run_upsert(
                cluster_id=cluster.pk, slot_start=slot, status=Status.SUCCEEDED, started_at=started_at,
                finished_at=timezone.now(), duration_ms=_elapsed_ms(started), attempts=1,
                pods_counted=sum(u.pods for u in attribution.by_user.values()),
                pods_without_metrics=len(measurement.without_metrics),
                users_count=len({user_id for user_id, _ in attribution.by_user}),
                unknown_owner_pods=attribution.unknown_pods, api_calls=lists.api_calls,
                report={**measurement.report(), **attribution.report(), "list_restarts": lists.list_restarts},
                error="",
            )
            if run_id is None:  # another worker finished this slot while we were reading
                return CollectionOutcome(CollectionRun.objects.get(cluster=cluster, slot_start=slot), "already_collected")
            upserts.usage_daily_add(cluster_id=cluster.pk, day=day, now=timezone.now(), by_user=attribution.by_user)
            usage_slot_record(collection_run_id=run_id, rows=rows)
    except Exception as exc:  # noqa: BLE001 — whatever broke, the slot is recorded failed and retried later
        logger.exception("writing the collection of cluster %s for slot %s failed", cluster.pk, slot.isoformat())
        return _run_failed(cluster=cluster, slot=slot, started_at=started_at, started=started,
                           error=f"Saving the usage failed: {exc}", api_calls=lists.api_calls)
    logger.info("collected cluster %s for slot %s: %s pods, %s users", cluster.pk, slot.isoformat(),
                len(measurement.pods), len(rows))
    return CollectionOutcome(CollectionRun.objects.get(pk=run_id), "collected")


def usage_collect(*, slot=None, cluster_names=None):
    """Collect every active cluster with a kubeconfig (or the named ones) for one slot, one after
    the other; a failing cluster does not stop the others. Returns the outcomes by cluster name."""
    slot = slot_start(slot)
    clusters = HopsworksCluster.objects.order_by("name")
    if cluster_names:
        clusters = clusters.filter(name__in=cluster_names)
    else:
        clusters = clusters.filter(status=HopsworksCluster.Status.ACTIVE).exclude(kubeconfig_encrypted="")
    return {cluster.name: collection_run_execute(cluster=cluster, slot=slot) for cluster in clusters}
