"""Benchmark: one usage collection run vs the per-user strategy naive collectors use.

    .venv/bin/python bench/collect.py [--clusters 10] [--users 1000] [--pods 10000] [--page-size 500]

Starts one Kubernetes sandbox per cluster (in this process), spreads the users and their running
pods over the clusters, creates the users and clusters in a throw-away database
(`bench_hm_usage`, dropped at the end), then measures, for the same slot:

* this code: `usage.services.usage_collect` — per cluster one paginated pod list and one metrics
  list, one transaction with bulk upserts (and billing's `usage_slot_record`);
* the per-user strategy: for each user list that user's pods (`labelSelector=owner=<user>`), then
  one metrics call per pod, then an ORM upsert per (user, namespace).

It prints wall time, Kubernetes API calls and SQL statements for both, and their ratios. Both read
the same workload through the same official client, so the totals they measure must agree.
"""

import argparse
import json
import logging
import os
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopsmanaged.settings")
os.environ["TEST_DATABASE_NAME"] = "bench_hm_usage"
SLOT = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--users", type=int, default=1000, help="users in total, spread over the clusters")
    parser.add_argument("--pods", type=int, default=10000, help="running pods in total (a multiple of --users)")
    parser.add_argument("--page-size", type=int, default=500)
    args = parser.parse_args()
    if args.users % args.clusters or args.pods % args.users:
        parser.error("--users must be a multiple of --clusters and --pods a multiple of --users")
    return args


