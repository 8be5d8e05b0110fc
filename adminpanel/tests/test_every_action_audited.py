"""Acceptance 3: every state-changing panel URL, posted with valid input, writes exactly one audit
entry naming the action. The table must cover every action URL the resolver knows, so a new
action without an audit entry (or without a line here) fails."""

import uuid
from datetime import timedelta

import pytest
import yaml
from django.urls import reverse
from django.utils import timezone

from adminpanel.models import AuditEntry
from adminpanel.tests.test_access import READ_ONLY, admin_url_names
from clusters.kubeconfigs import kubeconfig_build


def _kubeconfig():
    return kubeconfig_build(server="http://127.0.0.1:9", token="t")


ACTIONS = {
    # url name: (expected action, what the test needs, POST data)
    "user_grant_admin": ("user.admin_grant", "alice", {}),
    "user_revoke_admin": ("user.admin_revoke", "admin_alice", {}),
    "user_suspend": ("user.suspend", "alice", {}),
    "user_reactivate": ("user.reactivate", "suspended_alice", {}),
    "user_retry_provisioning": ("user.provisioning_retry", "failed_alice", {}),
    "user_move": ("user.cluster_move", "seated_alice", {"cluster": "other_cluster"}),
    "user_resync_username": ("user.hopsworks_username_resync", "hopsworks_alice", {}),
    "user_billing_mode": ("user.billing_mode_change", "alice", {"billing_mode": "prepaid"}),
    "user_credits": ("user.credits_grant", "alice", {"amount": "5", "reason": "goodwill", "grant_key": "uuid"}),
    "price_add": ("price.add", None, {"resource": "cpu_hour", "unit_amount": "0.2", "effective_from": "tomorrow"}),
    "cluster_add": ("cluster.create", None, {"name": "new", "api_url": "https://n.example", "api_key": "k" * 12,
                                              "max_users": "3", "status": "active", "owner_label_key": "owner",
                                              "kubeconfig_text": "kubeconfig"}),
    "cluster_edit": ("cluster.update", "cluster", {"name": "c1", "api_url": "https://c1.example", "max_users": "9",
                                                   "status": "active", "owner_label_key": "owner"}),
    "cluster_test": ("cluster.test_connection", "cluster", {}),
    "collect_now": ("usage.collect_now", None, {"cluster": "cluster"}),
    "sync_retry": ("stripe_sync.retry", "failed_sync", {}),
}


def test_the_table_covers_every_action_url():
    actions = set(admin_url_names()) - READ_ONLY
    assert actions == set(ACTIONS), "every action URL needs a line in ACTIONS (and an audit entry)"


@pytest.fixture
def world(alice, make_cluster, seat, request):
    """The objects the actions act on, by the names used in ACTIONS."""
    from billing.models import MeterEventSync

    cluster = make_cluster("c1")
    cluster.kubeconfig = _kubeconfig()
    cluster.save()
    other = make_cluster("c2")
    objects = {"cluster": cluster, "other_cluster": other}

    def prepare(need):
        if need in ("alice", None):
            return {"user_id": alice.pk} if need else {}
        if need == "admin_alice":
            type(alice).objects.filter(pk=alice.pk).update(is_admin=True)
        if need == "suspended_alice":
            type(alice).objects.filter(pk=alice.pk).update(status="suspended")
        if need == "failed_alice":
            seat(alice, cluster, "failed", last_error="boom")
        if need == "seated_alice":
            seat(alice, cluster, "ready")
        if need == "hopsworks_alice":  # seated on the Hopsworks sandbox, which knows her
            sandbox = request.getfixturevalue("hopsworks_sandbox")
            sandbox.store.user_create(email=alice.email, given_name="Alice", surname="Owner", subject=alice.auth0_sub,
                                      client_id="any-client", max_num_projects=5)
            seat(alice, request.getfixturevalue("hopsworks_cluster"), "ready")
        if need == "cluster":
            return {"cluster_id": cluster.pk}
        if need == "failed_sync":
            sync = MeterEventSync.objects.create(owner=alice, day=timezone.now().date() - timedelta(days=1),
                                                 meter="cpu_hours", value=1, identifier="i1", status="failed")
            return {"sync_id": sync.pk}
        return {"user_id": alice.pk}

    return prepare, objects


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_each_action_writes_exactly_one_audit_entry(name, world, admin_client_for, root):
    action, need, data = ACTIONS[name]
    prepare, objects = world
    kwargs = prepare(need)
    special = {"tomorrow": (timezone.now().date() + timedelta(days=1)).isoformat(), "uuid": str(uuid.uuid4()),
               "kubeconfig": yaml.safe_dump(yaml.safe_load(_kubeconfig()))}
    payload = {k: (objects[v].pk if v in objects else special.get(v, v)) for k, v in data.items()}

    response = admin_client_for.post(reverse(f"adminpanel:{name}", kwargs=kwargs), payload)

    assert response.status_code == 302, getattr(response, "context", None) and response.context.get("form").errors
    entries = list(AuditEntry.objects.all())
    assert len(entries) == 1, [e.action for e in entries]
    assert entries[0].action == action and entries[0].admin == root
