"""Acceptance 1: the collector reads the Kubernetes sandbox through the real client correctly."""

from decimal import Decimal

import pytest

from usage.models import CollectionRun, UsageDaily
from usage.services import collection_run_execute

from .conftest import SLOT


def usage_of(user):
    row = UsageDaily.objects.get(user=user)
    return row.cpu_hours, row.gpu_hours, row.memory_gb_hours


@pytest.mark.parametrize(
    ("cpu", "memory", "cores", "gib"),
    [
        ("250m", "1Gi", "0.25", "1"),
        ("123456789n", "524288Ki", "0.123456789", "0.5"),
        ("2", "1536Mi", "2", "1.5"),
        ("1500m", "2147483648", "1.5", "2"),
        ("15u", "1G", "0.000015", "0.931322574615478515625"),
        ("0.5", "256Mi", "0.5", "0.25"),
    ],
)
def test_quantities_in_every_kubernetes_format_become_exact_hours(kube, cluster, hopsworks_users, cpu, memory, cores, gib):
    (alice,) = hopsworks_users("alice")
    kube.sandbox.pod_add("alice", "alice-fraud", cpu=cpu, memory=memory)

    outcome = collection_run_execute(cluster=cluster, slot=SLOT)

    assert outcome.outcome == "collected"
    cpu_hours, gpu_hours, memory_gb_hours = usage_of(alice)
    assert cpu_hours == Decimal(cores) * Decimal("0.25")
    assert gpu_hours == 0
    assert memory_gb_hours == (Decimal(gib) * Decimal("0.25")).quantize(Decimal("1e-12"))


def test_a_gpu_pod_counts_its_gpus_from_limits_or_requests(kube, cluster, hopsworks_users):
    alice, bob = hopsworks_users("alice", "bob")
    kube.sandbox.pod_add("alice", "alice-vision", name="notebook", gpus=2)  # limits only (Jupyter style)
    kube.sandbox.pod_add("bob", "bob-serving", name="predictor", gpus=1, gpu_in_requests=True)
    kube.sandbox.pod_add("bob", "bob-serving", name="cpu-only")
    kube.sandbox.pod_add("bob", "bob-serving", name="unschedulable", gpus=4, phase="Pending")

    collection_run_execute(cluster=cluster, slot=SLOT)

    assert usage_of(alice)[1] == Decimal("0.5")
    assert usage_of(bob)[1] == Decimal("0.25")  # the pending pod's 4 GPUs are not running


def test_pagination_over_several_pages_counts_every_pod_once(kube, cluster, hopsworks_users, settings):
    settings.KUBERNETES_LIST_PAGE_SIZE = 4
    users = hopsworks_users("alice", "bob", "carol")
    for user in users:
        for n in range(5):
            kube.sandbox.pod_add(user.hopsworks_username, f"{user.hopsworks_username}-p", name=f"pod{n}", cpu="100m")

    run = collection_run_execute(cluster=cluster, slot=SLOT).run

    assert run.pods_counted == 15 and run.users_count == 3
    assert run.api_calls == 4 + 1  # 15 pods in pages of 4, then one metrics list
    assert kube.sandbox.calls == {"pods": 4, "metrics": 1}
    for user in users:
        assert usage_of(user)[0] == Decimal("0.125")  # 5 pods × 0.1 core × 0.25 h


def test_an_expired_continue_token_restarts_the_list_cleanly(kube, cluster, hopsworks_users, settings):
    settings.KUBERNETES_LIST_PAGE_SIZE = 3
    (alice,) = hopsworks_users("alice")
    for n in range(8):
        kube.sandbox.pod_add("alice", "alice-p", name=f"pod{n}", cpu="1")
    kube.sandbox.faults_set(expire_continue=1)

    run = collection_run_execute(cluster=cluster, slot=SLOT).run

    assert run.succeeded and run.pods_counted == 8
    assert run.report["list_restarts"] == 1
    assert usage_of(alice)[0] == Decimal("2")  # 8 cores × 0.25 h, nothing counted twice


