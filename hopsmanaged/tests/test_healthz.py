import shutil
import subprocess

import pytest

from conftest import wait_for
from sandbox.serving import free_port


@pytest.mark.django_db
def test_healthz_reports_database_and_redis_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok"
    assert data["database"]["ok"] is True
    assert data["redis"]["ok"] is True
    assert data["heartbeat"] == {"at": None, "worker": None, "stale": True}


@pytest.fixture
def own_redis(tmp_path):
    """A second real Redis server that this test may stop."""
    port = free_port()
    proc = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )

    def ping():
        return subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout == b"PONG\n"

    wait_for(ping, timeout=10, message="redis to start")
    yield proc, f"redis://127.0.0.1:{port}/0"
    if proc.poll() is None:
        proc.terminate()
        proc.wait()


@pytest.mark.django_db
def test_healthz_answers_503_and_names_redis_when_redis_is_stopped(client, settings, own_redis):
    proc, url = own_redis
    settings.REDIS_URL = url
    assert client.get("/healthz").status_code == 200

    proc.terminate()
    proc.wait()

    response = client.get("/healthz")
    assert response.status_code == 503
    data = response.json()
    assert data["status"] == "down"
    assert data["down"] == ["redis"]
    assert data["redis"]["ok"] is False
    assert data["database"]["ok"] is True


def test_healthz_needs_no_sign_in_and_only_answers_get(client, db):
    assert client.get("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_healthz_reads_no_session_so_a_signed_in_probe_gets_a_clean_answer_when_the_database_is_down(
    client_for, alice
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    probe = client_for(alice)
    with CaptureQueriesContext(connection) as queries:
        response = probe.get("/healthz")
    assert response.status_code == 200
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert "django_session" not in tables and '"users"' not in tables
