"""The panel's own cast on top of the root conftest: an admin client and the ids URL kwargs need."""

import uuid

import pytest


class CeleryQueue:
    """Where tasks sent from this test process go. The settings namespace is "CELERY": the
    prefixed key is the one app.conf reads first."""

    def __init__(self, app):
        self.app = app
        self.previous = app.conf.task_default_queue
        self.used = []

    def use(self, queue):
        self.app.conf.CELERY_TASK_DEFAULT_QUEUE = queue
        self.used.append(queue)
        assert self.app.conf.task_default_queue == queue

    @property
    def name(self):
        return self.used[-1]

    def restore(self):
        self.app.conf.CELERY_TASK_DEFAULT_QUEUE = self.previous
        with self.app.connection_for_write() as conn:
            conn.default_channel.client.delete(*self.used)


@pytest.fixture(autouse=True)
def celery_queue_of_our_own():
    """Tasks the panel's actions send (provisioning on commit, "collect now") go to a queue of
    this test's own, never to a developer's worker on the shared Redis; dropped afterwards.
    Tests with a real worker point it at the worker's queue."""
    from hopsmanaged.celery import app

    queue = CeleryQueue(app)
    queue.use(f"test-admin-{uuid.uuid4().hex[:10]}")
    yield queue
    queue.restore()


@pytest.fixture
def admin_client_for(client_for, root):
    return client_for(root)


def audit_count(**filters):
    from adminpanel.models import AuditEntry

    return AuditEntry.objects.filter(**filters).count()


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
