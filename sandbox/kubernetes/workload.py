"""The simulated workload: which pods run in each 15-minute slot, and what they use.

Every value is a function of (seed, pod, slot), so two lists made in the same slot agree and the
ledger can always be recomputed. Pods start and end (jobs run periodically), CPU varies per slot.
"""

import re
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone

SLOT_SECONDS = 900
MI = 2**20
GI = 2**30
PROJECT_WORDS = ["fraud", "recsys", "churn", "vision", "nlp", "forecast", "search", "ads"]
BINARY_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def slot_of(moment):
    return int(moment.timestamp() // SLOT_SECONDS)


def slot_start(slot):
    return datetime.fromtimestamp(slot * SLOT_SECONDS, tz=timezone.utc)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def cpu_quantity(nanocores):
    """Canonical DecimalSI form, as metrics-server serialises it: `2`, `250m`, `15u`, `123456789n`."""
    for divisor, suffix in ((10**9, ""), (10**6, "m"), (10**3, "u")):
        if nanocores % divisor == 0:
            return f"{nanocores // divisor}{suffix}"
    return f"{nanocores}n"


def memory_quantity(size):
    """Canonical BinarySI form: `1Gi`, `524288Ki`, or plain bytes when not a multiple of 1024."""
    for suffix in ("Gi", "Mi", "Ki"):
        if size % BINARY_SUFFIXES[suffix] == 0 and size:
            return f"{size // BINARY_SUFFIXES[suffix]}{suffix}"
    return str(size)


def quantity_nano(text):
    """A quantity as an exact integer number of nano-units (the sandbox's own, independent parser)."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([a-zA-Z]*)", text)
    if not match:
        raise ValueError(f"not a quantity: {text!r}")
    number, suffix = match.groups()
    whole, _, frac = number.partition(".")
    scaled = int(whole + frac) * 10**9 // 10 ** len(frac)
    if suffix in BINARY_SUFFIXES:
        return scaled * BINARY_SUFFIXES[suffix]
    if suffix not in DECIMAL_SUFFIXES:
        raise ValueError(f"unknown quantity suffix in {text!r}")
    exponent = DECIMAL_SUFFIXES[suffix]
    return scaled * 10**exponent if exponent >= 0 else scaled // 10**-exponent


def namespace_for(project):
    """Hopsworks' rule: lowercase, every character outside [a-z0-9-] becomes `-`."""
    return re.sub(r"[^a-z0-9-]", "-", project.lower())


def noise(*parts):
    return zlib.crc32("|".join(str(p) for p in parts).encode())


@dataclass
class Container:
    name: str
    cpu_nanocores: int = 0  # base CPU of a generated pod
    memory_bytes: int = 0
    gpus: int = 0
    gpu_in_requests: bool = False
    cpu_spread: int = 0  # nanocores of per-slot variation
    cpu_text: str | None = None  # fixed pods serve these quantities verbatim
    memory_text: str | None = None

    def usage(self, seed, pod_name, slot):
        """(cpu nanocores, memory bytes) in this slot."""
        if self.cpu_text is not None:
            return quantity_nano(self.cpu_text), quantity_nano(self.memory_text) // 10**9
        cpu = self.cpu_nanocores
        if self.cpu_spread:
            cpu += noise(seed, pod_name, self.name, slot) % self.cpu_spread
        memory = self.memory_bytes + (noise(seed, pod_name, slot, "mem") % 16) * MI
        return cpu, memory


@dataclass
class PodTemplate:
    """One pod (or, for jobs, a series of executions) in a project namespace."""

    owner: str
    project: str
    project_id: int
    kind: str  # jupyter, job, serving, fixed
    name: str
    containers: list[Container]
    first_slot: int
    last_slot: int | None = None  # exclusive; None = until removed
    period: int = 0  # jobs: an execution starts every `period` slots and runs `duration` slots
    duration: int = 0
    offset: int = 0
    phase: str = "Running"
    extra_labels: dict = field(default_factory=dict)

    @property
    def namespace(self):
        return namespace_for(self.project)

    def instances(self, slot):
        """[(pod name, phase, first slot of this pod)] present in the pod list during `slot`."""
        if slot < self.first_slot or (self.last_slot is not None and slot >= self.last_slot):
            return []
        if not self.period:
            return [(self.name, self.phase, self.first_slot)]
        relative = slot - self.first_slot - self.offset
        if relative < 0:
            return []
        execution, position = divmod(relative, self.period)
        started = slot - position
        if position < self.duration:
            return [(f"{self.name}-{execution}", "Running", started)]
        if position == self.duration:  # a finished job's pod stays listed as Succeeded for a while
            return [(f"{self.name}-{execution}", "Succeeded", started)]
        return []

    def labels(self, owner_label_key, pod_name):
        labels = {
            owner_label_key: self.owner,
            "project-id": str(self.project_id),
            "project-name": self.namespace,
            "app": self.kind,
        }
        if self.kind == "jupyter":
            labels["jupyter"] = f"{self.namespace}--{self.owner}"
        if self.kind == "job":
            labels["job-name"] = self.name.rsplit("--", 1)[-1]
            labels["execution-id"] = pod_name.rsplit("-", 1)[-1]
        if self.kind == "serving":
            labels["serving.hops.works/name"] = self.name.rsplit("--", 1)[-1]
            labels["serving.hops.works/project-id"] = str(self.project_id)
        labels.update(self.extra_labels)
        return labels


def generated_templates(*, seed, owner, projects, first_slot, pods, jobs, gpu_pods, next_project_id):
    """The pods a Hopsworks user runs: notebooks/servings that stay up, jobs that come and go."""
    templates = []
    rng = noise(seed, owner)
    for index, project in enumerate(projects):
        project_id = next_project_id + index
        namespace = namespace_for(project)
        owned = [i for i in range(pods) if i % len(projects) == index]
        for i in owned:
            gpu = i < gpu_pods
            kind = "serving" if gpu and i % 2 else ("jupyter" if i % 3 == 0 else "serving")
            name = f"{namespace}--{owner}--{kind}{i}"
            base = (100 + noise(rng, name) % 400) * 10**6
            main = Container(
                name="main" if kind != "jupyter" else "jupyterlab",
                cpu_nanocores=base, memory_bytes=(1 + noise(rng, name, "m") % 4) * GI // 2,
                cpu_spread=0 if kind == "jupyter" else 250_000_000, gpus=1 if gpu else 0,
                gpu_in_requests=gpu and kind == "serving",
            )
            sidecar = Container(name="filebeat", cpu_nanocores=10**7, memory_bytes=64 * MI, cpu_spread=5_000_000)
            templates.append(PodTemplate(owner, project, project_id, kind, name, [main, sidecar], first_slot))
        for j in [j for j in range(jobs) if j % len(projects) == index]:
            name = f"{namespace}--{owner}--job{j}"
            period = 4 + noise(rng, name, "p") % 5
            worker = Container(
                name="spark-driver", cpu_nanocores=(500 + noise(rng, name) % 1500) * 10**6,
                memory_bytes=2 * GI + noise(rng, name, "b") % 4096, cpu_spread=999_999_999,
            )
            templates.append(PodTemplate(
                owner, project, project_id, "job", name, [worker], first_slot,
                period=period, duration=1 + noise(rng, name, "d") % (period - 1), offset=noise(rng, name, "o") % period,
            ))
    return templates


def project_names(seed, owner, count):
    start = noise(seed, owner, "projects")
    return [f"{owner}_{PROJECT_WORDS[(start + i) % len(PROJECT_WORDS)]}" for i in range(count)]


def pod_uid(seed, namespace, name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-{seed}/{namespace}/{name}"))
