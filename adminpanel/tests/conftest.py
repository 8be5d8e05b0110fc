"""The panel's own cast on top of the root conftest: an admin's client, clusters, seats."""

import pytest


@pytest.fixture
def admin_client_for(client_for, root):
    return client_for(root)


@pytest.fixture
def make_cluster(db):
    from clusters.models import HopsworksCluster

    def make(name="c1", *, max_users=10, status="active", api_url="http://127.0.0.1:9/", **extra):
        cluster = HopsworksCluster(name=name, api_url=api_url, max_users=max_users, status=status, **extra)
        cluster.api_key = "hw-secret-api-key-0001"
        cluster.save()
        return cluster

    return make


@pytest.fixture
def seat(db):
    """seat(user, cluster, state): put a user on a cluster in a given provisioning state."""
    from clusters.models import UserHopsworksAssignment

    def put(user, cluster, state="ready", **extra):
        waiting = state in UserHopsworksAssignment.WAITING_STATES
        assignment, _ = UserHopsworksAssignment.objects.update_or_create(
            user=user, defaults={"cluster": None if waiting else cluster, "state": state, **extra}
        )
        return assignment

    return put
