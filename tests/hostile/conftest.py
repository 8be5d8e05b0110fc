"""The hostile-input cast: alice's account filled with things only she (and her admin) may see.

Alice owns a Stripe customer (the Stripe sandbox), a ready seat on a cluster, usage in a project
namespace, prepaid credits and a pending invitation; bob (her member) has usage of his own;
charlie (another owner) and root (an admin) come from the root conftest.
"""

import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from .fingerprint import database_fingerprint, tables_changed

# Strings that identify alice's account; which of them a role must never see is in the tests.
ALICE_NAMESPACE = "alice-secret-forecasting"
BOB_NAMESPACE = "bob-notebook-sandbox"
INVITEE = "ada.invitee@example.com"
ALICE_HOPSWORKS = "alice_hw_91x"
ALICE_CREDITS = Decimal("4242.17")


@dataclass
class World:
    alice: object
    bob: object
    charlie: object
    root: object
    cluster: object
    invite: object
    token: str
    run: object
    collect_request: object
    path_args: dict = field(default_factory=dict)


@pytest.fixture(autouse=True)
def caches_of_our_own(settings):
    """Rate-limit counters in the shared Redis get keys of this test's own (tasks already go to a
    queue of the test's own: the root conftest's `celery_queue`)."""
    caches = {name: dict(conf) for name, conf in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-hostile-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture
def world(alice, bob, charlie, root, stripe_sandbox):
    """Alice's account with an object behind every kind of id a URL takes."""
    from adminpanel.services import audit_record
    from billing.customers import stripe_customer_ensure
    from billing.models import CreditLedgerEntry, Meter, MeterEventSync
    from billing.services import credits_add
    from clusters.kubeconfigs import kubeconfig_build
    from clusters.models import HopsworksCluster, UserHopsworksAssignment
    from teams.models import TeamInvite
    from teams.tokens import invite_token_new
    from usage.models import CollectionRun, UsageDaily

    cluster = HopsworksCluster(name="hostile-eu-1", api_url="http://127.0.0.1:9/hopsworks-api/api", max_users=10)
    cluster.api_key = "hw-hostile-api-key-000000000001"
    cluster.kubeconfig = kubeconfig_build(server="http://127.0.0.1:9", token="hostile-kube-token-0001")
    cluster.save()
    type(alice).objects.filter(pk=alice.pk).update(card_on_file=True, hopsworks_username=ALICE_HOPSWORKS)
    alice = stripe_customer_ensure(owner=alice)
    for user in (alice, bob):
        UserHopsworksAssignment.objects.create(user=user, cluster=cluster, state="ready")
    today = timezone.now().date()
    for user, namespace in ((alice, ALICE_NAMESPACE), (bob, BOB_NAMESPACE)):
        UsageDaily.objects.create(user=user, cluster=cluster, date=today, namespace=namespace,
                                  cpu_hours=Decimal("12.5"), gpu_hours=Decimal("1.25"), memory_gb_hours=Decimal("40"))
    credits_add(owner=alice, amount=ALICE_CREDITS, reason=CreditLedgerEntry.Reason.GRANT, reference="hostile-grant")
    token, token_hash = invite_token_new()
    invite = TeamInvite.objects.create(owner=alice, email=INVITEE, token_hash=token_hash,
                                       expires_at=timezone.now() + timedelta(days=7))
    now = timezone.now()
    run = CollectionRun.objects.create(cluster=cluster, slot_start=now, status="failed", started_at=now,
                                       finished_at=now, error="hostile: cluster unreachable")
    collect_request = audit_record(admin=root, action="usage.collect_now", target_type="cluster",
                                   target_id=cluster.pk, after={"slot": now.isoformat(),
                                                                "clusters": [[cluster.pk, cluster.name]]})
    sync = MeterEventSync.objects.create(owner=alice, day=today - timedelta(days=1), meter=Meter.values[0],
                                         value=Decimal("12.5"), identifier=f"hostile-{alice.pk}", status="failed",
                                         last_error="Stripe answered 500")
    alice.refresh_from_db()
    world = World(alice=alice, bob=bob, charlie=charlie, root=root, cluster=cluster, invite=invite, token=token,
                  run=run, collect_request=collect_request)
    world.path_args = {
        "provider_id": "auth0", "invite_id": invite.pk, "member_id": bob.pk, "token": token,
        "user_id": alice.pk, "cluster_id": cluster.pk, "run_id": run.pk, "request_id": collect_request.pk,
        "sync_id": sync.pk,
    }
    return world


@pytest.fixture
def unchanged(db):
    """`with unchanged(): ...` fails if any table's rows differ afterwards (sessions aside)."""

    @contextmanager
    def check(what="the request"):
        before = database_fingerprint()
        yield
        assert tables_changed(before, database_fingerprint()) == [], f"{what} changed the database"

    return check
