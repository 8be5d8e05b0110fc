"""Benchmark: 32 signed-in users hammering /dashboard/ and /api/usage on gunicorn, production settings.

    .venv/bin/python bench/load.py [--users 32] [--duration 20] [--workers 2] [--threads 1]
                                   [--sweep 2x1,4x1,4x2,8x1] [--background-users 1000] [--keep]

Creates a throwaway database (`bench_hm_load`, dropped at the end) seeded like a real tenant base:
owners with three team members each (32 signed-in users by default), every one with usage_daily
for last month and this month so far over four projects, seated on a cluster, plus
`--background-users` other owners with usage so the table has production-like size. Then it starts
gunicorn on loopback with the production settings (DEBUG off, HTTPS redirect and secure cookies on;
the load generator sends `X-Forwarded-Proto: https` as the proxy in front would), and drives it with
wrk (installed from Debian if missing): 32 connections, each request carrying one of the 32 users'
session cookies in turn, `--duration` seconds per endpoint. Prints requests/s, p50/p95/p99 latency
and the error rate (anything but a 200, and socket errors) per endpoint, plus each endpoint's SQL
query count and the machine's load average (other work on the machine skews the figures).

`--sweep` first tries each WORKERSxTHREADS gunicorn layout on /api/usage for a few seconds and
keeps the fastest. Goal: /api/usage >= 500 req/s with p95 < 50 ms and no errors on 2 cores.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopsmanaged.settings")

from sandbox.serving import free_port  # noqa: E402
os.environ["LOG_LEVEL"] = "WARNING"
os.environ["TEST_DATABASE_NAME"] = "bench_hm_load"  # a throwaway database, dropped at the end

ENDPOINTS = ["/api/usage", "/dashboard/"]
BASELINE = "/api/instance"  # signed in, constant work: what the framework alone allows on this machine
PROJECTS = ["fraud-detection", "feature-pipelines", "llm-finetune", "recsys-training"]
GOAL = {"rps": 500, "p95_ms": 50}

LUA = """
local cookies = {%(cookies)s}
local path = "%(path)s"
local threads = {}
local counter = 0
bad = 0

function setup(thread)
  thread:set("offset", #threads * 7)
  table.insert(threads, thread)
end

function init(args)
  counter = offset
end

function request()
  counter = counter + 1
  local cookie = cookies[(counter %% #cookies) + 1]
  return wrk.format("GET", path, {["Cookie"] = "sessionid=" .. cookie, ["X-Forwarded-Proto"] = "https",
                                  ["Host"] = "127.0.0.1"})
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local not_200 = 0
  for _, thread in ipairs(threads) do not_200 = not_200 + thread:get("bad") end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "p50": %%d, "p95": %%d, "p99": %%d, "max": %%d, "not_200": %%d, "socket_errors": %%d, "timeouts": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, not_200, e.connect + e.read + e.write + e.timeout, e.timeout))
end
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=32, help="signed-in users (and wrk connections)")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per endpoint")
    parser.add_argument("--workers", type=int, default=2)
    # Sync workers (1 thread), one per core: the work is CPU-bound, so threads add no throughput on
    # 2 cores, only GIL hand-offs (2x4 gthread: the same req/s as 2x1, with a 1.4-1.8 times higher p95).
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sweep", default="", help="e.g. 2x1,4x1,4x2: try these WORKERSxTHREADS first")
    parser.add_argument("--sweep-duration", type=int, default=6)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--background-users", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--wsgi", default="hopsmanaged.wsgi", help="another WSGI module (what-if experiments)")
    return parser.parse_args()


# ---------------------------------------------------------------- data


def setup_database():
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return lambda: connection.creation.destroy_test_db(old_name, verbosity=0)


