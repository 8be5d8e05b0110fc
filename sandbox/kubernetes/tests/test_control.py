"""The /_sandbox/ control API drives a `make run` stack from outside (integrity suite)."""

import requests


def call(kube, method, path, **kwargs):
    return requests.request(method, f"{kube.url}/_sandbox/{path}", timeout=5, **kwargs)


def test_workloads_clock_faults_and_ledger_over_http(kubernetes_sandbox):
    kube = kubernetes_sandbox
    created = call(kube, "POST", "workloads", json={"username": "erin", "projects": ["erin_churn"], "pods": 2, "jobs": 0})
    assert created.status_code == 201 and created.json()["namespaces"] == ["erin-churn"]
    pod = call(kube, "POST", "pods", json={"owner": "erin", "namespace": "erin-churn", "name": "big", "cpu": "3", "gpus": 1})
    assert pod.status_code == 201

    state = call(kube, "GET", "state").json()
    assert state["owners"] == ["erin"] and state["pods_running"] == 2 + 1 + 2  # + the kube-system pods

    start = state["slot"]
    assert call(kube, "POST", "clock", json={"advance_seconds": 900}).json()["slot"] != start
    assert call(kube, "DELETE", "pods/erin-churn/big").status_code == 204
    assert call(kube, "DELETE", "pods/erin-churn/big").status_code == 404

    ledger = call(kube, "GET", "ledger", params={"owner": "erin"}).json()
    assert [e["slot"] for e in ledger["entries"]] == [start, call(kube, "GET", "state").json()["slot"]]
    first, second = ledger["entries"]
    assert first["pods"] == 3 and first["gpu_hours"] == "0.25" and second["pods"] == 2 and second["gpu_hours"] == "0.00"
    only_first = call(kube, "GET", "ledger", params={"until": start}).json()
    assert len(only_first["entries"]) == 1 and only_first["totals"]["gpu_hours"] == "0.25"

    assert call(kube, "POST", "faults", json={"pods_errors": 2}).json()["pods_errors"] == 2
    assert call(kube, "DELETE", "faults").json()["pods_errors"] == 0
    assert call(kube, "POST", "calls/reset").status_code == 200


def test_bad_control_input_is_refused_with_a_message_and_changes_nothing(kubernetes_sandbox):
    kube = kubernetes_sandbox
    before = call(kube, "GET", "state").json()
    refused = [
        call(kube, "POST", "workloads", json={"projects": 2}),
        call(kube, "POST", "workloads", json={"username": "x", "pods": -1}),
        call(kube, "POST", "workloads", data="not json"),
        call(kube, "POST", "pods", json={"owner": "x", "namespace": "y", "cpu": "lots"}),
        call(kube, "POST", "pods", json={"owner": "x"}),
        call(kube, "POST", "clock", json={"now": "yesterday"}),
        call(kube, "POST", "clock", json={"now": "2026-11-25T10:00:00"}),
        call(kube, "POST", "clock", json={}),
        call(kube, "POST", "faults", json={"meltdown": True}),
        call(kube, "GET", "ledger", params={"since": "soon"}),
    ]
    for response in refused:
        assert response.status_code == 400, response.text
        assert response.json()["error"]
    after = call(kube, "GET", "state").json()
    assert (after["now"], after["pods_listed"], after["faults"]) == (before["now"], before["pods_listed"], before["faults"])
