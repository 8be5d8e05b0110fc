"""The Kubernetes sandbox's workload kept in a JSON file across `make run` restarts (state_path).

Kept: the pod templates (who runs what, in which namespace, from which slot, removed when), the
first and highest slot, the clock, the seed and the counters — so after a restart the same pods run
on under the same names with the same usage, and the ledger still starts at the first start.
The slots in which the sandbox was stopped are recorded in `down`: nothing was served then and the
app could count nothing, so the ledger shows nothing ran in them. Faults, call counts and continue
tokens belong to one process and are not kept.
"""

import atexit
import itertools
from contextlib import suppress
from dataclasses import asdict
from datetime import datetime, timedelta

from sandbox.state_file import json_read, json_write

from .workload import Container, PodTemplate, slot_of

FORMAT = 1


def cluster_state(cluster):
    """What is kept of `cluster`, as JSON-ready data (the caller holds cluster.lock)."""
    next_project_id = next(cluster.project_ids)
    cluster.project_ids = itertools.count(next_project_id)  # peeked, not used up
    return {
        "format": FORMAT, "seed": cluster.seed, "version": cluster.version, "next_project_id": next_project_id,
        "first_slot": cluster.first_slot, "high_slot": cluster.high_slot, "down": cluster.down,
        "alive_slot": slot_of(cluster.clock.now()),  # the sandbox was running in this slot
        "clock": {"offset_seconds": cluster.clock.offset.total_seconds(), "frozen_at": cluster.clock.frozen_at.isoformat()},
        "templates": [asdict(t) for t in cluster.templates],
    }


def cluster_restore(cluster, data):
    """Put a saved state back into a fresh `cluster`; the slots since it was saved are `down`."""
    with cluster.lock:
        cluster.seed, cluster.version = data["seed"], data["version"]
        cluster.project_ids = itertools.count(data["next_project_id"])
        cluster.templates = [
            PodTemplate(**{**t, "containers": [Container(**c) for c in t["containers"]]}) for t in data["templates"]
        ]
        cluster.clock.offset = timedelta(seconds=data["clock"]["offset_seconds"])
        cluster.clock.frozen_at = datetime.fromisoformat(data["clock"]["frozen_at"])
        cluster.down = [tuple(span) for span in data["down"]]
        now_slot = slot_of(cluster.clock.now())
        if now_slot - 1 > data["alive_slot"]:
            cluster.down.append((data["alive_slot"] + 1, now_slot - 1))
        cluster.first_slot = data["first_slot"]
        cluster.high_slot = max(data["high_slot"], now_slot)
        cluster._snapshots.clear()


def keep_state(cluster, path):
    """Load `path` if it exists, then save to it on every change, each new slot, and at exit."""
    data = json_read(path)
    if data is not None:
        cluster_restore(cluster, data)

    def save():
        with cluster.lock:
            json_write(path, cluster_state(cluster))

    def save_at_exit():
        with suppress(OSError):  # a test's temporary folder may be gone by then
            save()

    save()
    cluster.on_change = save
    atexit.register(save_at_exit)
