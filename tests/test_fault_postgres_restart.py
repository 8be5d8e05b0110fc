"""Fault: PostgreSQL is restarted while signed-in pages are being served (gunicorn with persistent
connections and DEBUG off, as in production). Requests fail cleanly and quickly — a 503 with
Retry-After (a page for pages, JSON for the API, healthz naming the database), never a hang or a
traceback — then recover by themselves; collections before and
after the restart are counted once. The shared server is never touched: the app runs on a
PostgreSQL of the test's own, a copy of the test database."""

import subprocess
from collections import Counter
import sys
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import psycopg
import pytest
import requests
from django.db import connection
from django.test import Client

from billing.tasks import sync_stripe_usage_daily
from conftest import ROOT, subprocess_env, wait_for
from sandbox.serving import free_port
from usage.slots import SLOT
from usage.tasks import collect_usage_all

from .fleet import INTO_SLOT
from .stack import Processes, gunicorn

pytestmark = pytest.mark.django_db(transaction=True)
PATHS = ("/dashboard/", "/api/usage", "/healthz")
REQUEST_TIMEOUT = 10
CLEAN_FAILURE_SECONDS = 5


@dataclass
class Answer:
    started: float
    path: str
    status: object  # an HTTP status, or the name of the exception (a timeout, a reset)
    seconds: float
    body: str
    retry_after: object = None


class PageLoad:
    """Signed-in requests in a loop from a few threads; every answer recorded with its time."""

    def __init__(self, base, cookies):
        self.base, self.cookies = base, cookies
        self.answers = []
        self.running = threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(path,), daemon=True) for path in PATHS]

    def _loop(self, path):
        session = requests.Session()
        if path != "/healthz":  # the load balancer's probe comes without a session
            session.cookies.update(self.cookies)
        while self.running.is_set():
            started = time.monotonic()
            try:
                response = session.get(self.base + path, timeout=REQUEST_TIMEOUT, allow_redirects=False)
                status, body = response.status_code, response.text[:3000]
                retry_after = response.headers.get("Retry-After")
            except requests.RequestException as exc:
                status, body, retry_after = type(exc).__name__, str(exc), None
            self.answers.append(Answer(started, path, status, time.monotonic() - started, body, retry_after))
            time.sleep(0.05)

    def start(self):
        self.running.set()
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.running.clear()
        for thread in self.threads:
            thread.join(timeout=REQUEST_TIMEOUT + 5)

    def between(self, start, end):
        """The answers to requests sent between `start` and `end` (monotonic seconds)."""
        return [a for a in self.answers if start <= a.started < end]

    def summary(self, moment):
        """{(path, status): count} of the answers since `moment`, with one failing body each."""
        counts = Counter((a.path, a.status) for a in self.answers if a.started >= moment)
        samples = {(a.path, a.status): a.body[-600:] for a in self.answers if a.started >= moment and a.status != 200}
        return f"{dict(counts)}; samples: {samples}"

    def recovered_after(self, moment):
        """Every path has answered 200 since `moment`."""
        return all(any(a.path == p and a.status == 200 for a in self.answers if a.started >= moment) for p in PATHS)


