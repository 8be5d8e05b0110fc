"""The demo cluster `make run` shows: "demo-eu-1" on the Hopsworks and Kubernetes sandboxes."""

from django.conf import settings

from .kubeconfigs import kubeconfig_build
from .models import HopsworksCluster
from .services import cluster_create, cluster_update

DEMO_CLUSTER = "demo-eu-1"


def seed_demo():
    """Create or refresh the demo cluster (idempotent); its secrets come from the DEMO_* settings."""
    fields = {
        "api_url": settings.DEMO_HOPSWORKS_URL, "max_users": 50, "region": "eu-demo",
        "status": HopsworksCluster.Status.ACTIVE, "owner_label_key": "owner",
    }
    secrets = {
        "api_key": settings.DEMO_HOPSWORKS_API_KEY,
        "kubeconfig": kubeconfig_build(server=settings.DEMO_KUBERNETES_URL, token=settings.DEMO_KUBERNETES_TOKEN, name="demo-eu-1"),
    }
    cluster = HopsworksCluster.objects.filter(name=DEMO_CLUSTER).first()
    if cluster is None:
        cluster_create(name=DEMO_CLUSTER, **fields, **secrets)
        return f"cluster {DEMO_CLUSTER} created"
    if cluster.api_key != secrets["api_key"] or cluster.kubeconfig != secrets["kubeconfig"]:
        cluster_update(cluster=cluster, **secrets)
        return f"cluster {DEMO_CLUSTER} secrets refreshed"
    return f"cluster {DEMO_CLUSTER} already there"
