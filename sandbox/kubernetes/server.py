"""Kubernetes sandbox: the core and metrics API subset the usage collector reads.

Reached by the official `kubernetes` client through a kubeconfig (`kubeconfig_for(url, token)`),
bearer token checked. Serves `GET /api/v1/pods` and `/api/v1/namespaces/{ns}/pods` (label and
field selectors, `limit`/`continue`, 410 Expired), `GET /apis/metrics.k8s.io/v1beta1/pods` (and
namespaced, and one pod; label selector, never paginated), `/version`, `/api`, `/apis`.

Driven in-process through `app.sandbox` (a SimulatedCluster) or over HTTP under `/_sandbox/`:
  GET  /_sandbox/state                         clock, pods, faults, API call counts
  POST /_sandbox/workloads  {"username", "projects", "pods", "jobs", "gpu_pods"}
  POST /_sandbox/pods       {"owner", "namespace", "name", "cpu", "memory", "gpus", "phase"}
  DELETE /_sandbox/pods/<namespace>/<name>
  POST /_sandbox/clock      {"advance_seconds": n} or {"now": "<ISO 8601>"}
  POST /_sandbox/faults     {"pods_errors", "metrics_errors", "slow_seconds", "expire_continue",
                             "missing_from_metrics", "missing_from_pods", "metrics_barrier"};
                            DELETE clears them
  POST /_sandbox/calls/reset
  GET  /_sandbox/ledger?since=<ISO>&until=<ISO>&owner=<username>
"""

import time
from datetime import datetime
from decimal import Decimal

from flask import Flask, jsonify, request

from .cluster import ApiError, SimulatedCluster
from .kubeconfig import kubeconfig_for  # noqa: F401  (re-exported for tests and the bench)
from .objects import status_object
from .persistence import keep_state

VERSION = {
    "major": "1", "minor": "31", "gitVersion": "v1.31.4-sandbox", "gitCommit": "sandbox",
    "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.22.10",
    "compiler": "gc", "platform": "linux/amd64",
}
METRICS_GROUP = {
    "name": "metrics.k8s.io",
    "versions": [{"groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"}],
    "preferredVersion": {"groupVersion": "metrics.k8s.io/v1beta1", "version": "v1beta1"},
}