@contextmanager
def counted_statements(counter):
    from django.db import connection

    def count(execute, sql, params, many, context):
        counter["sql"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield


def serve_fleet(args, urls, stop):
    """In a separate process (a real API server is another machine): one sandbox per cluster;
    each user runs pods/users pods in two projects, one of them with a GPU."""
    logging.disable(logging.INFO)
    from sandbox.kubernetes.server import create_app
    from sandbox.serving import start_in_thread

    per_cluster = args.users // args.clusters
    servers = []
    for c in range(args.clusters):
        app = create_app(start=SLOT + timedelta(minutes=1), seed=c)
        for u in range(per_cluster):
            app.sandbox.workload_add(f"u{c:02d}x{u:04d}", projects=2, pods=args.pods // args.users, jobs=0, gpu_pods=1)
        # Build the slot's objects now, so neither strategy pays the sandbox's first-request cost.
        app.sandbox.pods_list(label_selector="owner")
        app.sandbox.metrics_list(label_selector="owner")
        app.sandbox.calls_reset()
        servers.append(start_in_thread(app))
        urls.put(servers[-1].url)
    stop.wait()
    for server in servers:
        server.stop()


def start_fleet(args):
    import multiprocessing

    from sandbox.kubernetes import kubeconfig_for

    context = multiprocessing.get_context("fork")
    urls, stop = context.Queue(), context.Event()
    process = context.Process(target=serve_fleet, args=(args, urls, stop), daemon=True)
    process.start()
    per_cluster = args.users // args.clusters
    fleet = []
    for c in range(args.clusters):
        url = urls.get(timeout=300)
        fleet.append({"name": f"bench-{c:02d}", "url": url, "kubeconfig": kubeconfig_for(url),
                      "usernames": [f"u{c:02d}x{u:04d}" for u in range(per_cluster)]})
    return fleet, (process, stop)


def sandbox_calls(fleet, *, reset=False):
    """Kubernetes API calls the sandboxes answered (their own count, over their control API)."""
    import requests

    total = 0
    for member in fleet:
        total += sum(requests.get(f"{member['url']}/_sandbox/state", timeout=10).json()["calls"].values())
        if reset:
            requests.post(f"{member['url']}/_sandbox/calls/reset", timeout=10)
    return total


def create_rows(fleet):
    import yaml

    from accounts.models import User
    from clusters.services import cluster_create

    for member in fleet:
        member["cluster"] = cluster_create(
            name=member["name"], api_url="http://127.0.0.1:9", api_key="unused", max_users=10_000,
            kubeconfig=yaml.safe_dump(member["kubeconfig"]),
        )
        User.objects.bulk_create([
            User(auth0_sub=f"auth0|{u}", email=f"{u}@bench.example", hopsworks_username=u) for u in member["usernames"]
        ])


def naive_collect(member, day, counter):
    """The per-user strategy: a pod list per user, a metrics call per pod, an upsert per namespace."""
    from django.db.models import F
    from kubernetes import client

    from accounts.models import User
    from usage.kubernetes_client import _timeout, api_client_for
    from usage.models import UsageDaily
    from usage.quantities import container_gpus, quantity

    cluster = member["cluster"]
    api = api_client_for(cluster.kubeconfig_dict())
    core, custom = client.CoreV1Api(api), client.CustomObjectsApi(api)
    measured = Decimal(0)
    for username in member["usernames"]:
        counter["api"] += 1
        pods = json.loads(core.list_pod_for_all_namespaces(
            label_selector=f"{cluster.owner_label_key}={username}", field_selector="status.phase=Running",
            _request_timeout=_timeout(), _preload_content=False,
        ).data)["items"]
        per_namespace = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
        for pod in pods:
            counter["api"] += 1
            metrics = json.loads(custom.get_namespaced_custom_object(
                "metrics.k8s.io", "v1beta1", pod["metadata"]["namespace"], "pods", pod["metadata"]["name"],
                _request_timeout=_timeout(), _preload_content=False,
            ).data)
            sums = per_namespace[pod["metadata"]["namespace"]]
            for container in metrics["containers"]:
                sums[0] += quantity(container["usage"]["cpu"]) * Decimal("0.25")
                sums[2] += quantity(container["usage"]["memory"]) / 2**30 * Decimal("0.25")
            sums[1] += sum(container_gpus(c) for c in pod["spec"]["containers"]) * Decimal("0.25")
        user = User.objects.get(hopsworks_username=username)
        for namespace, (cpu, gpu, memory) in per_namespace.items():
            row, _ = UsageDaily.objects.get_or_create(user=user, cluster=cluster, date=day, namespace=namespace)
            UsageDaily.objects.filter(pk=row.pk).update(
                cpu_hours=F("cpu_hours") + cpu, gpu_hours=F("gpu_hours") + gpu, memory_gb_hours=F("memory_gb_hours") + memory,
            )
            measured += cpu
    api.close()
    return measured


def warm_up():
    """Pay the client's one-off costs (imports, pydantic validators) before timing anything, as a
    long-running Celery worker has: both strategies then run in a warm process."""
    from kubernetes import client

    from sandbox.kubernetes import kubeconfig_for
    from sandbox.kubernetes.server import create_app
    from sandbox.serving import start_in_thread
    from usage.kubernetes_client import api_client_for, cluster_lists

    server = start_in_thread(create_app(start=SLOT))
    name = server.app.sandbox.pod_add("warm", "warm-up")
    try:
        cluster_lists(kubeconfig=kubeconfig_for(server.url), owner_label_key="owner")
        api = api_client_for(kubeconfig_for(server.url))
        client.CustomObjectsApi(api).get_namespaced_custom_object(
            "metrics.k8s.io", "v1beta1", "warm-up", "pods", name, _request_timeout=5, _preload_content=False
        )
        api.close()
    finally:
        server.stop()


def measure(fleet, args):
    from django.db.models import Sum

    from usage.models import UsageDaily
    from usage.services import usage_collect

    sandbox_calls(fleet, reset=True)
    ours = {"sql": 0}
    started = time.perf_counter()
    with counted_statements(ours):
        outcomes = usage_collect(slot=SLOT)
    ours["wall"] = time.perf_counter() - started
    ours["api"] = sandbox_calls(fleet, reset=True)
    failed = [name for name, o in outcomes.items() if o.outcome != "collected"]
    if failed:
        sys.exit(f"collection failed for {failed}: {[outcomes[n].run.error for n in failed]}")
    ours["cpu"] = UsageDaily.objects.filter(date=SLOT.date()).aggregate(cpu=Sum("cpu_hours"))["cpu"]
    ours["pods"] = sum(o.run.pods_counted for o in outcomes.values())

    naive = {"sql": 0, "api": 0, "cpu": Decimal(0)}
    started = time.perf_counter()
    with counted_statements(naive):
        for member in fleet:
            naive["cpu"] += naive_collect(member, SLOT.date() + timedelta(days=1), naive)
    naive["wall"] = time.perf_counter() - started
    naive["server_api"] = sandbox_calls(fleet)
    return ours, naive


def report(args, ours, naive):
    def ratio(a, b):
        return f"{a / b:,.1f}×" if b else "n/a"

    per_cluster = args.users // args.clusters
    print("Hopsworks Managed — usage collection benchmark")
    print(f"fleet: {args.clusters} clusters × {per_cluster} users × {args.pods // args.clusters:,} pods each"
          f" = {args.users:,} users, {args.pods:,} running pods (page size {args.page_size})")
    print(f"{'':26}{'wall time':>12}{'API calls':>12}{'SQL statements':>16}")
    print(f"{'one run (usage_collect)':26}{ours['wall']:>10.2f} s{ours['api']:>12,}{ours['sql']:>16,}")
    print(f"{'per-user strategy':26}{naive['wall']:>10.2f} s{naive['api']:>12,}{naive['sql']:>16,}")
    print(f"{'ratio (naive / ours)':26}{ratio(naive['wall'], ours['wall']):>12}{ratio(naive['api'], ours['api']):>12}"
          f"{ratio(naive['sql'], ours['sql']):>16}")
    print(f"SQL statements per cluster: {ours['sql'] / args.clusters:.1f}; API calls per cluster: {ours['api'] / args.clusters:.1f}")
    agree = ours["cpu"].quantize(Decimal("0.0001")) == naive["cpu"].quantize(Decimal("0.0001"))
    print(f"pods counted: {ours['pods']:,}; CPU hours measured: ours {ours['cpu']:.4f}, naive {naive['cpu']:.4f}"
          f" ({'agree' if agree else 'DISAGREE'})")
    checks = {
        "≥ 20× fewer API calls": naive["api"] >= 20 * ours["api"],
        "≥ 10× less wall time": naive["wall"] >= 10 * ours["wall"],
        "SQL statements ≤ 20 per cluster": ours["sql"] <= 20 * args.clusters,
        "both strategies measured the same usage": agree,
        "server saw what the client counted": naive["server_api"] == naive["api"],
    }
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAIL'}] {name}")
    return all(checks.values())


def main():
    args = parse_args()
    logging.disable(logging.INFO)  # the sandbox logs every request; the collector logs every run
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.KUBERNETES_LIST_PAGE_SIZE = args.page_size
    test_database = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    sandboxes = None
    try:
        print(f"setting up {args.clusters} sandboxes and {args.users:,} users…", flush=True)
        fleet, sandboxes = start_fleet(args)
        create_rows(fleet)
        warm_up()
        ours, naive = measure(fleet, args)
        ok = report(args, ours, naive)
    finally:
        if sandboxes:
            process, stop = sandboxes
            stop.set()
            process.join(timeout=10)
        connection.creation.destroy_test_db(test_database, verbosity=0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
