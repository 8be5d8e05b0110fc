"""What other apps read through clusters.hopsworks_client: project owners by namespace, the health check."""

import pytest

from clusters.hopsworks_client import HopsworksRejected, HopsworksUnavailable, cluster_version, project_creators


def test_project_creators_maps_every_namespace_to_its_creator_across_pages(hopsworks_sandbox, hopsworks_cluster):
    store = hopsworks_sandbox.store
    ada = store.user_create(email="ada@example.com", given_name="Ada", surname="L")
    store.project_create(owner=ada, name="Fraud_Detection")
    grace = store.user_create(email="grace@example.com", given_name="Grace", surname="H")
    creators = project_creators(cluster=hopsworks_cluster, page_size=2)

    assert creators == {
        "ada000-demo": {"username": "ada000", "email": "ada@example.com", "project": "ada000_demo"},
        "fraud-detection": {"username": "ada000", "email": "ada@example.com", "project": "Fraud_Detection"},
        "grace000-demo": {"username": grace["username"], "email": "grace@example.com", "project": "grace000_demo"},
    }
    assert len([r for r in store.snapshot()["requests"] if r["path"] == "/admin/projects"]) == 2


def test_the_connection_check_reports_a_wrong_key_and_an_unreachable_cluster(hopsworks_sandbox, hopsworks_cluster):
    assert {"software": "hopsworks", "version": "4.6.0"} in cluster_version(cluster=hopsworks_cluster)
    hopsworks_cluster.api_key = "wrong-key-000000000"
    with pytest.raises(HopsworksRejected, match="401.*API key"):
        cluster_version(cluster=hopsworks_cluster)
    hopsworks_cluster.api_url = "http://127.0.0.1:9"
    with pytest.raises(HopsworksUnavailable, match="cannot be reached"):
        cluster_version(cluster=hopsworks_cluster)