def _usage_rows(users, clusters, first, today, projects):
    from usage.models import UsageDaily

    rng = random.Random(7)
    rows = []
    for n, user in enumerate(users):
        cluster = clusters[n % len(clusters)]
        day = first
        while day <= today:
            for project in projects:
                cpu = Decimal(rng.randint(0, 96_000)) / 1000
                rows.append(UsageDaily(user=user, cluster=cluster, date=day, namespace=project, cpu_hours=cpu,
                                       gpu_hours=cpu / 16 if project == "llm-finetune" else Decimal(0),
                                       memory_gb_hours=cpu * 4))
            day += timedelta(days=1)
    UsageDaily.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def seed(args):
    """The signed-in users (owners with 3 members each) and background owners; returns the signed-in."""
    from accounts.models import User
    from clusters.kubeconfigs import kubeconfig_build
    from clusters.models import HopsworksCluster, UserHopsworksAssignment

    clusters = []
    for n in range(4):
        cluster = HopsworksCluster(name=f"load-{n}", api_url=f"https://c{n}.load.example", max_users=100_000)
        cluster.api_key = f"load-api-key-{n:04d}"
        cluster.kubeconfig = kubeconfig_build(server=f"https://k8s{n}.load.example:6443", token=f"token-{n}")
        clusters.append(cluster)
    clusters = HopsworksCluster.objects.bulk_create(clusters)

    signed_in = []
    for n in range(args.users):
        owner = signed_in[n - n % 4] if n % 4 else None
        signed_in.append(User.objects.create_user(
            f"auth0|load{n}", f"user{n}@load.example", name=f"Load User {n}", account_owner=owner,
            card_on_file=owner is None, hopsworks_username=f"loaduser{n}",
            stripe_customer_id="" if owner else f"cus_load{n}",
        ))
    background = User.objects.bulk_create([
        User(auth0_sub=f"auth0|bg{n}", email=f"bg{n}@load.example", name=f"Background {n}", card_on_file=True)
        for n in range(args.background_users)
    ], batch_size=2000)
    UserHopsworksAssignment.objects.bulk_create([
        UserHopsworksAssignment(user=user, cluster=clusters[n % len(clusters)], state="ready")
        for n, user in enumerate(signed_in + background)
    ], batch_size=2000)
    today = date.today()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # last month and this one so far
    rows = _usage_rows(signed_in, clusters, first, today, PROJECTS)
    rows += _usage_rows(background, clusters, first, today, PROJECTS[:3])
    print(f"seeded {len(signed_in)} signed-in users ({len(signed_in) // 4} owners with 3 members each), "
          f"{len(background)} background owners, {rows} usage_daily rows from {first} to {today}")
    return signed_in


def sessions_for(users):
    """A real session (database backend, as production) per user; returns the session ids."""
    from django.test import Client

    cookies = []
    for user in users:
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies["sessionid"].value)
    return cookies


def request_costs(users, *, repeat=30):
    """Per endpoint, for an owner (self + 3 members) and a member: SQL statements per request and
    the median time of one request in this process, one at a time (what a request costs the CPU)."""
    import statistics

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    costs = {}
    for who, user in (("owner", users[0]), ("member", users[1])):
        client = Client()
        client.force_login(user)
        for path in [*ENDPOINTS, BASELINE]:
            get = lambda: client.get(path, secure=True, HTTP_HOST="127.0.0.1")  # noqa: E731
            get()
            with CaptureQueriesContext(connection) as captured:
                response = get()
            assert response.status_code == 200, (path, response.status_code)
            queries = len(captured)
            timings = []
            for _ in range(repeat):
                started = time.perf_counter()
                get()
                timings.append((time.perf_counter() - started) * 1000)
            costs[who, path] = (queries, statistics.median(timings))
    return costs


# ---------------------------------------------------------------- gunicorn and wrk


def production_env():
    from django.db import connection

    s = connection.settings_dict
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}",
        "DEBUG": "false", "SECURE_SSL_REDIRECT": "true", "SESSION_COOKIE_SECURE": "true",
        "CSRF_COOKIE_SECURE": "true", "SECURE_HSTS_SECONDS": "31536000", "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_CONN_MAX_AGE": "60", "LOG_LEVEL": "WARNING",
    })
    env.pop("TEST_DATABASE_NAME", None)
    return env