def own_query(url, sql, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_postgresql_restarted_while_pages_are_served_fails_requests_cleanly_then_recovers(
    fleet_factory, yesterday, own_postgres, celery_processes, stripe_sandbox, settings, tmp_path, production_static
):
    fleet = fleet_factory(yesterday + timedelta(hours=18))
    fleet.cluster_add("eu-1", seed=71)
    alice = fleet.owner_add("alice")
    fleet.member_add("bob", owner="alice")
    fleet.workload_start("eu-1", "alice", projects=1, pods=2, jobs=1, gpu_pods=1)
    fleet.workload_start("eu-1", "bob", projects=1, pods=1, jobs=1)
    browser = Client()
    browser.force_login(alice)
    cookies = {"sessionid": browser.cookies["sessionid"].value}
    # The app's database from here on: a copy of the test database (alice, her session, the cluster).
    database = own_postgres.copy_database(connection.settings_dict, name="hm_restart")
    env = {"DATABASE_URL": database, "DATABASE_CONN_MAX_AGE": 60, "DEBUG": "false",
           "STRIPE_API_BASE": settings.STRIPE_API_BASE}
    processes = Processes(tmp_path / "stack")
    base = gunicorn(processes, port=free_port(), env=subprocess_env(**env))
    celery = celery_processes(**env)
    celery.start_worker(concurrency=1)
    slots = [fleet.start, fleet.start + SLOT]

    def collect(slot):
        fleet.clock_set(slot + INTO_SLOT)
        collect_usage_all.apply_async(args=[slot.isoformat()], queue=celery.queue)
        wait_for(lambda: own_query(database, "SELECT status FROM collection_runs WHERE slot_start = %s", slot)
                 == [("succeeded",)], timeout=60, message=f"slot {slot}; worker log:\n{celery.log('worker')[-2000:]}")

    try:
        collect(slots[0])
        load = PageLoad(base, cookies)
        load.start()
        time.sleep(1.5)
        stopping = time.monotonic()
        own_postgres.stop()
        down = time.monotonic()
        time.sleep(2.5)
        starting = time.monotonic()
        own_postgres.start()
        up = time.monotonic()
        wait_for(lambda: load.recovered_after(up), timeout=15,
                 message=f"every page to answer 200 again; since the restart: {load.summary(up)}")
        recovered = max(min(a.started + a.seconds for a in load.answers if a.started >= up and a.path == p
                            and a.status == 200) for p in PATHS) - up
        time.sleep(0.5)
        load.stop()
        collect(slots[1])
        sync_stripe_usage_daily.apply_async(queue=celery.queue)
        wait_for(lambda: own_query(database, "SELECT count(*) FROM stripe_meter_syncs WHERE status = 'sent'") == [(2,)],
                 timeout=60, message=f"the daily sync; worker log:\n{celery.log('worker')[-2000:]}")
    finally:
        processes.stop()
        celery.stop()

    before = [a for a in load.answers if a.started + a.seconds < stopping]
    outage = load.between(down, starting)
    assert before and {a.status for a in before} == {200}
    assert {a.path for a in outage} == set(PATHS) and len(outage) >= 6
    assert {(a.path, a.status) for a in outage} == {("/dashboard/", 503), ("/api/usage", 503), ("/healthz", 503)}
    assert all("Traceback" not in a.body for a in outage)
    assert all("Back in a moment" in a.body for a in outage if a.path == "/dashboard/")
    assert all("briefly unavailable" in a.body and a.retry_after == "30" for a in outage if a.path == "/api/usage")
    assert all('"database": {"ok": false' in a.body for a in outage if a.path == "/healthz")
    slowest = max(a.seconds for a in load.answers)
    assert slowest < CLEAN_FAILURE_SECONDS, f"a request took {slowest:.1f}s"
    assert not [a for a in load.answers if not isinstance(a.status, int)]  # no timeouts, no resets
    print(f"{len(load.answers)} requests: {len(before)} before the restart, {len(outage)} while PostgreSQL was down "
          f"({sorted({(a.path, a.status) for a in outage})}), slowest {slowest:.2f}s; every page answered 200 again "
          f"{recovered:.2f}s after PostgreSQL was back ({starting - stopping:.1f}s of outage)")

    period = ["--start", slots[0].isoformat(), "--end", (slots[-1] + SLOT).isoformat()]
    check = subprocess.run([sys.executable, "-m", "integrity", *period], cwd=ROOT, capture_output=True, text=True,
                           env=subprocess_env(**env), timeout=120)
    print(check.stdout)
    assert check.returncode == 0, check.stdout + check.stderr[-3000:]
    assert "differences: 0" in check.stdout and "alice@example.com" in check.stdout
