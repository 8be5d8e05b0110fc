"""The Kubernetes sandbox answers the official client like a real API server and metrics-server."""

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

TIMEOUT = (3, 10)


@pytest.fixture
def cluster(kubernetes_sandbox):
    sandbox = kubernetes_sandbox.sandbox
    sandbox.workload_add("alice", projects=["alice_fraud", "alice_vision"], pods=4, jobs=0, gpu_pods=2)
    sandbox.workload_add("bob", projects=1, pods=2, jobs=0)
    return kubernetes_sandbox


def api(cluster, token=None):
    return config.new_client_from_config_dict(cluster.kubeconfig(token=token))


def names(pod_list):
    return [(p.metadata.namespace, p.metadata.name) for p in pod_list.items]


def test_typed_pod_list_validates_against_the_strict_37x_models(cluster):
    pods = client.CoreV1Api(api(cluster)).list_pod_for_all_namespaces(label_selector="owner", _request_timeout=TIMEOUT)
    assert len(pods.items) == 6
    gpu_pods = [p for p in pods.items if p.spec.containers[0].resources.limits.get("nvidia.com/gpu")]
    assert len(gpu_pods) == 2
    assert {p.metadata.labels["owner"] for p in pods.items} == {"alice", "bob"}
    assert all(p.status.phase == "Running" for p in pods.items)


def test_label_selectors_equality_existence_and_comma_as_and(cluster):
    core = client.CoreV1Api(api(cluster))
    everything = core.list_pod_for_all_namespaces(_request_timeout=TIMEOUT)
    labelled = core.list_pod_for_all_namespaces(label_selector="owner", _request_timeout=TIMEOUT)
    assert len(everything.items) == len(labelled.items) + 2  # the unlabelled kube-system pods
    alice = core.list_pod_for_all_namespaces(label_selector="owner=alice", _request_timeout=TIMEOUT)
    assert {ns for ns, _ in names(alice)} == {"alice-fraud", "alice-vision"}
    both = core.list_pod_for_all_namespaces(label_selector="owner=alice,project-name=alice-vision", _request_timeout=TIMEOUT)
    assert {ns for ns, _ in names(both)} == {"alice-vision"}
    not_alice = core.list_pod_for_all_namespaces(label_selector="owner,owner!=alice", _request_timeout=TIMEOUT)
    assert {p.metadata.labels["owner"] for p in not_alice.items} == {"bob"}
    in_set = core.list_pod_for_all_namespaces(label_selector="owner in (alice,bob),!jupyter", _request_timeout=TIMEOUT)
    assert all("jupyter" not in p.metadata.labels for p in in_set.items) and in_set.items


def test_namespaced_list_and_field_selector_on_phase(cluster):
    cluster.sandbox.pod_add("bob", "alice-fraud", name="pending-gpu", gpus=1, phase="Pending")
    core = client.CoreV1Api(api(cluster))
    listed = core.list_namespaced_pod("alice-fraud", label_selector="owner", _request_timeout=TIMEOUT)
    running = core.list_namespaced_pod(
        "alice-fraud", label_selector="owner", field_selector="status.phase=Running", _request_timeout=TIMEOUT
    )
    assert ("alice-fraud", "pending-gpu") in names(listed)
    assert ("alice-fraud", "pending-gpu") not in names(running)
    assert len(listed.items) == len(running.items) + 1


def test_bad_selector_and_wrong_token_get_status_errors(cluster):
    core = client.CoreV1Api(api(cluster))
    with pytest.raises(ApiException) as bad_field:
        core.list_pod_for_all_namespaces(field_selector="status.colour=red", _request_timeout=TIMEOUT)
    assert bad_field.value.status == 400 and "field label not supported" in bad_field.value.body
    with pytest.raises(ApiException) as bad_label:
        core.list_pod_for_all_namespaces(label_selector="owner=a b", _request_timeout=TIMEOUT)
    assert bad_label.value.status == 400
    with pytest.raises(ApiException) as unauthorized:
        client.CoreV1Api(api(cluster, token="stolen")).list_pod_for_all_namespaces(_request_timeout=TIMEOUT)
    assert unauthorized.value.status == 401 and '"kind":"Status"' in unauthorized.value.body


def test_pages_follow_continue_tokens_and_form_one_consistent_snapshot(cluster):
    core = client.CoreV1Api(api(cluster))
    first = core.list_pod_for_all_namespaces(label_selector="owner", limit=4, _request_timeout=TIMEOUT)
    assert len(first.items) == 4 and first.metadata.var_continue and first.metadata.remaining_item_count == 2
    cluster.sandbox.pod_add("bob", "bob-late", name="arrived-after-first-page")
    second = core.list_pod_for_all_namespaces(
        label_selector="owner", limit=4, _continue=first.metadata.var_continue, _request_timeout=TIMEOUT
    )
    assert not second.metadata.var_continue
    assert len(names(first) + names(second)) == 6  # the newcomer is not in the snapshot
    again = core.list_pod_for_all_namespaces(label_selector="owner", _request_timeout=TIMEOUT)
    assert len(again.items) == 7


