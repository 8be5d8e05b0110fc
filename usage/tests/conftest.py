"""The usage cast: clusters whose Kubernetes API is a sandbox, users with Hopsworks usernames."""

from datetime import datetime, timezone

import pytest
import yaml

from sandbox.kubernetes import kubeconfig_for

SLOT = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def make_cluster(db):
    """make_cluster(name, sandbox=None, **fields): a cluster reading that Kubernetes sandbox."""
    from clusters.services import cluster_create

    def make(name, sandbox=None, *, kubeconfig=None, api_url="http://127.0.0.1:9", api_key="unused", **fields):
        if kubeconfig is None and sandbox is not None:
            kubeconfig = kubeconfig_for(sandbox.url, sandbox.token)
        fields.setdefault("max_users", 100)
        return cluster_create(
            name=name, api_url=api_url, api_key=api_key,
            kubeconfig=yaml.safe_dump(kubeconfig) if kubeconfig else "", **fields,
        )

    return make


@pytest.fixture
def kube(kubernetes_sandbox_factory):
    """A Kubernetes sandbox whose clock sits one minute into SLOT."""
    return kubernetes_sandbox_factory(start=SLOT.replace(minute=1))


@pytest.fixture
def cluster(make_cluster, kube):
    return make_cluster("eu-1", kube)


@pytest.fixture
def hopsworks_users(make_user):
    """make(*usernames): owners with these Hopsworks usernames."""

    def make(*usernames, owner=None):
        return [make_user(f"{u}@example.com", name=u.title(), owner=owner, hopsworks_username=u) for u in usernames]

    return make


@pytest.fixture
def usage_rows(db):
    """usage_rows(user, cluster, days=…, projects=…): bulk usage_daily rows ending today."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from usage.models import UsageDaily

    def make(user, cluster, *, days=1, projects=1, cpu="1.5", gpu="0.25", memory="2", end=None):
        end = end or timezone.now().date()
        rows = [
            UsageDaily(user=user, cluster=cluster, date=end - timedelta(days=d), namespace=f"{user.pk}-project-{p}",
                       cpu_hours=Decimal(cpu), gpu_hours=Decimal(gpu), memory_gb_hours=Decimal(memory))
            for d in range(days) for p in range(projects)
        ]
        UsageDaily.objects.bulk_create(rows)
        return rows

    return make
