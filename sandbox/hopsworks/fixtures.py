"""pytest fixtures: the Hopsworks sandbox on a free port, and a cluster row pointing at it."""

import pytest

from sandbox.serving import start_in_thread

from .server import create_app

SANDBOX_API_KEY = "hw-sandbox-admin-key-0123456789abcdef"


@pytest.fixture
def hopsworks_sandbox():
    """A running Hopsworks sandbox; `.app.hopsworks` is its state, `.url` its base URL."""
    server = start_in_thread(create_app(api_key=SANDBOX_API_KEY))
    server.api_key = SANDBOX_API_KEY
    server.store = server.app.hopsworks
    yield server
    server.stop()


@pytest.fixture
def hopsworks_cluster(db, hopsworks_sandbox):
    """An active cluster (20 seats) whose API is the sandbox, with a valid kubeconfig."""
    from clusters.kubeconfigs import kubeconfig_build
    from clusters.models import HopsworksCluster

    cluster = HopsworksCluster(name="sandbox-eu-1", api_url=hopsworks_sandbox.url, max_users=20, region="eu-north-1")
    cluster.api_key = SANDBOX_API_KEY
    cluster.kubeconfig = kubeconfig_build(server="http://127.0.0.1:1", token="sandbox-token")
    cluster.save()
    return cluster
