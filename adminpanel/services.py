"""Writes done from the panel. Every action is one transaction that also writes one audit entry.

Actions on other apps' data call those apps' services (accounts, clusters, billing, usage); the
panel itself only writes its audit log.
"""

from contextlib import contextmanager
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import services as accounts_services
from accounts.models import User
from billing import services as billing_services
from billing.models import CreditLedgerEntry
from billing.services import CreditError, MeterSyncRefused, PriceError
from clusters import services as clusters_services
from clusters.hopsworks_client import HopsworksError
from clusters.models import UserHopsworksAssignment
from clusters.services import AssignmentError
from usage.slots import slot_start
from usage.tasks import collect_usage_all, collect_usage_cluster

from .connection_checks import connection_test
from .models import AuditEntry
from .selectors.usage import collectable_clusters


class ActionRefused(Exception):
    """An action the panel will not do (e.g. an admin suspending themselves); the message says why,
    `field` (if any) is the form field it belongs beside."""

    def __init__(self, message, *, field=None):
        super().__init__(message)
        self.field = field


def audit_record(*, admin, action, target_type, target_id="", target_label="", before=None, after=None):
    """Write the audit entry of one panel action; call it inside the action's transaction."""
    return AuditEntry.objects.create(
        admin=admin,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        target_label=str(target_label)[:255],
        before=before,
        after=after,
    )


def _user_change(*, admin, user, action, field, change):
    """Lock the user, apply `change` (an accounts service), audit the field before and after."""
    if user.pk == admin.pk:
        # An operator locking themselves out is always a slip; another admin can do it.
        raise ActionRefused("You cannot change your own admin rights or suspend yourself.")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = {field: getattr(locked, field)}
        change(locked)
        audit_record(
            admin=admin, action=action, target_type="user", target_id=locked.pk, target_label=locked.email,
            before=before, after={field: getattr(locked, field)},
        )
    return locked


def user_admin_set(*, admin, user, is_admin):
    """Grant (True) or revoke (False) the operator flag `is_admin` of `user`."""
    action = "user.admin_grant" if is_admin else "user.admin_revoke"
    return _user_change(
        admin=admin, user=user, action=action, field="is_admin",
        change=lambda u: accounts_services.user_admin_set(user=u, is_admin=is_admin),
    )


def user_suspend(*, admin, user):
    """Suspend `user`: accounts' middleware then shows them "account suspended" on every page."""
    return _user_change(
        admin=admin, user=user, action="user.suspend", field="status",
        change=lambda u: accounts_services.user_status_set(user=u, status=User.Status.SUSPENDED),
    )


def user_reactivate(*, admin, user):
    """Lift a suspension of `user`."""
    return _user_change(
        admin=admin, user=user, action="user.reactivate", field="status",
        change=lambda u: accounts_services.user_status_set(user=u, status=User.Status.ACTIVE),
    )


def price_add(*, admin, resource, unit_amount, effective_from):
    """Schedule a new price for `resource` from `effective_from` (a future day) on, through billing."""
    with transaction.atomic(), _refused_on(PriceError):
        price = billing_services.price_add(resource=resource, unit_amount=unit_amount, effective_from=effective_from)
        audit_record(
            admin=admin, action="price.add", target_type="price", target_id=price.pk, target_label=str(price),
            after={"resource": resource, "unit_amount": unit_amount, "effective_from": effective_from},
        )
    return price


@contextmanager
def _refused_on(*errors):
    """Turn another app's "cannot do that" exception into ActionRefused (its message kept)."""
    try:
        yield
    except errors as exc:
        raise ActionRefused(str(exc), field=getattr(exc, "field", None)) from exc


def _assignment_snapshot(user):
    assignment = UserHopsworksAssignment.objects.select_related("cluster").filter(user_id=user.pk).first()
    if assignment is None:
        return {"cluster": None, "state": None}
    return {"cluster": assignment.cluster.name if assignment.cluster else None, "state": assignment.state}


def user_provisioning_retry(*, admin, user):
    """Queue the creation of the user's Hopsworks account again (after it failed)."""
    with transaction.atomic(), _refused_on(AssignmentError):
        before = _assignment_snapshot(user)
        clusters_services.provisioning_retry(user=user)
        audit_record(
            admin=admin, action="user.provisioning_retry", target_type="user", target_id=user.pk,
            target_label=user.email, before=before, after=_assignment_snapshot(user),
        )


def user_hopsworks_username_resync(*, admin, user):
    """Read the user's Hopsworks username again from their cluster (renamed there) and store it."""
    with transaction.atomic(), _refused_on(AssignmentError, HopsworksError):
        old, new = clusters_services.hopsworks_username_resync(user=user)
        audit_record(
            admin=admin, action="user.hopsworks_username_resync", target_type="user", target_id=user.pk,
            target_label=user.email, before={"hopsworks_username": old}, after={"hopsworks_username": new},
        )
    return old, new


def user_cluster_move(*, admin, user, cluster):
    """Move the user to `cluster` (active, with a free seat); their account is created there."""
    with transaction.atomic(), _refused_on(AssignmentError):
        before = _assignment_snapshot(user)
        clusters_services.assignment_move(user=user, cluster=cluster)
        audit_record(
            admin=admin, action="user.cluster_move", target_type="user", target_id=user.pk,
            target_label=user.email, before=before, after=_assignment_snapshot(user),
        )