def create_app(**config):
    """config: token (default `sandbox-token`), seed, owner_label_key, start (datetime), frozen,
    continue_ttl_seconds, system_pods, state_path (a JSON file keeping the workload and the clock
    across restarts, `make run` only; a saved seed and clock win over the config)."""
    token = config.pop("token", "sandbox-token")
    state_path = config.pop("state_path", None)
    app = Flask(__name__)
    app.json.sort_keys = False  # large lists: keep serialisation cheap, like the API server's
    app.sandbox = cluster = SimulatedCluster(**config)
    if state_path:
        keep_state(cluster, state_path)

    @app.errorhandler(ApiError)
    def api_error(exc):
        return jsonify(exc.body), exc.code

    @app.before_request
    def authenticate():
        if request.path.startswith("/_sandbox/") or request.path.rstrip("/") == "/version":
            return None
        if request.headers.get("Authorization", "") != f"Bearer {token}":
            return jsonify(status_object(401, "Unauthorized", "Unauthorized")), 401
        delay = float(cluster.faults["slow_seconds"] or 0)
        if delay:
            time.sleep(delay)
        return None

    @app.errorhandler(404)
    def not_found(exc):
        return jsonify(status_object(404, "NotFound", "the server could not find the requested resource")), 404

    @app.get("/version")
    @app.get("/version/")
    def version():
        return jsonify(VERSION)

    @app.get("/api")
    def core_versions():
        return jsonify({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": request.host}]})

    @app.get("/apis")
    def group_list():
        return jsonify({"kind": "APIGroupList", "apiVersion": "v1", "groups": [METRICS_GROUP]})

    @app.get("/apis/metrics.k8s.io/v1beta1")
    def metrics_resources():
        return jsonify({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "metrics.k8s.io/v1beta1",
                        "resources": [{"name": "pods", "singularName": "", "namespaced": True, "kind": "PodMetrics",
                                       "verbs": ["get", "list"]}]})

    @app.get("/api/v1/pods")
    @app.get("/api/v1/namespaces/<namespace>/pods")
    def pods(namespace=None):
        return jsonify(cluster.pods_list(
            namespace=namespace, label_selector=request.args.get("labelSelector", ""),
            field_selector=request.args.get("fieldSelector", ""), limit=_limit(),
            continue_token=request.args.get("continue", ""),
        ))

    @app.get("/apis/metrics.k8s.io/v1beta1/pods")
    @app.get("/apis/metrics.k8s.io/v1beta1/namespaces/<namespace>/pods")
    def pod_metrics_list(namespace=None):
        # metrics-server ignores limit/continue: the list is never paginated.
        return jsonify(cluster.metrics_list(
            namespace=namespace, label_selector=request.args.get("labelSelector", ""),
            field_selector=request.args.get("fieldSelector", ""),
        ))

    @app.get("/apis/metrics.k8s.io/v1beta1/namespaces/<namespace>/pods/<name>")
    def pod_metrics(namespace, name):
        return jsonify(cluster.pod_metrics(namespace, name))

    def on_hopsworks_user_created(username, email):
        """sandbox/run.py wiring: a user created in the Hopsworks sandbox starts running pods in
        their default project (the Hopsworks sandbox names it `<username>_demo`)."""
        cluster.workload_add(username, projects=[f"{username}_demo"], pods=2, jobs=1, gpu_pods=1)

    def hopsworks_users_ensure(users):
        """sandbox/run.py at start: each known Hopsworks user [(username, email)] runs pods, also when
        this sandbox's state was lost or is new; a user who already has pods (or had) is left alone."""
        with cluster.lock:
            owners = {t.owner for t in cluster.templates}
        for username, email in users:
            if username not in owners:
                on_hopsworks_user_created(username, email)

    app.on_hopsworks_user_created = on_hopsworks_user_created
    app.hopsworks_users_ensure = hopsworks_users_ensure
    register_control(app, cluster)
    return app


def _limit():
    raw = request.args.get("limit", "0") or "0"
    try:
        limit = int(raw)
    except ValueError:
        raise ApiError(400, "BadRequest", f'invalid limit "{raw}": not an integer') from None
    return max(limit, 0)


class BadControl(Exception):
    pass


def _body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadControl("send a JSON object")
    return data


def _moment(raw, field):
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise BadControl(f"{field}: not an ISO 8601 date-time: {raw!r}") from None
    if moment.tzinfo is None:
        raise BadControl(f"{field}: give a time zone (e.g. Z)")
    return moment


def _integer(data, field, default):
    value = data.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadControl(f"{field}: a whole number ≥ 0, not {value!r}")
    return value


def _ledger_json(entries):
    def plain(entry):
        return {k: (str(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, datetime) else v)
                for k, v in entry.items()}

    totals = {f: str(sum((e[f] for e in entries), Decimal(0))) for f in ("cpu_hours", "gpu_hours", "memory_gb_hours")}
    return {"entries": [plain(e) for e in entries], "totals": totals}


def register_control(app, cluster):
    @app.errorhandler(BadControl)
    def bad_control(exc):
        return jsonify({"error": str(exc)}), 400

    @app.get("/_sandbox/state")
    def state():
        return jsonify(cluster.state())

    @app.post("/_sandbox/workloads")
    def workloads():
        data = _body()
        username = data.get("username")
        if not isinstance(username, str) or not username.strip():
            raise BadControl("username: required")
        projects = data.get("projects", 2)
        if not (isinstance(projects, list) and projects and all(isinstance(p, str) and p for p in projects)):
            projects = _integer(data, "projects", 2) or 1
        namespaces = cluster.workload_add(
            username.strip(), projects=projects, pods=_integer(data, "pods", 3), jobs=_integer(data, "jobs", 2),
            gpu_pods=_integer(data, "gpu_pods", 0),
        )
        return jsonify({"username": username.strip(), "namespaces": namespaces}), 201

    @app.post("/_sandbox/pods")
    def pod_add():
        data = _body()
        missing = [f for f in ("owner", "namespace") if not isinstance(data.get(f), str) or not data[f]]
        if missing:
            raise BadControl(f"{', '.join(missing)}: required")
        try:
            name = cluster.pod_add(
                data["owner"], data["namespace"], name=data.get("name"), cpu=str(data.get("cpu", "250m")),
                memory=str(data.get("memory", "1Gi")), gpus=_integer(data, "gpus", 0),
                phase=data.get("phase", "Running"),
            )
        except ValueError as exc:
            raise BadControl(str(exc)) from None
        return jsonify({"namespace": data["namespace"], "name": name}), 201

    @app.delete("/_sandbox/pods/<namespace>/<name>")
    def pod_remove(namespace, name):
        if not cluster.pod_remove(namespace, name):
            return jsonify({"error": f"no running pod {namespace}/{name}"}), 404
        return "", 204

    @app.post("/_sandbox/clock")
    def clock():
        data = _body()
        if "now" in data:
            cluster.clock_set(_moment(data["now"], "now"))
        elif "advance_seconds" in data:
            seconds = data["advance_seconds"]
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
                raise BadControl("advance_seconds: a number")
            cluster.clock_advance(seconds)
        else:
            raise BadControl("send {\"now\": ISO} or {\"advance_seconds\": n}")
        return jsonify(cluster.state())

    @app.post("/_sandbox/faults")
    def faults_set():
        try:
            cluster.faults_set(**_body())
        except ValueError as exc:
            raise BadControl(str(exc)) from None
        return jsonify(cluster.faults)

    @app.delete("/_sandbox/faults")
    def faults_clear():
        cluster.faults_clear()
        return jsonify(cluster.faults)

    @app.post("/_sandbox/calls/reset")
    def calls_reset():
        cluster.calls_reset()
        return jsonify({})

    @app.get("/_sandbox/ledger")
    def ledger():
        since = request.args.get("since")
        until = request.args.get("until")
        entries = cluster.ledger(
            since=_moment(since, "since") if since else None, until=_moment(until, "until") if until else None,
        )
        owner = request.args.get("owner")
        if owner:
            entries = [e for e in entries if e["owner"] == owner]
        return jsonify(_ledger_json(entries))
