"""The state behind the Kubernetes sandbox: a clock, the simulated pods, faults, calls, the ledger."""

import itertools
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from . import labels as selectors
from .clock import Clock
from .objects import pod_metrics_object, pod_object, status_object
from .pagination import ContinueTokens
from .workload import (
    Container, PodTemplate, cpu_quantity, generated_templates, memory_quantity, namespace_for,
    project_names, quantity_nano, slot_of, slot_start,
)

SLOT_HOURS = Decimal("0.25")
FAULT_DEFAULTS = {
    "pods_errors": 0,  # the next N pod list calls answer 500 (-1: every call until cleared)
    "metrics_errors": 0,  # same for metrics calls
    "slow_seconds": 0.0,  # every API answer is delayed this long (client timeouts)
    "expire_continue": 0,  # the next N `continue` requests answer 410 Expired
    "missing_from_metrics": 0,  # the first N running pods (or these "ns/name") are absent from metrics
    "missing_from_pods": 0,  # the first N running pods (or these "ns/name") are absent from the pod list
    "metrics_barrier": 0,  # metrics answers wait until N metrics requests are in flight (races, ≤ 30 s)
}
BARRIER_TIMEOUT_SECONDS = 30


class ApiError(Exception):
    """Answered as a Kubernetes Status object."""

    def __init__(self, code, reason, message, **metadata):
        super().__init__(message)
        self.code = code
        self.body = status_object(code, reason, message, **metadata)


@dataclass
class PodRecord:
    template: PodTemplate
    name: str
    phase: str
    started: int
    labels: dict
    usages: list  # [(container, cpu nanocores, memory bytes)]
    cached: dict = field(default_factory=dict)  # built JSON, reused while the snapshot lives

    @property
    def key(self):
        return f"{self.template.namespace}/{self.name}"

    @property
    def gpus(self):
        return sum(c.gpus for c in self.template.containers)


