""""Test connection": the Hopsworks API with the stored key and Kubernetes through the kubeconfig,
each with its timing and an error a person can act on — against the sandboxes, over the wire."""

import yaml
from django.urls import reverse

from adminpanel.models import AuditEntry
from clusters.kubeconfigs import kubeconfig_build
from clusters.models import HopsworksCluster


def sandbox_cluster(hopsworks_sandbox, kubernetes_sandbox, *, api_key=None, kubeconfig=None):
    cluster = HopsworksCluster(name="sandbox", api_url=hopsworks_sandbox.url, max_users=5)
    cluster.api_key = api_key or hopsworks_sandbox.api_key
    cluster.kubeconfig = kubeconfig if kubeconfig is not None else yaml.safe_dump(kubernetes_sandbox.kubeconfig())
    cluster.save()
    return cluster


def run_test(client, cluster):
    response = client.post(reverse("adminpanel:cluster_test", args=[cluster.pk]), follow=True)
    assert response.status_code == 200
    return response.context["check"].after, response.content.decode()


def test_both_checks_pass_against_the_sandboxes_with_timings(admin_client_for, root, hopsworks_sandbox, kubernetes_sandbox):
    cluster = sandbox_cluster(hopsworks_sandbox, kubernetes_sandbox)
    kubernetes_sandbox.sandbox.workload_add("alice01", projects=1, pods=1, jobs=0)

    results, body = run_test(admin_client_for, cluster)

    assert results["hopsworks"]["ok"] and results["kubernetes"]["ok"]
    assert "version" in results["hopsworks"]["detail"]
    assert "v1.31" in results["kubernetes"]["detail"] and "at least one pod" in results["kubernetes"]["detail"]
    assert all(isinstance(results[k]["ms"], int) for k in ("hopsworks", "kubernetes"))
    assert body.count('class="check-ok"') == 2 and " ms" in body
    entry = AuditEntry.objects.get()
    assert (entry.admin, entry.action, entry.target_id) == (root, "cluster.test_connection", str(cluster.pk))


def test_wrong_api_key_and_wrong_token_fail_with_their_reasons(admin_client_for, hopsworks_sandbox, kubernetes_sandbox):
    cluster = sandbox_cluster(
        hopsworks_sandbox, kubernetes_sandbox, api_key="not-the-key-1234",
        kubeconfig=yaml.safe_dump(kubernetes_sandbox.kubeconfig(token="wrong-token-5678")),
    )
    results, body = run_test(admin_client_for, cluster)
    assert not results["hopsworks"]["ok"] and "401" in results["hopsworks"]["error"]
    assert "API key" in results["hopsworks"]["error"]
    assert not results["kubernetes"]["ok"] and "401" in results["kubernetes"]["error"]
    assert results["kubernetes"]["error"].startswith("Kubernetes answered 401 to the pod list: ")
    assert "credentials" in results["kubernetes"]["error"]
    assert body.count('class="check-failed"') == 2
    assert "not-the-key-1234" not in body and "wrong-token-5678" not in body
    assert "not-the-key-1234" not in str(results) and "wrong-token-5678" not in str(results)


def test_unreachable_apis_and_a_missing_kubeconfig_are_reported(admin_client_for, make_cluster):
    cluster = make_cluster("down", api_url="http://127.0.0.1:9/")
    results, _ = run_test(admin_client_for, cluster)
    assert not results["hopsworks"]["ok"] and "cannot be reached" in results["hopsworks"]["error"]
    assert not results["kubernetes"]["ok"] and "no kubeconfig" in results["kubernetes"]["error"]

    cluster.kubeconfig = kubeconfig_build(server="http://127.0.0.1:9", token="t")
    cluster.save()
    results, _ = run_test(admin_client_for, cluster)
    assert "cannot be reached" in results["kubernetes"]["error"]
    assert AuditEntry.objects.filter(action="cluster.test_connection").count() == 2


def test_slow_kubernetes_fails_within_the_timeout(admin_client_for, settings, hopsworks_sandbox, kubernetes_sandbox):
    settings.KUBERNETES_REQUEST_TIMEOUT = 0.5
    kubernetes_sandbox.sandbox.faults_set(slow_seconds=2)
    results, _ = run_test(admin_client_for, sandbox_cluster(hopsworks_sandbox, kubernetes_sandbox))
    assert not results["kubernetes"]["ok"] and "did not answer" in results["kubernetes"]["error"]
    assert results["kubernetes"]["ms"] < 1900


def test_a_check_id_of_another_cluster_shows_nothing(admin_client_for, make_cluster):
    first, second = make_cluster("one"), make_cluster("two")
    admin_client_for.post(reverse("adminpanel:cluster_test", args=[first.pk]))
    entry = AuditEntry.objects.get()
    page = admin_client_for.get(reverse("adminpanel:cluster_detail", args=[second.pk]), {"check": entry.pk})
    assert page.context["check"] is None