class Gunicorn:
    wsgi = "hopsmanaged.wsgi"

    def __init__(self, *, workers, threads, env):
        self.port = free_port()
        self.workers, self.threads = workers, threads
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([
            str(ROOT / ".venv/bin/gunicorn"), self.wsgi, "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(workers), "--threads", str(threads), "--log-level", "warning",
            "--backlog", "2048", "--keep-alive", "5",
        ], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, timeout=60):
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{self.port}/healthz",
                                                 headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})
                with urllib.request.urlopen(request, timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise SystemExit("gunicorn did not answer /healthz within a minute")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.unlink(self.log.name)


def ensure_wrk():
    if shutil.which("wrk"):
        return shutil.which("wrk")
    print("wrk is missing: apt-get install wrk")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("wrk")


def run_wrk(wrk, *, port, path, cookies, connections, duration, threads):
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(LUA % {"cookies": ", ".join(f'"{c}"' for c in cookies), "path": path})
    script.close()
    try:
        out = subprocess.run([wrk, "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
                              "--timeout", "5s", "-s", script.name, f"http://127.0.0.1:{port}{path}"],
                             capture_output=True, text=True, timeout=duration + 60)
    finally:
        os.unlink(script.name)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    raw = json.loads(line[len("RESULT "):])
    seconds = raw["duration_us"] / 1e6
    errors = raw["not_200"] + raw["socket_errors"]
    return {
        "path": path, "requests": raw["requests"], "rps": raw["requests"] / seconds,
        "p50_ms": raw["p50"] / 1000, "p95_ms": raw["p95"] / 1000, "p99_ms": raw["p99"] / 1000,
        "max_ms": raw["max"] / 1000, "errors": errors, "error_rate": errors / max(raw["requests"], 1),
        "not_200": raw["not_200"], "timeouts": raw["timeouts"], "socket_errors": raw["socket_errors"],
    }


def measure(wrk, *, workers, threads, env, cookies, paths, duration, wrk_threads):
    server = Gunicorn(workers=workers, threads=threads, env=env)
    try:
        for path in paths:  # warm every worker's connection and caches before measuring
            run_wrk(wrk, port=server.port, path=path, cookies=cookies, connections=len(cookies), duration=2,
                    threads=wrk_threads)
        return [run_wrk(wrk, port=server.port, path=path, cookies=cookies, connections=len(cookies),
                        duration=duration, threads=wrk_threads) for path in paths]
    finally:
        server.stop()


def row(result):
    line = (f"{result['path']:<14} {result['rps']:>8.1f} {result['p50_ms']:>8.1f} {result['p95_ms']:>8.1f} "
            f"{result['p99_ms']:>8.1f} {result['max_ms']:>8.1f} {result['requests']:>9d} {result['error_rate']:>8.2%}")
    if result["errors"]:
        line += (f"  ({result['not_200']} not 200, {result['timeouts']} wrk timeouts of 5 s, "
                 f"{result['socket_errors'] - result['timeouts']} other socket errors)")
    return line


HEADER = f"{'endpoint':<14} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'requests':>9} {'errors':>8}"


def main():
    args = parse_args()
    import django

    django.setup()
    wrk = ensure_wrk()
    Gunicorn.wsgi = args.wsgi
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, check=True,
                   env={**os.environ, "DEBUG": "false"})
    teardown = setup_database()
    try:
        started = time.monotonic()
        users = seed(args)
        cookies = sessions_for(users)
        print(f"seeded in {time.monotonic() - started:.0f} s")
        print("one request at a time, in this process (median of 30): SQL statements and ms")
        for (who, path), (queries, ms) in request_costs(users).items():
            print(f"  {who:<7} {path:<14} {queries:>3} queries {ms:>7.1f} ms")
        env = production_env()
        load_before = os.getloadavg()
        print(f"machine: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} {load_before[1]:.2f} "
              f"{load_before[2]:.2f} before the load (other work running on it skews these figures)")
        layout = (args.workers, args.threads)
        if args.sweep:
            print(f"\nsweep on /api/usage, {args.sweep_duration} s each (WORKERSxTHREADS):")
            print(f"{'layout':<8} {HEADER}")
            best = None
            for spec in args.sweep.split(","):
                workers, threads = (int(x) for x in spec.split("x"))
                result = measure(wrk, workers=workers, threads=threads, env=env, cookies=cookies,
                                 paths=["/api/usage"], duration=args.sweep_duration, wrk_threads=args.wrk_threads)[0]
                print(f"{spec:<8} {row(result)}")
                if result["errors"] == 0 and (best is None or result["rps"] > best[1]):
                    best = ((workers, threads), result["rps"])
            layout = best[0] if best else layout
        print(f"\ngunicorn {layout[0]} workers x {layout[1]} threads (sync worker class when 1 thread), "
              f"{len(cookies)} concurrent signed-in users, {args.duration} s per endpoint, "
              f"wrk {args.wrk_threads} threads on the same machine:")
        results = measure(wrk, workers=layout[0], threads=layout[1], env=env, cookies=cookies,
                          paths=[*ENDPOINTS, BASELINE], duration=args.duration, wrk_threads=args.wrk_threads)
        print(HEADER)
        for result in results:
            print(row(result) + ("  (baseline)" if result["path"] == BASELINE else ""))
        load_after = os.getloadavg()
        print(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
        api = next(r for r in results if r["path"] == "/api/usage")
        met = api["rps"] >= GOAL["rps"] and api["p95_ms"] < GOAL["p95_ms"] and api["errors"] == 0
        print(f"goal for /api/usage (>= {GOAL['rps']} req/s, p95 < {GOAL['p95_ms']} ms, 0 errors): "
              f"{'met' if met else 'NOT met'}")
        # wrk keeps every connection busy, so mean latency = connections / throughput (Little's law):
        # a p95 under the goal needs at least this throughput, whatever the rest of the goal says.
        print(f"(with {len(cookies)} connections always busy, a mean latency under {GOAL['p95_ms']} ms alone "
              f"needs >= {len(cookies) * 1000 / GOAL['p95_ms']:.0f} req/s; the /api/instance baseline, signed in with "
              f"constant work, shows what any signed-in request allows on this machine)")
        return 0 if met else 1
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            teardown()


if __name__ == "__main__":
    sys.exit(main())