def _cluster_snapshot(cluster):
    """What the audit keeps of a cluster: its settings, and its secrets only masked."""
    if cluster is None:
        return None
    summary = cluster.kubeconfig_summary()
    return {
        "name": cluster.name, "api_url": cluster.api_url, "region": cluster.region,
        "max_users": cluster.max_users, "status": cluster.status, "owner_label_key": cluster.owner_label_key,
        "api_key": cluster.api_key_masked,
        "kubeconfig": f"{summary['context']} on {summary['server']}" if summary else None,
    }


def cluster_save(*, admin, form):
    """Create or update a cluster from a valid clusters.forms.ClusterForm, audited (secrets masked)."""
    with transaction.atomic(), _refused_on(AssignmentError, ValidationError):
        before = _cluster_snapshot(form.instance)
        cluster = form.save()
        audit_record(
            admin=admin, action="cluster.update" if before else "cluster.create", target_type="cluster",
            target_id=cluster.pk, target_label=cluster.name, before=before, after=_cluster_snapshot(cluster),
        )
    return cluster


def usage_collect_now(*, admin, cluster=None):
    """Queue a collection of the current slot for `cluster` (or every collectable cluster) on
    Celery; the audit entry doubles as the request whose progress the panel shows."""
    slot = slot_start().isoformat()
    if cluster is None:
        clusters = collectable_clusters()
        if not clusters:
            raise ActionRefused("No active cluster has a kubeconfig: there is nothing to collect.")
        send = partial(collect_usage_all.delay, slot)
    else:
        if cluster.status != cluster.Status.ACTIVE or not cluster.has_kubeconfig:
            raise ActionRefused(f"{cluster.name} is not collected: only active clusters with a kubeconfig are.")
        clusters = [(cluster.pk, cluster.name)]
        send = partial(collect_usage_cluster.delay, cluster.pk, slot)
    with transaction.atomic():
        entry = audit_record(
            admin=admin, action="usage.collect_now", target_type="cluster",
            target_id=cluster.pk if cluster else "all", target_label=cluster.name if cluster else "all clusters",
            after={"slot": slot, "clusters": clusters},
        )
        transaction.on_commit(send)
    return entry


def cluster_connection_test(*, admin, cluster):
    """Run both connection checks of `cluster` and keep their outcome in the audit log, where the
    cluster page reads it back."""
    results = connection_test(cluster=cluster)
    with transaction.atomic():
        return audit_record(
            admin=admin, action="cluster.test_connection", target_type="cluster", target_id=cluster.pk,
            target_label=cluster.name, after=results,
        )


def _owner_only(user, what):
    if user.account_owner_id:
        raise ActionRefused(f"{user.email} is a team member: {what} belongs to their account owner.")


def user_billing_mode_change(*, admin, user, mode):
    """Switch an owner between postpaid and prepaid credits."""
    _owner_only(user, "the billing mode")
    with transaction.atomic(), _refused_on(CreditError):
        owner = User.objects.select_for_update().get(pk=user.pk)
        before = {"billing_mode": owner.billing_mode}
        billing_services.billing_mode_set(owner=owner, mode=mode)
        audit_record(
            admin=admin, action="user.billing_mode_change", target_type="user", target_id=owner.pk,
            target_label=owner.email, before=before, after={"billing_mode": mode},
        )
    return owner


def user_credits_grant(*, admin, user, amount, reason, grant_key):
    """Grant `amount` USD of credits to an owner, once per `grant_key`; returns the ledger entry,
    or None when this grant was recorded already (a second submit of the same form)."""
    _owner_only(user, "credit")
    reference = f"admin-grant:{grant_key} {reason}"[:255]
    with transaction.atomic(), _refused_on(CreditError):
        entry = billing_services.credits_add(
            owner=user, amount=amount, reason=CreditLedgerEntry.Reason.GRANT, reference=reference
        )
        if entry is None:
            return None
        # Read after the grant, while credits_add's lock on the billing account is held.
        after = billing_services.credit_balances(owner_ids=[user.pk]).get(user.pk, Decimal("0"))
        before = after - amount
        audit_record(
            admin=admin, action="user.credits_grant", target_type="user", target_id=user.pk, target_label=user.email,
            before={"balance": before}, after={"balance": after, "amount": amount, "reason": reason},
        )
    return entry


def meter_sync_retry(*, admin, sync):
    """Send one unsent owner/day/meter record to Stripe again (billing re-sends it under the same
    identifier, so nothing is billed twice); returns the record with the outcome."""
    with transaction.atomic(), _refused_on(MeterSyncRefused):
        before = {"status": sync.status, "attempts": sync.attempts, "last_error": sync.last_error[:200]}
        record = billing_services.meter_sync_retry(sync=sync)
        audit_record(
            admin=admin, action="stripe_sync.retry", target_type="meter_sync", target_id=record.pk,
            target_label=record.identifier, before=before,
            after={"status": record.status, "attempts": record.attempts, "last_error": record.last_error[:200]},
        )
    return record
