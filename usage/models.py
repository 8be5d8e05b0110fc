from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

HOURS = {"max_digits": 24, "decimal_places": 12, "default": Decimal("0")}


class CollectionRun(models.Model):
    """One collection of one cluster for one 15-minute slot; unique per (cluster, slot).

    Written once the run is over: `succeeded` in the same transaction as its usage, or `failed`
    with the error. A succeeded run is final; a failed one is overwritten when the slot is re-run.
    """

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    cluster = models.ForeignKey("clusters.HopsworksCluster", on_delete=models.CASCADE, related_name="collection_runs")
    slot_start = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=1)
    pods_counted = models.PositiveIntegerField(default=0)
    pods_without_metrics = models.PositiveIntegerField(default=0)
    users_count = models.PositiveIntegerField(default=0)
    unknown_owner_pods = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    # Details for admins: pods listed, skipped pod names, unknown owners with their hours, restarts.
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        db_table = "collection_runs"
        ordering = ["-slot_start", "cluster_id"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "slot_start"], name="collection_runs_one_per_cluster_slot"),
        ]
        indexes = [
            models.Index(fields=["-finished_at"], name="collection_runs_finished"),
            # The admin runs list (newest slot first, then cluster) reads deep pages from this order.
            models.Index(fields=["-slot_start", "cluster"], name="collection_runs_slot_cluster"),
        ]

    def __str__(self):
        return f"run of cluster {self.cluster_id} for {self.slot_start:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def succeeded(self):
        return self.status == self.Status.SUCCEEDED


class UsageDaily(models.Model):
    """Hours a user used on a cluster in one project namespace on one UTC day (sum of slots)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="usage_daily")
    cluster = models.ForeignKey("clusters.HopsworksCluster", on_delete=models.PROTECT, related_name="usage_daily")
    date = models.DateField()
    namespace = models.CharField(max_length=253)
    cpu_hours = models.DecimalField(**HOURS)
    gpu_hours = models.DecimalField(**HOURS)
    memory_gb_hours = models.DecimalField("memory GiB-hours", **HOURS)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "usage_daily"
        constraints = [
            models.UniqueConstraint(fields=["user", "cluster", "date", "namespace"], name="usage_daily_one_per_key"),
            models.CheckConstraint(
                condition=Q(cpu_hours__gte=0, gpu_hours__gte=0, memory_gb_hours__gte=0),
                name="usage_daily_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["user", "date"], name="usage_daily_user_date")]

    def __str__(self):
        return f"usage of user {self.user_id} on {self.date} in {self.namespace}"
