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
