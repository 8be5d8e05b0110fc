"""Turning one cluster's pod list and pod metrics list into usage per (owner, namespace).

Pure functions over the API's JSON: no database, no network. CPU cores and memory bytes come from
metrics (summed over containers), GPUs from the pod's containers (request, else limit). A listed
pod without metrics (new, or gone meanwhile) is skipped and reported, never guessed.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from .quantities import GIB, QuantityInvalid, container_gpus, quantity
from .slots import SLOT_HOURS

ZERO = Decimal(0)
REPORT_SAMPLE = 20  # pod names kept in a run's report per kind of problem


@dataclass(frozen=True)
class PodUsage:
    namespace: str
    name: str
    owner: str
    cpu_cores: Decimal
    memory_bytes: Decimal
    gpus: Decimal


@dataclass
class Measurement:
    """What one cluster ran at the moment of collection, and what could not be counted."""

    pods: list = field(default_factory=list)
    pods_listed: int = 0
    without_metrics: list = field(default_factory=list)
    unreadable: list = field(default_factory=list)
    metrics_without_pod: int = 0

    def report(self):
        return {
            "pods_listed": self.pods_listed,
            "pods_without_metrics": len(self.without_metrics),
            "pods_without_metrics_sample": self.without_metrics[:REPORT_SAMPLE],
            "pods_unreadable": len(self.unreadable),
            "pods_unreadable_sample": self.unreadable[:REPORT_SAMPLE],
            "metrics_without_pod": self.metrics_without_pod,
        }


@dataclass
class Usage:
    """Hours used in one slot (usage × 0.25 h)."""

    cpu_hours: Decimal = ZERO
    gpu_hours: Decimal = ZERO
    memory_gb_hours: Decimal = ZERO
    pods: int = 0

    def add(self, other):
        self.cpu_hours += other.cpu_hours
        self.gpu_hours += other.gpu_hours
        self.memory_gb_hours += other.memory_gb_hours
        self.pods += other.pods


def _key(obj):
    metadata = obj.get("metadata") or {}
    return metadata.get("namespace") or "", metadata.get("name") or ""


def _pod_usage(pod, metrics, owner_label_key):
    namespace, name = _key(pod)
    owner = ((pod.get("metadata") or {}).get("labels") or {}).get(owner_label_key, "")
    containers = (pod.get("spec") or {}).get("containers") or []
    cpu = memory = ZERO
    for container in metrics.get("containers") or []:
        usage = container.get("usage") or {}
        cpu += quantity(usage.get("cpu", "0"))
        memory += quantity(usage.get("memory", "0"))
    gpus = sum((container_gpus(c) for c in containers), ZERO)
    return PodUsage(namespace, name, owner, cpu, memory, gpus)


def measure(*, pods, metrics, owner_label_key):
    """Join pods and pod metrics by (namespace, name) into a Measurement."""
    by_key = {_key(item): item for item in metrics}
    measurement = Measurement(pods_listed=len(pods))
    listed = set()
    for pod in pods:
        key = _key(pod)
        listed.add(key)
        item = by_key.get(key)
        if item is None:
            measurement.without_metrics.append("/".join(key))
            continue
        try:
            measurement.pods.append(_pod_usage(pod, item, owner_label_key))
        except QuantityInvalid:
            measurement.unreadable.append("/".join(key))
    measurement.metrics_without_pod = len(set(by_key) - listed)
    return measurement


def slot_usage(pod):
    """One pod's usage over a slot, in hours (GB-hours are GiB × hours)."""
    return Usage(
        cpu_hours=pod.cpu_cores * SLOT_HOURS,
        gpu_hours=pod.gpus * SLOT_HOURS,
        memory_gb_hours=pod.memory_bytes / GIB * SLOT_HOURS,
        pods=1,
    )


def usage_by_owner(pods):
    """{(owner label, namespace): Usage} for one slot."""
    totals = defaultdict(Usage)
    for pod in pods:
        totals[(pod.owner, pod.namespace)].add(slot_usage(pod))
    return dict(totals)
