"""With a state_path (`make run`), the Kubernetes sandbox's pods survive a restart and its ledger stays
true: history kept, nothing counted for the slots the sandbox was stopped in."""

import json
from datetime import timedelta

from kubernetes import client, config

from sandbox.kubernetes.fixtures import current_slot_start
from sandbox.kubernetes.workload import slot_of

TIMEOUT = (3, 10)


def pods_of(kube, owner):
    api = config.new_client_from_config_dict(kube.kubeconfig())
    pods = client.CoreV1Api(api).list_pod_for_all_namespaces(label_selector=f"owner={owner}", _request_timeout=TIMEOUT)
    return sorted((p.metadata.namespace, p.metadata.name, p.metadata.labels["project-id"]) for p in pods.items)


def metrics_of(kube, owner):
    api = config.new_client_from_config_dict(kube.kubeconfig())
    listed = client.CustomObjectsApi(api).list_cluster_custom_object(
        "metrics.k8s.io", "v1beta1", "pods", label_selector=f"owner={owner}", _request_timeout=TIMEOUT)
    return sorted((m["metadata"]["name"], tuple((c["name"], c["usage"]["cpu"]) for c in m["containers"])) for m in listed["items"])


def test_workloads_run_on_after_a_restart_with_the_same_pods_usage_and_ledger(kubernetes_sandbox_factory, tmp_path):
    path = tmp_path / "kubernetes-sandbox.json"
    first = kubernetes_sandbox_factory(state_path=path)
    first.sandbox.workload_add("erin", projects=["erin_churn"], pods=2, jobs=1, gpu_pods=1)
    first.sandbox.pod_add("erin", "erin-churn", name="big", cpu="3", gpus=1)
    first.sandbox.clock_advance(900)
    assert first.sandbox.pod_remove("erin-churn", "big")
    first.sandbox.workload_add("finn", projects=1, pods=1, jobs=0)
    before = (pods_of(first, "erin"), metrics_of(first, "erin"), pods_of(first, "finn"), first.sandbox.ledger())
    first.stop()

    second = kubernetes_sandbox_factory(state_path=path)  # its own clock would start a slot earlier: the kept one wins
    try:
        assert second.sandbox.state()["owners"] == ["erin", "finn"]
        assert (pods_of(second, "erin"), metrics_of(second, "erin"), pods_of(second, "finn"), second.sandbox.ledger()) == before
        assert not any(name == "big" for _, name, _ in pods_of(second, "erin"))  # a removed pod stays removed
        second.sandbox.workload_add("gus", projects=1, pods=1, jobs=0)
        ids = {project_id for _, _, project_id in pods_of(second, "erin") + pods_of(second, "finn")}
        assert not ids & {project_id for _, _, project_id in pods_of(second, "gus")}  # project ids not reused
    finally:
        second.stop()
    assert json.loads(path.read_text())["format"] == 1


def test_the_slots_the_sandbox_was_stopped_in_show_nothing_ran(kubernetes_sandbox_factory, tmp_path):
    path = tmp_path / "kubernetes-sandbox.json"
    now_slot = current_slot_start()
    start = now_slot - timedelta(hours=2)
    first = kubernetes_sandbox_factory(state_path=path, start=start + timedelta(minutes=1))  # stopped 2 hours ago
    first.sandbox.workload_add("erin", projects=["erin_churn"], pods=2, jobs=0)
    first.sandbox.clock_advance(900)
    first.stop()

    second = kubernetes_sandbox_factory(state_path=path, frozen=False)  # back now, on wall time
    try:
        slots = sorted({e["slot"] for e in second.sandbox.ledger() if e["owner"] == "erin"})
        assert slots == [start, start + timedelta(minutes=15), now_slot]  # not the 6 slots in between
        assert len(pods_of(second, "erin")) == 2  # and her pods run again
        assert json.loads(path.read_text())["down"] == [[slot_of(start) + 2, slot_of(now_slot) - 1]]
    finally:
        second.stop()


def test_a_known_hopsworks_user_without_pods_gets_them_and_one_with_pods_is_not_doubled(kubernetes_sandbox):
    kubernetes_sandbox.sandbox.workload_add("erin", projects=["erin_demo"], pods=2, jobs=1, gpu_pods=1)
    erin = pods_of(kubernetes_sandbox, "erin")
    kubernetes_sandbox.app.hopsworks_users_ensure([("erin", "erin@example.com"), ("finn000", "finn@example.com")])
    assert pods_of(kubernetes_sandbox, "erin") == erin
    assert {namespace for namespace, _, _ in pods_of(kubernetes_sandbox, "finn000")} == {"finn000-demo"}
