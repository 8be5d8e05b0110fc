"""Under `make run`, a user created in the Hopsworks sandbox starts running pods in the Kubernetes one."""

import requests

from sandbox import run
from sandbox.hopsworks.server import create_app as create_hopsworks_app
from sandbox.serving import start_in_thread


def test_a_user_created_in_hopsworks_runs_pods_in_their_default_project(kubernetes_sandbox, monkeypatch):
    monkeypatch.setitem(run.APPS, "kubernetes", kubernetes_sandbox.app)
    hopsworks = start_in_thread(create_hopsworks_app(**run._hopsworks_config()))
    try:
        answer = requests.post(
            f"{hopsworks.url}/hopsworks-api/api/admin/users",
            params={"accountType": "REMOTE_ACCOUNT_TYPE", "type": "OAUTH2", "email": "dana@example.com",
                    "givenName": "Dana", "surname": "D", "maxNumProjects": 5, "subject": "auth0|dana",
                    "clientId": "hopsmanaged-dev"},
            headers={"Authorization": "ApiKey sandbox-admin-key"}, timeout=5,
        )
        assert answer.status_code == 201
        username = answer.json()["username"]
        projects = requests.get(
            f"{hopsworks.url}/hopsworks-api/api/admin/projects", params={"expand": "creator"},
            headers={"Authorization": "ApiKey sandbox-admin-key"}, timeout=5,
        ).json()["items"]
    finally:
        hopsworks.stop()
    namespace = next(p["namespace"] for p in projects if p["creator"]["username"] == username)
    state = kubernetes_sandbox.sandbox.state()
    assert state["owners"] == [username]
    records, _ = kubernetes_sandbox.sandbox.snapshot()
    assert {r.template.namespace for r in records if r.template.owner == username} == {namespace}


def test_the_runner_keeps_state_in_data_only_on_its_own_ports(monkeypatch):
    for variable in ("SANDBOX_PORT_HOPSWORKS", "SANDBOX_HOPSWORKS_STATE_FILE"):
        monkeypatch.delenv(variable, raising=False)
    assert run._hopsworks_config()["state_path"] is None  # a test building the config keeps nothing
    monkeypatch.setattr(run, "KEEP_STATE", True)  # as main() does
    assert run._hopsworks_config()["state_path"].endswith("/.data/hopsworks-sandbox.json")
    monkeypatch.setenv("SANDBOX_PORT_HOPSWORKS", "18103")  # a stack beside make run: not the developer's file
    assert run._hopsworks_config()["state_path"] is None
    monkeypatch.setenv("SANDBOX_HOPSWORKS_STATE_FILE", "/tmp/elsewhere.json")
    assert run._hopsworks_config()["state_path"] == "/tmp/elsewhere.json"


def test_after_a_restart_kept_hopsworks_users_run_their_pods_once(kubernetes_sandbox_factory, monkeypatch, tmp_path):
    def start(kube_file):
        kube = kubernetes_sandbox_factory(state_path=kube_file)
        monkeypatch.setitem(run.APPS, "kubernetes", kube.app)
        hopsworks = start_in_thread(create_hopsworks_app(**{**run._hopsworks_config(), "state_path": tmp_path / "h.json"}))
        monkeypatch.setitem(run.APPS, "hopsworks", hopsworks.app)
        run.known_users_run_pods()
        return hopsworks, kube

    def running_pods(kube):
        return sorted(r.key for r in kube.sandbox.snapshot()[0] if r.template.owner and r.phase == "Running")

    hopsworks, kube = start(tmp_path / "k.json")
    requests.post(f"{hopsworks.url}/_sandbox/users", json={"email": "dana@example.com"}, timeout=5).raise_for_status()
    pods = running_pods(kube)
    hopsworks.stop()
    kube.stop()
    assert pods and all("dana000" in key for key in pods)

    for kube_file in (tmp_path / "k.json", tmp_path / "k-lost.json"):  # pods kept; pods lost with their file
        hopsworks, kube = start(kube_file)
        try:
            assert running_pods(kube) == pods
        finally:
            hopsworks.stop()
            kube.stop()
