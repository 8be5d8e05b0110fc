"""`manage.py seed_demo` gives `make run` a demo cluster on the sandboxes, once."""

from django.core.management import call_command

from clusters.demo import seed_demo
from clusters.models import HopsworksCluster


def test_the_demo_cluster_points_at_the_sandboxes_and_seeding_twice_keeps_one(db, settings):
    settings.DEMO_HOPSWORKS_API_KEY = "demo-key-from-env"
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert seed_demo() == "cluster demo-eu-1 already there"

    [cluster] = HopsworksCluster.objects.all()
    assert (cluster.name, cluster.api_url, cluster.max_users, cluster.status) == ("demo-eu-1", "http://127.0.0.1:8103", 50, "active")
    assert cluster.api_key == "demo-key-from-env"
    config = cluster.kubeconfig_dict()
    assert config["clusters"][0]["cluster"]["server"] == settings.DEMO_KUBERNETES_URL == "http://127.0.0.1:8104"
    assert config["users"][0]["user"]["token"] == settings.DEMO_KUBERNETES_TOKEN == "sandbox-token"


def test_a_changed_demo_secret_is_picked_up_on_the_next_seed(db, settings):
    seed_demo()
    settings.DEMO_KUBERNETES_TOKEN = "rotated-token"
    assert seed_demo() == "cluster demo-eu-1 secrets refreshed"
    assert HopsworksCluster.objects.get().kubeconfig_dict()["users"][0]["user"]["token"] == "rotated-token"
