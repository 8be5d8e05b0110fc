"""Celery: beat starts `collect_usage_all` every 15 minutes; it fans out one task per cluster."""

from celery import group, shared_task
from django.conf import settings

from clusters.models import HopsworksCluster
from hopsmanaged.database import DATABASE_DOWN

from .selectors import clusters_to_collect
from .services import collection_run_execute
from .slots import slot_parse, slot_start

RETRY_SECONDS = settings.USAGE_COLLECTION_RETRY_SECONDS  # 60 s by default, then 120 s, 240 s
MAX_RETRIES = settings.USAGE_COLLECTION_MAX_RETRIES  # 3: the last retry still inside the slot's deadline


@shared_task(name="usage.tasks.collect_usage_all", bind=True, max_retries=5, ignore_result=True)
def collect_usage_all(self, slot=None):
    """Fix the slot now (a late worker must not move it), then collect every cluster in parallel."""
    slot = slot_parse(slot) if slot else slot_start()
    try:
        cluster_ids = clusters_to_collect()
    except DATABASE_DOWN as exc:
        # Retried for the same slot, which the retry carries (not "now" at retry time).
        raise self.retry(args=[slot.isoformat()], kwargs={}, countdown=10 * 2**self.request.retries, exc=exc)
    if cluster_ids:
        # Redis redelivers an unacknowledged message (its worker machine died) only after the
        # visibility timeout: a run that late would book other minutes as this slot's. Celery drops
        # the expired message instead (its retries keep the deadline); the slot shows no run.
        group(collect_usage_cluster.s(cluster_id, slot.isoformat()) for cluster_id in cluster_ids).apply_async(
            expires=settings.USAGE_COLLECTION_DEADLINE_SECONDS,
        )
    return len(cluster_ids)


@shared_task(
    name="usage.tasks.collect_usage_cluster", bind=True, max_retries=MAX_RETRIES, ignore_result=True,
    autoretry_for=DATABASE_DOWN, retry_backoff=RETRY_SECONDS, retry_jitter=False,
)
def collect_usage_cluster(self, cluster_id, slot):
    """Collect one cluster for one slot; a failed run is retried (1, 3 and 7 minutes into the slot by
    default) within the slot's deadline; so is one that finds PostgreSQL unreachable."""
    cluster = HopsworksCluster.objects.filter(pk=cluster_id).first()
    if cluster is None:
        return "cluster gone"
    outcome = collection_run_execute(cluster=cluster, slot=slot_parse(slot))
    if outcome.outcome == "failed" and self.request.retries < self.max_retries:
        raise self.retry(countdown=RETRY_SECONDS * 2**self.request.retries)
    return outcome.outcome
