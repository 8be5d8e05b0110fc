"""Fault: PostgreSQL is down (stopped, not just restarted) when a slot's collection runs. The beat's
task and a cluster's task, both for that slot, find the database unreachable and retry for the
same slot; once PostgreSQL is back the slot is counted exactly once, and conservation holds. The
worker keeps a persistent connection from before the outage, as in production. The shared server is
never touched: the worker's database is a copy on a PostgreSQL of the test's own."""

import re
import subprocess
import sys
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection

from billing.tasks import sync_stripe_usage_daily
from clusters.models import HopsworksCluster
from conftest import ROOT, subprocess_env, wait_for
from usage.slots import SLOT
from usage.tasks import collect_usage_all, collect_usage_cluster

from .fleet import INTO_SLOT

pytestmark = pytest.mark.django_db(transaction=True)
RETRIED = re.compile(r"usage\.tasks\.(collect_usage_all|collect_usage_cluster)\[[^\]]+\] retry: Retry in \d+s: OperationalError")
DONE = re.compile(r"usage\.tasks\.collect_usage_(all|cluster)\[[^\]]+\] succeeded in [\d.]+s: (\S+)")


def own_query(url, sql, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_a_collection_finding_postgresql_down_retries_and_counts_the_slot_once_it_is_back(
    fleet_factory, yesterday, own_postgres, celery_processes, stripe_sandbox, settings
):
    fleet = fleet_factory(yesterday + timedelta(hours=9))
    fleet.cluster_add("eu-1", seed=83)
    fleet.owner_add("alice")
    fleet.member_add("bob", owner="alice")
    fleet.workload_start("eu-1", "alice", projects=1, pods=2, jobs=1, gpu_pods=1)
    fleet.workload_start("eu-1", "bob", projects=1, pods=1, jobs=1)
    cluster_id = HopsworksCluster.objects.get(name="eu-1").pk
    database = own_postgres.copy_database(connection.settings_dict, name="hm_collect_down")
    env = {"DATABASE_URL": database, "DATABASE_CONN_MAX_AGE": 600, "STRIPE_API_BASE": settings.STRIPE_API_BASE,
           "USAGE_COLLECTION_RETRY_SECONDS": 4}
    celery = celery_processes(**env)
    celery.start_worker(concurrency=1)
    before, down = fleet.start, fleet.start + SLOT

    def runs(slot):
        return own_query(database, "SELECT status, attempts FROM collection_runs WHERE slot_start = %s", slot)

    def worker_log():
        return celery.log("worker")

    try:
        # A slot before the outage: the worker's process now holds a connection that will break.
        fleet.clock_set(before + INTO_SLOT)
        collect_usage_all.apply_async(args=[before.isoformat()], queue=celery.queue)
        wait_for(lambda: runs(before) == [("succeeded", 1)], timeout=60, message=f"slot {before}:\n{worker_log()[-2000:]}")
        wait_for(lambda: len(DONE.findall(worker_log())) == 2, timeout=30, message="the first slot's tasks to end")

        fleet.clock_set(down + INTO_SLOT)
        own_postgres.stop()
        stopped = time.monotonic()
        # The beat's task for the slot, and a cluster's task fanned out just before the outage.
        collect_usage_all.apply_async(args=[down.isoformat()], queue=celery.queue)
        collect_usage_cluster.apply_async(args=[cluster_id, down.isoformat()], queue=celery.queue)
        wait_for(lambda: {m for m in RETRIED.findall(worker_log())} == {"collect_usage_all", "collect_usage_cluster"},
                 timeout=20, message=f"both tasks to retry:\n{worker_log()[-3000:]}")
        time.sleep(max(0.0, 3 - (time.monotonic() - stopped)))  # down for a few seconds at least
        own_postgres.start()
        outage = time.monotonic() - stopped

        wait_for(lambda: runs(down) == [("succeeded", 1)], timeout=30, message=f"slot {down}:\n{worker_log()[-3000:]}")
        # Both tasks end (the beat's retry fans out once more): the slot is then already collected.
        wait_for(lambda: len(DONE.findall(worker_log())) == 5, timeout=30,
                 message=f"every task to end:\n{worker_log()[-3000:]}")
        sync_stripe_usage_daily.apply_async(queue=celery.queue)
        wait_for(lambda: own_query(database, "SELECT count(*) FROM stripe_meter_syncs WHERE status = 'sent'") == [(2,)],
                 timeout=60, message=f"the daily sync:\n{worker_log()[-2000:]}")
    finally:
        celery.stop()

    log = worker_log()
    outcomes = sorted(DONE.findall(log)[2:])
    assert outcomes == [("all", "1"), ("cluster", "'already_collected'"), ("cluster", "'collected'")], outcomes
    assert own_query(database, "SELECT count(*), count(DISTINCT slot_start) FROM collection_runs") == [(2, 2)]
    assert "max retries exceeded" not in log.lower() and "raised unexpected" not in log
    print(f"PostgreSQL down {outage:.1f}s; retries while down: {RETRIED.findall(log)}")

    period = ["--start", before.isoformat(), "--end", (down + SLOT).isoformat()]
    check = subprocess.run([sys.executable, "-m", "integrity", *period], cwd=ROOT, capture_output=True, text=True,
                           env=subprocess_env(**env), timeout=120)
    print(check.stdout)
    assert check.returncode == 0, check.stdout + check.stderr[-3000:]
    assert "differences: 0" in check.stdout and "alice@example.com" in check.stdout
