"""The integrity suite's fixtures: hypothesis profiles, prices, an in-process fleet, a Redis and a
PostgreSQL of the test's own (they get restarted), and the full `make run` stack on free ports."""

import os
import shutil
import subprocess
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from conftest import wait_for
from sandbox.serving import free_port

from .fleet import Fleet
from .stack import PostgresServer

# `make test`: a few examples inside the suite's time budget; `make test-slow`: many more.
hypothesis_settings.register_profile(
    "default", max_examples=3, deadline=None, derandomize=False, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "slow", max_examples=60, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

DEFAULT_PRICES = {"cpu_hour": Decimal("0.10"), "gpu_hour": Decimal("0.50")}


@pytest.fixture
def prices(db):
    """The seeded prices ($0.10 per CPU hour, $0.50 per GPU hour), whatever earlier tests flushed."""
    from billing.models import Price

    for resource, amount in DEFAULT_PRICES.items():
        Price.objects.get_or_create(resource=resource, effective_from=date(2025, 1, 1),
                                    defaults={"unit_amount": amount})


def day_start(day):
    return datetime.combine(day, time(0), tzinfo=dt_timezone.utc)


@pytest.fixture
def yesterday():
    """Midnight UTC at the start of yesterday: fault tests play in the past, inside Stripe's window."""
    return day_start(datetime.now(dt_timezone.utc).date() - timedelta(days=1))


@pytest.fixture
def fleet_factory(prices, stripe_sandbox, kubernetes_sandbox_factory, make_user):
    """fleet(start) → a Fleet whose sandboxes' clocks start at `start` (a slot boundary)."""

    def make(start):
        return Fleet(kube_factory=kubernetes_sandbox_factory, make_user=make_user, stripe=stripe_sandbox, start=start)

    return make


# ---------------------------------------------------------------- servers the test may restart


class RedisServer:
    """A real Redis of the test's own (restartable): `.url`, `.restart()`."""

    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None
        folder.mkdir(parents=True, exist_ok=True)

    def ping(self):
        result = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True)
        return result.stdout == b"PONG\n"

    def start(self):
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=10, message="redis to start")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def restart(self):
        self.stop()
        return self.start()


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def own_postgres():
    """A PostgreSQL of the test's own on a free port (the shared server is never restarted)."""
    server = PostgresServer().init()
    yield server
    server.close()


@pytest.fixture(scope="session")
def production_static(django_db_blocker):
    """`collectstatic` with the production storage (hashed, compressed, with a manifest), as the
    Dockerfile does: what gunicorn needs to render pages with DEBUG off."""
    from django.core.management import call_command
    from django.test import override_settings

    storages = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    with override_settings(STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