class SimulatedCluster:
    """What a Hopsworks cluster's API server and metrics-server would answer, slot by slot."""

    def __init__(self, *, seed=7, owner_label_key="owner", start=None, frozen=True,
                 continue_ttl_seconds=300, system_pods=True):
        self.lock = threading.RLock()
        self.seed = seed
        self.owner_label_key = owner_label_key
        self.clock = Clock(start=start, frozen=frozen)
        self.continue_ttl = timedelta(seconds=continue_ttl_seconds)
        self.first_slot = self.high_slot = slot_of(self.clock.now())
        self.down = []  # [(first, last)] slots while the sandbox was stopped (kept state): nothing ran
        self.on_change = lambda: None  # called (lock held) when pods or the clock change, or a new slot is reached
        self.templates = []
        self.version = 0
        self.project_ids = itertools.count(101)
        self.faults = dict(FAULT_DEFAULTS)
        self.calls = Counter()
        self._snapshots = OrderedDict()
        self.tokens = ContinueTokens(clock=self.clock, ttl=self.continue_ttl, error=ApiError)
        self._barrier = None
        if system_pods:
            self._add_system_pods()

    # ------------------------------------------------------------------ clock and workload

    def now(self):
        with self.lock:
            moment = self.clock.now()
            if slot_of(moment) > self.high_slot:
                self.high_slot = slot_of(moment)
                self.on_change()
            return moment

    def clock_advance(self, seconds):
        with self.lock:
            self.clock.advance(seconds)
            self.on_change()
            return self.now()

    def clock_set(self, moment):
        with self.lock:
            self.clock.set(moment)
            self.on_change()
            return self.now()

    def _add(self, templates):
        with self.lock:
            self.templates.extend(templates)
            self.version += 1
            self.on_change()

    def _add_system_pods(self):
        """Pods without the owner label (they must never be billed)."""
        for name in ("coredns-5d78c9869d-x2x7q", "metrics-server-6d94bc8694-bq4xv"):
            container = Container(name=name.split("-")[0], cpu_text="5m", memory_text="32Mi")
            template = PodTemplate("", "kube-system", 0, "fixed", name, [container], self.first_slot)
            template.extra_labels = {"k8s-app": name.split("-")[0]}
            self._add([template])

    def workload_add(self, username, *, projects=2, pods=3, jobs=2, gpu_pods=0):
        """Start a Hopsworks user's simulated pods from the current slot; returns their namespaces."""
        names = project_names(self.seed, username, projects) if isinstance(projects, int) else list(projects)
        with self.lock:
            templates = generated_templates(
                seed=self.seed, owner=username, projects=names, first_slot=slot_of(self.now()),
                pods=pods, jobs=jobs, gpu_pods=gpu_pods, next_project_id=next(self.project_ids),
            )
            for _ in names[1:]:
                next(self.project_ids)
            self._add(templates)
        return [namespace_for(n) for n in names]

    def pod_add(self, owner, namespace, *, name=None, cpu="250m", memory="1Gi", gpus=0, gpu_in_requests=False,
                containers=None, phase="Running", labels=None):
        """Add one pod with fixed usage (quantities served verbatim); returns its name."""
        specs = containers or [{"name": "main", "cpu": cpu, "memory": memory, "gpus": gpus}]
        built = []
        for spec in specs:
            quantity_nano(spec["cpu"]), quantity_nano(spec["memory"])  # refuse junk now, not mid-list
            built.append(Container(
                name=spec["name"], cpu_text=spec["cpu"], memory_text=spec["memory"],
                gpus=int(spec.get("gpus", 0)), gpu_in_requests=spec.get("gpu_in_requests", gpu_in_requests),
            ))
        with self.lock:
            name = name or f"{namespace}--{owner}--pod{len(self.templates)}"
            template = PodTemplate(owner, namespace, 0, "fixed", name, built, slot_of(self.now()), phase=phase)
            template.extra_labels = dict(labels or {})
            self._add([template])
        return name

    def pod_remove(self, namespace, name):
        """The pod is gone from the current slot on (history stays in the ledger)."""
        with self.lock:
            for template in self.templates:
                if template.namespace == namespace and template.name == name and template.last_slot is None:
                    template.last_slot = slot_of(self.now())
                    self.version += 1
                    self.on_change()
                    return True
        return False

    def faults_set(self, **faults):
        unknown = set(faults) - set(FAULT_DEFAULTS)
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}; known: {', '.join(FAULT_DEFAULTS)}")
        with self.lock:
            self.faults.update(faults)
            if faults.get("metrics_barrier"):
                self._barrier = threading.Barrier(faults["metrics_barrier"], timeout=BARRIER_TIMEOUT_SECONDS)

    def faults_clear(self):
        with self.lock:
            self.faults = dict(FAULT_DEFAULTS)
            self._barrier = None

    def calls_reset(self):
        with self.lock:
            self.calls.clear()

    # ------------------------------------------------------------------ snapshots

    def _records(self, slot):
        records = []
        for template in self.templates:
            for name, phase, started in template.instances(slot):
                usages = [(c, *c.usage(self.seed, name, slot)) for c in template.containers]
                labels = template.labels(self.owner_label_key, name) if template.owner else dict(template.extra_labels)
                records.append(PodRecord(template, name, phase, started, labels, usages))
        records.sort(key=lambda r: (r.template.namespace, r.name))
        return records

    def snapshot(self):
        """The records of the current slot (cached per slot and workload version)."""
        with self.lock:
            key = (slot_of(self.now()), self.version)
            if key not in self._snapshots:
                records = self._records(key[0])
                index = {}
                for record in records:
                    index[(None, record.key)] = [record]  # single-pod lookups
                    for item in record.labels.items():
                        index.setdefault(item, []).append(record)
                self._snapshots[key] = (records, index)
                while len(self._snapshots) > 4:
                    self._snapshots.popitem(last=False)
            return self._snapshots[key]

    def _select(self, namespace, label_selector):
        records, index = self.snapshot()
        try:
            requirements = selectors.parse_label_selector(label_selector)
        except selectors.SelectorError as exc:
            raise ApiError(400, "BadRequest", str(exc)) from None
        hint = selectors.equality_hint(requirements)
        candidates = index.get(hint, []) if hint else records
        return [
            r for r in candidates
            if (namespace is None or r.template.namespace == namespace) and selectors.labels_match(requirements, r.labels)
        ]

    def _hidden(self, fault, running):
        spec = self.faults[fault]
        if isinstance(spec, int):
            return {r.key for r in running[:spec]} if spec > 0 else set()
        return set(spec)

    def _count(self, kind):
        with self.lock:
            self.calls[kind] += 1

    def _wait_for_others(self):
        barrier = self._barrier
        if barrier is not None:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                barrier.reset()  # nobody else came: answer anyway

    def _fail_if_told(self, fault):
        with self.lock:
            remaining = self.faults[fault]
            if not remaining:
                return
            if remaining > 0:
                self.faults[fault] = remaining - 1
        raise ApiError(500, "InternalError", "Internal error occurred: the sandbox was told to fail this call")

    # ------------------------------------------------------------------ the API

    def pods_list(self, *, namespace=None, label_selector="", field_selector="", limit=0, continue_token=""):
        """A PodList page: consistent snapshot across `continue`, 410 when the token is too old."""
        self._count("pods")
        self._fail_if_told("pods_errors")
        if continue_token:
            items, offset = self._continue(continue_token)
        else:
            try:
                fields = selectors.parse_field_selector(field_selector, selectors.POD_FIELDS)
            except selectors.SelectorError as exc:
                raise ApiError(400, "BadRequest", str(exc)) from None
            selected = self._select(namespace, label_selector)
            hidden = self._hidden("missing_from_pods", [r for r in selected if r.phase == "Running"])
            items = [
                self._pod(r) for r in selected if r.key not in hidden
            ]
            items = [pod for pod in items if selectors.fields_match(fields, pod)]
            offset = 0
        page = items[offset:offset + limit] if limit else items[offset:]
        metadata = {"resourceVersion": str(self._resource_version())}
        if limit and offset + limit < len(items):
            metadata["continue"] = self.tokens.issue(items, continue_token, offset + limit)
            metadata["remainingItemCount"] = len(items) - offset - limit
        return {"kind": "PodList", "apiVersion": "v1", "metadata": metadata, "items": page}

    def _pod(self, record):
        if "pod" not in record.cached:
            record.cached["pod"] = self._build_pod(record)
        return record.cached["pod"]

    def _build_pod(self, record):
        return pod_object(
            seed=self.seed, template=record.template, name=record.name, phase=record.phase,
            started=record.started, labels=record.labels, resource_version=self._resource_version(),
        )

    def _resource_version(self):
        return slot_of(self.clock.now()) * 1000 + self.version

    def _continue(self, token):
        with self.lock:
            expire = bool(self.faults["expire_continue"])
            if self.faults["expire_continue"] > 0:
                self.faults["expire_continue"] -= 1
        return self.tokens.resume(token, force_expired=expire)

    def metrics_list(self, *, namespace=None, label_selector="", field_selector=""):
        """A PodMetricsList of running pods; metrics-server never paginates."""
        self._count("metrics")
        self._fail_if_told("metrics_errors")
        self._wait_for_others()
        try:
            fields = selectors.parse_field_selector(field_selector, selectors.METRICS_FIELDS)
        except selectors.SelectorError as exc:
            raise ApiError(400, "BadRequest", str(exc)) from None
        running = [r for r in self._select(namespace, label_selector) if r.phase == "Running"]
        hidden = self._hidden("missing_from_metrics", running)
        items = [self._metrics(r) for r in running if r.key not in hidden]
        items = [item for item in items if selectors.fields_match(fields, item)]
        return {"kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items}

    def pod_metrics(self, namespace, name):
        self._count("pod_metrics")
        self._fail_if_told("metrics_errors")
        records, index = self.snapshot()
        for record in index.get((None, f"{namespace}/{name}"), []):
            running = [r for r in records if r.phase == "Running"] if self.faults["missing_from_metrics"] else []
            hidden = self._hidden("missing_from_metrics", running)
            if record.phase == "Running" and record.key not in hidden:
                return {"kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1", **self._metrics(record)}
        raise ApiError(404, "NotFound", f'podmetrics.metrics.k8s.io "{namespace}/{name}" not found')

    def _metrics(self, record):
        if "metrics" not in record.cached:
            record.cached["metrics"] = self._build_metrics(record)
        return record.cached["metrics"]

    def _build_metrics(self, record):
        usages = []
        for container, cpu, memory in record.usages:
            if container.cpu_text is not None:
                usages.append((container.name, container.cpu_text, container.memory_text))
            else:
                usages.append((container.name, cpu_quantity(cpu), memory_quantity(memory)))
        return pod_metrics_object(
            name=record.name, namespace=record.template.namespace, labels=record.labels,
            usages=usages, now=self.clock.now(),
        )

    # ------------------------------------------------------------------ the ledger

    def ledger(self, *, since=None, until=None):
        """What ran per (owner, namespace, slot) for every slot the clock has reached while the sandbox
        was running (not the slots it was stopped in between two `make run`s), in Decimal hours."""
        self.now()
        first = max(self.first_slot, slot_of(since)) if since else self.first_slot
        last = min(self.high_slot, slot_of(until)) if until else self.high_slot
        entries = []
        with self.lock:
            for slot in range(first, last + 1):
                if any(start <= slot <= end for start, end in self.down):
                    continue
                totals = {}
                for record in self._records(slot):
                    if record.phase != "Running" or not record.template.owner:
                        continue
                    key = (record.template.owner, record.template.namespace)
                    entry = totals.setdefault(key, {"pods": 0, "cpu": 0, "memory": 0, "gpus": 0})
                    entry["pods"] += 1
                    entry["gpus"] += record.gpus
                    for _, cpu, memory in record.usages:
                        entry["cpu"] += cpu
                        entry["memory"] += memory
                for (owner, namespace), entry in sorted(totals.items()):
                    entries.append({
                        "owner": owner, "namespace": namespace, "slot": slot_start(slot), "pods": entry["pods"],
                        "cpu_hours": Decimal(entry["cpu"]) / 10**9 * SLOT_HOURS,
                        "gpu_hours": Decimal(entry["gpus"]) * SLOT_HOURS,
                        "memory_gb_hours": Decimal(entry["memory"]) / 2**30 * SLOT_HOURS,
                    })
        return entries

    def state(self):
        records, _ = self.snapshot()
        running = [r for r in records if r.phase == "Running"]
        return {
            "now": self.now().isoformat(), "slot": slot_start(slot_of(self.now())).isoformat(),
            "owner_label_key": self.owner_label_key, "frozen": self.clock.frozen,
            "pods_listed": len(records), "pods_running": len(running),
            "owners": sorted({r.template.owner for r in records if r.template.owner}),
            "faults": dict(self.faults), "calls": dict(self.calls),
        }
