"""Real server processes for the integrity suite: the app under gunicorn, the sandbox runner, a
PostgreSQL of the test's own (initdb as the `postgres` user, like scripts/services.sh does)."""

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from conftest import ROOT, wait_for
from sandbox.serving import free_port


class Processes:
    """Child processes, each logging to `<folder>/<name>.log`; stopped in reverse order."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.procs = {}

    def start(self, name, args, *, env):
        log = open(self.folder / f"{name}.log", "w")
        self.procs[name] = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        return self.procs[name]

    def log(self, name):
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def alive(self, name):
        return self.procs[name].poll() is None

    def stop(self, name=None):
        """SIGTERM to each (all at once), then wait for each; SIGKILL after 15 s."""
        stopping = [self.procs.pop(key) for key in ([name] if name else list(reversed(self.procs))) if key in self.procs]
        for proc in stopping:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in stopping:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def gunicorn(processes, *, port, env, name="web", workers=2, threads=4):
    """The web process of the Procfile, on `port`; returns its base URL once it answers."""
    processes.start(name, [
        sys.executable, "-m", "gunicorn", "hopsmanaged.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--threads", str(threads), "--timeout", "30",
        "--access-logfile", "-", "--log-level", "warning",
    ], env=env)
    url = f"http://127.0.0.1:{port}"
    http_wait(url + "/healthz", alive=lambda: processes.alive(name), log=lambda: processes.log(name))
    return url


def http_wait(url, *, alive=lambda: True, log=lambda: "", timeout=60):
    """Poll `url` until it answers at all (any status)."""

    def answers():
        assert alive(), f"the server exited; its log:\n{log()[-3000:]}"
        try:
            requests.get(url, timeout=2)
        except requests.RequestException:
            return False
        return True

    wait_for(answers, timeout=timeout, interval=0.3, message=f"{url} to answer")


SANDBOX_PORTS = ("auth0", "stripe", "hopsworks", "kubernetes", "mail", "smtp")


class FullStack:
    """What `make run` starts — the sandbox runner, gunicorn, a Celery worker and beat — on free
    ports, against the test database, with tasks on the Celery queue of `celery` (CeleryProcesses)."""

    def __init__(self, folder, celery_processes):
        self.web_port = free_port()
        self.ports = {name: free_port() for name in SANDBOX_PORTS}
        self.web = f"http://127.0.0.1:{self.web_port}"
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.celery = celery_processes(**self.environment())
        self.env = self.celery.env
        self.processes = Processes(folder)

    def environment(self):
        return {
            "HM_PORT": self.web_port, "AUTH0_ISSUER_BASE_URL": self.urls["auth0"], "AUTH0_BASE_URL": self.web,
            "CSRF_TRUSTED_ORIGINS": self.web, "STRIPE_API_BASE": self.urls["stripe"],
            "DEMO_HOPSWORKS_URL": self.urls["hopsworks"], "DEMO_KUBERNETES_URL": self.urls["kubernetes"],
            "EMAIL_URL": f"smtp://127.0.0.1:{self.ports['smtp']}", "SANDBOX_STRIPE_STATE_FILE": "",
            **{f"SANDBOX_PORT_{name.upper()}": port for name, port in self.ports.items()},
        }

    def start(self):
        self.processes.start("sandbox", [sys.executable, "-m", "sandbox.run"], env=self.env)
        self.celery.start_worker(concurrency=2)
        self.celery.start_beat()
        gunicorn(self.processes, port=self.web_port, env=self.env)
        for name in ("auth0", "stripe", "hopsworks", "kubernetes"):
            http_wait(self.urls[name] + "/_sandbox/state", alive=lambda: self.processes.alive("sandbox"),
                      log=lambda: self.processes.log("sandbox"))
        return self

    def sandbox_json(self, service, path, body=None):
        url = self.urls[service] + path
        response = requests.post(url, json=body, timeout=30) if body is not None else requests.get(url, timeout=30)
        response.raise_for_status()
        return response.json()

    def stop(self):
        for proc in self.celery.procs.values():  # let the worker and beat wind down meanwhile
            proc.send_signal(signal.SIGTERM)
        self.processes.stop()
        self.celery.stop()


class PostgresServer:
    """A PostgreSQL of the test's own on a free port (trust auth on loopback), restartable."""

    def __init__(self):
        self.bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        self.home = Path(tempfile.mkdtemp(prefix="hm-integrity-pg-"))
        self.data = self.home / "data"
        self.port = free_port()
        if os.getuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")

    def _run(self, *args, **kwargs):
        command = [f"{self.bin}/{args[0]}", *args[1:]]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)

    def init(self):
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.home}'\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 100\n")
        return self.start()

    def start(self):
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.home / "server.log"), "-w", "-t", "60", "start")
        return self

    def stop(self):
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def url(self, database):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def copy_database(self, settings_dict, *, name):
        """Create `name` here as a copy (schema and rows) of the database `settings_dict` describes."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        env = {**os.environ, "PGPASSWORD": settings_dict["PASSWORD"] or ""}
        dump = subprocess.run(
            [f"{self.bin}/pg_dump", "--no-owner", "--no-privileges", "-h", settings_dict["HOST"],
             "-p", str(settings_dict["PORT"]), "-U", settings_dict["USER"], settings_dict["NAME"]],
            check=True, capture_output=True, env=env,
        ).stdout
        subprocess.run([f"{self.bin}/psql", "-q", "-v", "ON_ERROR_STOP=1", self.url(name)], input=dump,
                       check=True, capture_output=True)
        return self.url(name)

    def close(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.home, ignore_errors=True)
