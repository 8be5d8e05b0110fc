"""The shared cast and the real parts every test module may use.

Cast: alice (an owner), bob (alice's team member), charlie (another owner, a stranger to alice),
root (an admin). Real parts: Celery worker/beat processes on the real Redis, Chromium.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run in a
# thread with a running loop unless told this is deliberate (it is: tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent
ARTIFACTS = ROOT / "test-artifacts"

# Each sandbox service may ship pytest fixtures in sandbox/<service>/fixtures.py.
pytest_plugins = [f"sandbox.{p.parent.name}.fixtures" for p in sorted((ROOT / "sandbox").glob("*/fixtures.py"))]


@pytest.fixture(autouse=True)
def _seeded_prices(request):
    """Every database test starts as a migrated database does: with billing's seeded prices.

    A transactional test (and every live_server test) ends by flushing all tables, seeded rows
    included, so later tests would otherwise see no prices at all.
    """
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    if "transactional_db" in names or "live_server" in names or (marker and marker.kwargs.get("transaction")):
        request.getfixturevalue("transactional_db")
    elif "db" in names or marker is not None:
        request.getfixturevalue("db")
    else:
        return
    from importlib import import_module

    from django.apps import apps

    import_module("billing.migrations.0002_seed_prices").seed(apps, None)


@pytest.fixture
def make_user(db):
    from accounts.models import User

    def make(email, *, name="", owner=None, **extra):
        sub = extra.pop("auth0_sub", f"auth0|{uuid.uuid4().hex[:24]}")
        return User.objects.create_user(sub, email, name=name, account_owner=owner, **extra)

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice@example.com", name="Alice Owner")


@pytest.fixture
def bob(make_user, alice):
    return make_user("bob@example.com", name="Bob Member", owner=alice)


@pytest.fixture
def charlie(make_user):
    return make_user("charlie@example.com", name="Charlie Stranger")


@pytest.fixture
def root(make_user):
    return make_user("root@example.com", name="Root Admin", is_admin=True)


@pytest.fixture
def client_for(client):
    """A test client signed in as the given user (None: anonymous)."""
    from django.test import Client

    def signed_in(user):
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return signed_in


# ---------------------------------------------------------------- real Celery processes


def subprocess_env(**overrides):
    """The environment a child process (Celery, gunicorn) needs to see the test database."""
    from django.db import connection

    settings_dict = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@{settings_dict['HOST']}:"
        f"{settings_dict['PORT']}/{settings_dict['NAME']}"
    )
    env["DJANGO_SETTINGS_MODULE"] = "hopsmanaged.settings"
    env["DATABASE_CONN_MAX_AGE"] = "0"
    env.update({k: str(v) for k, v in overrides.items()})
    return env


class CeleryProcesses:
    """A real worker (and optionally beat) on the real Redis, on a queue of its own."""

    def __init__(self, tmp_path, **env_overrides):
        self.queue = f"test-{uuid.uuid4().hex[:10]}"
        self.tmp_path = tmp_path
        self.env = subprocess_env(CELERY_QUEUE=self.queue, **env_overrides)
        self.procs = {}

    def _start(self, name, args):
        log = open(self.tmp_path / f"celery-{name}.log", "w")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hopsmanaged", *args],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        return self.procs[name]

    def start_worker(self, *, concurrency=2, name="worker"):
        return self._start(name, [
            "worker", "--loglevel", "INFO", "--concurrency", str(concurrency), "-Q", self.queue,
            "--hostname", f"{name}-{self.queue}@%h", "--without-gossip", "--without-mingle",
        ])

    def start_beat(self, *, name="beat"):
        return self._start(name, [
            "beat", "--loglevel", "INFO", "--schedule", str(self.tmp_path / f"{name}-schedule"),
        ])

    def log(self, name):
        return (self.tmp_path / f"celery-{name}.log").read_text()

    def stop(self, name=None, sig=None):
        import signal

        names = [name] if name else list(self.procs)
        for n in names:
            proc = self.procs.pop(n, None)
            if proc and proc.poll() is None:
                proc.send_signal(sig or signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture
def celery_processes(transactional_db, tmp_path):
    """Factory: CeleryProcesses(**env) — stopped at the end of the test."""
    started = []

    def make(**env_overrides):
        procs = CeleryProcesses(tmp_path, **env_overrides)
        started.append(procs)
        return procs

    yield make
    for procs in started:
        procs.stop()


class CeleryQueue:
    """Where tasks sent from the test process go. The settings namespace is "CELERY", so the
    prefixed key is the one app.conf reads (setting `task_default_queue` has no effect)."""

    def __init__(self, app):
        self.app = app
        self.previous = app.conf.task_default_queue
        self.used = []

    def use(self, queue):
        self.app.conf.CELERY_TASK_DEFAULT_QUEUE = queue
        self.used.append(queue)

    @property
    def name(self):
        return self.used[-1]

    def restore(self):
        self.app.conf.CELERY_TASK_DEFAULT_QUEUE = self.previous
        with self.app.connection_for_write() as conn:
            conn.default_channel.client.delete(*self.used)


@pytest.fixture(autouse=True)
def celery_queue():
    """Every test sends its tasks (e.g. provisioning on commit) to a queue of its own, never to a
    developer's worker on the shared Redis; dropped afterwards. With a real worker:
    `celery_queue.use(procs.queue)`."""
    from hopsmanaged.celery import app

    queue = CeleryQueue(app)
    queue.use(f"test-{uuid.uuid4().hex[:10]}")
    yield queue
    queue.restore()


def wait_for(predicate, *, timeout=30.0, interval=0.2, message="condition"):
    """Poll until predicate() is truthy; returns its value or fails with `message`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture
def wait():
    return wait_for


# ---------------------------------------------------------------- Chromium through Playwright

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request):
    """A fresh browser context and page; a screenshot is saved when the test fails."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failure.png"), full_page=True)
    context.close()


@pytest.fixture
def screenshot(request):
    """screenshot(page, step): saves test-artifacts/<test>/<nn>-<step>.png for a journey."""
    counter = {"n": 0}

    def take(pg, step):
        counter["n"] += 1
        folder = ARTIFACTS / request.node.name
        folder.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(folder / f"{counter['n']:02d}-{step}.png"), full_page=True)

    return take