def test_an_old_or_expired_continue_token_answers_410_expired(cluster):
    core = client.CoreV1Api(api(cluster))
    first = core.list_pod_for_all_namespaces(label_selector="owner", limit=2, _request_timeout=TIMEOUT)
    cluster.sandbox.clock_advance(301)
    with pytest.raises(ApiException) as gone:
        core.list_pod_for_all_namespaces(label_selector="owner", limit=2, _continue=first.metadata.var_continue,
                                         _request_timeout=TIMEOUT)
    assert gone.value.status == 410 and '"reason":"Expired"' in gone.value.body

    fresh = core.list_pod_for_all_namespaces(label_selector="owner", limit=2, _request_timeout=TIMEOUT)
    cluster.sandbox.faults_set(expire_continue=1)
    with pytest.raises(ApiException):
        core.list_pod_for_all_namespaces(label_selector="owner", limit=2, _continue=fresh.metadata.var_continue,
                                         _request_timeout=TIMEOUT)
    retry = core.list_pod_for_all_namespaces(label_selector="owner", limit=2, _continue=fresh.metadata.var_continue,
                                             _request_timeout=TIMEOUT)
    assert len(retry.items) == 2


def test_pod_metrics_list_is_unpaginated_canonical_and_copies_pod_labels(cluster):
    cluster.sandbox.pod_add("bob", "bob-x", name="exact", cpu="250m", memory="1Gi")
    metrics = client.CustomObjectsApi(api(cluster)).list_cluster_custom_object(
        "metrics.k8s.io", "v1beta1", "pods", label_selector="owner", _request_timeout=TIMEOUT
    )
    assert metrics["kind"] == "PodMetricsList" and len(metrics["items"]) == 7
    exact = next(i for i in metrics["items"] if i["metadata"]["name"] == "exact")
    assert exact["containers"] == [{"name": "main", "usage": {"cpu": "250m", "memory": "1Gi"}}]
    assert exact["metadata"]["labels"]["owner"] == "bob"
    namespaced = client.CustomObjectsApi(api(cluster)).list_namespaced_custom_object(
        "metrics.k8s.io", "v1beta1", "bob-x", "pods", label_selector="owner=bob", limit=1, _request_timeout=TIMEOUT
    )
    assert [i["metadata"]["name"] for i in namespaced["items"]] == ["exact"] and "continue" not in namespaced["metadata"]
    for item in metrics["items"]:
        for container in item["containers"]:
            assert container["usage"]["cpu"][-1] in "0123456789nmu"
            assert container["usage"]["memory"][-2:] in ("Ki", "Mi", "Gi") or container["usage"]["memory"].isdigit()


def test_failure_switches_500_missing_pods_and_slow_answers(cluster):
    sandbox = cluster.sandbox
    core = client.CoreV1Api(api(cluster))
    custom = client.CustomObjectsApi(api(cluster))
    sandbox.faults_set(pods_errors=1)
    with pytest.raises(ApiException) as failed:
        core.list_pod_for_all_namespaces(_request_timeout=TIMEOUT)
    assert failed.value.status == 500
    assert core.list_pod_for_all_namespaces(label_selector="owner", _request_timeout=TIMEOUT).items

    sandbox.faults_set(missing_from_metrics=2, missing_from_pods=1)
    pods = core.list_pod_for_all_namespaces(label_selector="owner", _request_timeout=TIMEOUT)
    metrics = custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "pods", label_selector="owner",
                                                _request_timeout=TIMEOUT)
    assert (len(pods.items), len(metrics["items"])) == (5, 4)

    sandbox.faults_set(slow_seconds=1.0)
    with pytest.raises(Exception) as timed_out:
        core.list_pod_for_all_namespaces(_request_timeout=(1, 0.3))
    assert "timed out" in str(timed_out.value).lower()


def test_workload_changes_over_time_deterministically_and_the_ledger_records_it(kubernetes_sandbox_factory):
    one = kubernetes_sandbox_factory(seed=11).sandbox
    two = kubernetes_sandbox_factory(seed=11, start=one.now()).sandbox
    for sandbox in (one, two):
        sandbox.workload_add("carol", pods=2, jobs=3)
    seen = set()
    for _ in range(12):
        records, _ = one.snapshot()
        seen.add(tuple(sorted(r.key for r in records if r.phase == "Running")))
        one.clock_advance(900)
        two.clock_advance(900)
    assert len(seen) > 1  # jobs started and ended
    assert one.ledger() == two.ledger()
    always_up = [e["cpu_hours"] for e in one.ledger() if e["namespace"] == "kube-system"]
    assert not always_up  # unlabelled system pods are nobody's usage
    per_slot = {}
    for entry in one.ledger():
        per_slot[entry["slot"]] = per_slot.get(entry["slot"], 0) + entry["cpu_hours"]
    assert len(set(per_slot.values())) > 1  # CPU varies from slot to slot
    assert len({e["slot"] for e in one.ledger()}) == 13
