import uuid

import pytest

from clusters.kubeconfigs import kubeconfig_build


@pytest.fixture
def make_cluster(db):
    from clusters.models import HopsworksCluster

    def make(name, *, max_users=20, status="active", api_url="http://127.0.0.1:1", api_key="key-for-tests-0000", region="eu"):
        cluster = HopsworksCluster(name=name, api_url=api_url, max_users=max_users, status=status, region=region)
        cluster.api_key = api_key
        cluster.kubeconfig = kubeconfig_build(server="https://k8s.example.com:6443", token="token-for-tests-9876")
        cluster.save()
        return cluster

    return make


@pytest.fixture
def make_owner(make_user):
    """An account owner; with a card on file unless told otherwise."""
    counter = {"n": 0}

    def make(*, card=True, name=""):
        counter["n"] += 1
        return make_user(f"owner{counter['n']}-{uuid.uuid4().hex[:6]}@example.com", name=name or f"Owner {counter['n']}", card_on_file=card)

    return make