def test_a_pod_missing_from_metrics_is_skipped_and_reported(kube, cluster, hopsworks_users):
    (alice,) = hopsworks_users("alice")
    kube.sandbox.pod_add("alice", "alice-a", name="brand-new", cpu="4")
    kube.sandbox.pod_add("alice", "alice-b", name="steady", cpu="1")
    kube.sandbox.faults_set(missing_from_metrics=["alice-a/brand-new"])

    run = collection_run_execute(cluster=cluster, slot=SLOT).run

    assert run.succeeded and run.pods_counted == 1 and run.pods_without_metrics == 1
    assert run.report["pods_without_metrics_sample"] == ["alice-a/brand-new"]
    assert usage_of(alice)[0] == Decimal("0.25")


def test_pods_without_the_owner_label_and_metrics_of_vanished_pods_are_not_billed(kube, cluster, hopsworks_users):
    (alice,) = hopsworks_users("alice")
    kube.sandbox.pod_add("alice", "alice-a", name="kept", cpu="1")
    kube.sandbox.pod_add("alice", "alice-a", name="finished", cpu="8")
    kube.sandbox.faults_set(missing_from_pods=["alice-a/finished"])

    run = collection_run_execute(cluster=cluster, slot=SLOT).run

    assert run.report["metrics_without_pod"] == 1
    assert usage_of(alice)[0] == Decimal("0.25")
    assert UsageDaily.objects.count() == 1  # the sandbox's kube-system pods have no owner label


def test_a_cluster_with_another_owner_label_key_is_read_with_that_key(kubernetes_sandbox_factory, make_cluster, hopsworks_users):
    kube = kubernetes_sandbox_factory(start=SLOT, owner_label_key="hopsworks.user")
    cluster = make_cluster("eu-2", kube, owner_label_key="hopsworks.user")
    (alice,) = hopsworks_users("alice")
    kube.sandbox.pod_add("alice", "alice-a", cpu="1")

    collection_run_execute(cluster=cluster, slot=SLOT)

    assert usage_of(alice)[0] == Decimal("0.25")


def test_a_broken_cluster_is_recorded_failed_with_an_error_a_person_can_act_on(kube, cluster, make_cluster):
    kube.sandbox.faults_set(pods_errors=-1)
    run = collection_run_execute(cluster=cluster, slot=SLOT).run
    assert run.status == CollectionRun.Status.FAILED
    assert "Kubernetes answered 500" in run.error

    no_config = make_cluster("no-config")
    run = collection_run_execute(cluster=no_config, slot=SLOT).run
    assert run.status == "failed" and "no kubeconfig" in run.error

    wrong_token = make_cluster("wrong-token", kubeconfig={**kube.kubeconfig(token="expired-token")})
    run = collection_run_execute(cluster=wrong_token, slot=SLOT).run
    assert "401" in run.error and "token" in run.error and "expired-token" not in run.error


def test_a_slow_cluster_times_out_instead_of_hanging_the_run(kube, cluster, settings):
    settings.KUBERNETES_REQUEST_TIMEOUT = 0.3
    kube.sandbox.faults_set(slow_seconds=1.0)
    run = collection_run_execute(cluster=cluster, slot=SLOT).run
    assert run.status == "failed" and "did not answer" in run.error
    assert run.duration_ms < 1000


def test_the_connection_check_reports_the_version_and_whether_labelled_pods_exist(kube):
    from usage.kubernetes_client import KubernetesError, connection_check

    assert connection_check(kubeconfig=kube.kubeconfig(), owner_label_key="owner") == {
        "version": "v1.31.4-sandbox", "has_pods": False,
    }
    kube.sandbox.pod_add("alice", "alice-a")
    assert connection_check(kubeconfig=kube.kubeconfig(), owner_label_key="owner")["has_pods"] is True
    with pytest.raises(KubernetesError, match="401"):
        connection_check(kubeconfig=kube.kubeconfig(token="wrong"), owner_label_key="owner")
