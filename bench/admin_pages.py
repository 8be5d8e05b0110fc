"""Benchmark: the operator panel's pages with a production-sized dataset.

    .venv/bin/python bench/admin_pages.py [--users 10000] [--runs 100000] [--repeat 5] [--budget-ms 300]

Creates a throwaway database (`bench_hm_admin`, dropped at the end), fills it with a small dataset
and measures every panel page's SQL query count; then grows it to `--users` users (owners and
team members in every provisioning state) and `--runs` collection runs (plus audit entries, Stripe
meter syncs, billable usage), and measures again: query count, and the median and worst of
`--repeat` renders through Django's test client (after one warm-up). A page passes when its query
count did not grow with the data and its median render is under the budget. Exit status 1 otherwise.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopsmanaged.settings")
os.environ["LOG_LEVEL"] = "WARNING"
os.environ["TEST_DATABASE_NAME"] = "bench_hm_admin"  # a throwaway database, dropped at the end

CLUSTERS = 10
STATES = ["ready"] * 14 + ["failed", "provisioning", "pending", "waiting_for_capacity", "waiting_for_card"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--budget-ms", type=float, default=300.0)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (to EXPLAIN queries)")
    return parser.parse_args()


def setup_database():
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return lambda: connection.creation.destroy_test_db(old_name, verbosity=0)


def seed_clusters():
    from clusters.kubeconfigs import kubeconfig_build
    from clusters.models import HopsworksCluster

    clusters = []
    for n in range(CLUSTERS):
        cluster = HopsworksCluster(name=f"bench-{n:02d}", api_url=f"https://c{n}.bench.example", max_users=100_000,
                                   region="eu-north-1")
        cluster.api_key = f"bench-api-key-{n:04d}"
        cluster.kubeconfig = kubeconfig_build(server=f"https://k8s{n}.bench.example:6443", token=f"token-{n}")
        clusters.append(cluster)
    return HopsworksCluster.objects.bulk_create(clusters)


def seed_users(start, count, clusters):
    """`count` users from number `start`: owners, and every fourth a member of the owner before it."""
    from accounts.models import User
    from clusters.models import UserHopsworksAssignment

    owners, members = [], []
    for i in range(start, start + count):
        fields = {
            "auth0_sub": f"auth0|bench{i}", "email": f"user{i}@bench.example", "name": f"Bench User {i}",
            "status": "suspended" if i % 97 == 0 else "active",
            "billing_mode": "prepaid" if i % 11 == 0 else "postpaid",
        }
        if i % 4 == 3:
            members.append(fields)
        else:
            owners.append({**fields, "card_on_file": True, "stripe_customer_id": f"cus_bench{i}"})
    owner_rows = User.objects.bulk_create([User(**f) for f in owners], batch_size=2000)
    member_rows = User.objects.bulk_create(
        [User(**f, account_owner=owner_rows[n % len(owner_rows)]) for n, f in enumerate(members)], batch_size=2000,
    )
    assignments = []
    for n, user in enumerate(owner_rows + member_rows):
        state = STATES[n % len(STATES)]
        seated = state not in ("waiting_for_capacity", "waiting_for_card")
        if state == "ready":
            user.hopsworks_username = f"bench{user.pk}"
        assignments.append(UserHopsworksAssignment(
            user=user, cluster=clusters[n % len(clusters)] if seated else None, state=state,
            last_error="Hopsworks answered 500" if state == "failed" else "",
        ))
    User.objects.bulk_update([u for u in owner_rows + member_rows if u.hopsworks_username], ["hopsworks_username"],
                             batch_size=2000)
    UserHopsworksAssignment.objects.bulk_create(assignments, batch_size=2000)
    return owner_rows


def seed_runs(clusters, count, *, newest):
    from usage.models import CollectionRun

    runs = []
    for n in range(count):
        cluster = clusters[n % len(clusters)]
        slot = newest - timedelta(minutes=15 * (n // len(clusters)))
        failed = n % 53 == 0
        runs.append(CollectionRun(
            cluster=cluster, slot_start=slot, status="failed" if failed else "succeeded",
            started_at=slot, finished_at=slot + timedelta(seconds=3), duration_ms=3000, pods_counted=0 if failed else 900,
            users_count=0 if failed else 300, unknown_owner_pods=n % 3, api_calls=3,
            error="Kubernetes did not answer the pod list within 30s." if failed else "",
            report={} if failed else {"pods_listed": 900, "unknown_owners": {"ghost": "0.25"}},
        ))
        if len(runs) == 10_000:
            CollectionRun.objects.bulk_create(runs)
            runs = []
    CollectionRun.objects.bulk_create(runs)


def seed_billing(owners, admin, *, today):
    from adminpanel.models import AuditEntry
    from billing.models import BillableUsage, BillingAccount, MeterEventSync

    days = [today - timedelta(days=d) for d in range(min(today.day, 10))]
    BillableUsage.objects.bulk_create([
        BillableUsage(owner=o, user=o, day=d, cpu_hours=Decimal("12.5"), gpu_hours=Decimal("1"),
                      postpaid_cpu_hours=Decimal("12.5"), postpaid_gpu_hours=Decimal("1"))
        for o in owners for d in days[:2]
    ], batch_size=5000)
    MeterEventSync.objects.bulk_create([
        MeterEventSync(owner=o, day=d, meter=m, value=Decimal("12.5"), identifier=f"{o.pk}-{d}-{m}",
                       status="failed" if n % 50 == 0 else "sent", last_error="Stripe answered 500" if n % 50 == 0 else "")
        for n, o in enumerate(owners) for d in days[1:4] for m in ("cpu_hours", "gpu_hours")
    ], batch_size=5000)
    BillingAccount.objects.bulk_create([
        BillingAccount(owner=o, card_brand="visa", card_last4="4242",
                       payment_failed_at=admin.date_joined if n % 40 == 0 else None,
                       payment_failed_invoice=f"in_bench{o.pk}" if n % 40 == 0 else "")
        for n, o in enumerate(owners)
    ], batch_size=5000)
    AuditEntry.objects.bulk_create([
        AuditEntry(admin=admin, action="user.suspend", target_type="user", target_id=str(o.pk), target_label=o.email,
                   before={"status": "active"}, after={"status": "suspended"})
        for o in owners[:5000]
    ], batch_size=5000)


def pages(subject, cluster, run, collect_request):
    from django.urls import reverse

    def url(name, *args):
        return reverse(f"adminpanel:{name}", args=args)

    return [
        ("overview", url("overview")),
        ("users", url("users")),
        ("users: search", url("users") + "?q=user12"),
        ("users: waiting filter", url("users") + "?filter=waiting"),
        ("users: page 100", url("users") + "?page=100"),
        ("user detail", url("user_detail", subject.pk)),
        ("clusters", url("clusters")),
        ("cluster detail", url("cluster_detail", cluster.pk)),
        ("usage runs", url("usage")),
        ("usage runs: failed", url("usage") + "?status=failed"),
        ("usage runs: one cluster", url("usage") + f"?cluster={cluster.pk}"),
        ("usage runs: page 1000", url("usage") + "?page=1000"),
        ("run detail", url("run_detail", run.pk)),
        ("collect progress", url("collect_progress", collect_request.pk)),
        ("billing", url("billing")),
        ("billing: failed syncs", url("billing") + "?status=failed"),
        ("prices", url("prices")),
        ("audit log", url("audit_log")),
        ("audit log: page 50", url("audit_log") + "?page=50"),
    ]


def measure(client, url, *, repeat):
    from django.core.cache import caches
    from django.db import connection

    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    # Counted with a cold cache in both phases (a key prefix of its own): the usage numbers are cached
    # per data version, and a warm small phase against a cold large one would count different paths.
    caches["default"].key_prefix = f"bench-admin-{uuid.uuid4().hex}"
    # A wrapper rather than the debug query log: Django empties that log when a request starts.
    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return len(statements), statistics.median(times), max(times), statistics.median(cpu)


def main():
    args = parse_args()
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from accounts.models import User
    from adminpanel.services import audit_record
    from usage.models import CollectionRun
    from usage.slots import slot_start

    setup_test_environment(debug=False)  # as in production and the tests: no debug cursor
    teardown = setup_database()
    try:
        admin = User.objects.create_user("auth0|bench-admin", "admin@bench.example", is_admin=True)
        clusters = seed_clusters()
        newest = slot_start() - timedelta(minutes=15)
        small_owners = seed_users(0, 40, clusters)
        seed_runs(clusters, 100, newest=newest)
        seed_billing(small_owners, admin, today=timezone.now().date())
        subject = small_owners[0]
        run = CollectionRun.objects.order_by("-slot_start").first()
        collect_request = audit_record(admin=admin, action="usage.collect_now", target_type="cluster", target_id="all",
                                       after={"slot": newest.isoformat(), "clusters": [[c.pk, c.name] for c in clusters]})
        client = Client()
        client.force_login(admin)
        urls = pages(subject, clusters[0], run, collect_request)
        small = {name: measure(client, url, repeat=1)[0] for name, url in urls}

        started = time.perf_counter()
        big_owners = seed_users(40, args.users - 40, clusters)
        seed_runs(clusters, args.runs - 100, newest=newest - timedelta(minutes=15 * (100 // CLUSTERS)))
        seed_billing(big_owners, admin, today=timezone.now().date())
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"seeded {User.objects.count():,} users, {CollectionRun.objects.count():,} collection runs "
              f"in {time.perf_counter() - started:.1f}s\n")

        failures = 0
        load_before = os.getloadavg()[0]
        print(f"{'page':<26} {'queries (small → large)':>24} {'median ms':>10} {'max ms':>8} {'app CPU ms':>10}  verdict")
        for name, url in urls:
            count, median, worst, cpu = measure(client, url, repeat=args.repeat)
            constant = count == small[name]
            fast = median < args.budget_ms
            failures += not (constant and fast)
            verdict = "ok" if constant and fast else ("QUERIES GREW" if not constant else "SLOW")
            print(f"{name:<26} {small[name]:>13} → {count:<8} {median:>10.1f} {worst:>8.1f} {cpu:>10.1f}  {verdict}")
        print(f"\n{len(urls) - failures} of {len(urls)} pages within {args.budget_ms:g} ms with a constant query count")
        # Wall time includes waiting for a CPU: on a busy machine compare with "app CPU ms" (this
        # process only; PostgreSQL's share is not in it).
        print(f"machine load average (1 min): {load_before:.1f} before measuring, {os.getloadavg()[0]:.1f} after, "
              f"{os.cpu_count()} CPUs")
        return 1 if failures else 0
    finally:
        if not args.keep:
            teardown()


if __name__ == "__main__":
    sys.exit(main())
