"""Writes for clusters: seats on clusters (assignment), the capacity queue, clusters themselves.

Capacity is guarded by row locks, not luck: every change of who sits on a cluster first locks the
user's assignment row, then the cluster row(s) in id order, and counts the seats after the lock,
so concurrent sign-ups never push a cluster over `max_users`.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User

from .hopsworks_client import HopsworksClient
from .models import HopsworksCluster, UserHopsworksAssignment
from .provisioning import hopsworks_user_find

logger = logging.getLogger(__name__)
State = UserHopsworksAssignment.State


class AssignmentError(Exception):
    """An assignment change that cannot be made, with a message for the person who asked."""


# ---------------------------------------------------------------- helpers (private)


def _seats_taken(cluster_ids):
    """{cluster_id: seated users}; run after the cluster rows are locked."""
    rows = (
        UserHopsworksAssignment.objects.filter(cluster_id__in=cluster_ids)
        .values("cluster_id")
        .annotate(n=Count("id"))
    )
    taken = {cid: 0 for cid in cluster_ids}
    taken.update({row["cluster_id"]: row["n"] for row in rows})
    return taken


def _locked_assignment(user):
    assignment, _ = UserHopsworksAssignment.objects.get_or_create(user=user)
    return UserHopsworksAssignment.objects.select_for_update(of=("self",)).select_related("cluster").get(pk=assignment.pk)


def _seat(assignment, cluster):
    assignment.cluster = cluster
    assignment.state = State.PENDING
    assignment.assigned_at = timezone.now()
    assignment.waiting_since = None
    assignment.last_error = ""
    assignment.attempts = 0
    assignment.ready_at = None
    _enqueue_provisioning(assignment)
    assignment.save()
    logger.info("user %s assigned to cluster %s", assignment.user_id, cluster.pk)


def _wait(assignment, state):
    # The queue position is kept while the user keeps waiting for the same thing.
    if assignment.state != state or assignment.waiting_since is None:
        assignment.waiting_since = timezone.now()
    assignment.cluster = None
    assignment.state = state
    assignment.save()
    logger.info("user %s waits (%s)", assignment.user_id, state)


def _enqueue_provisioning(assignment, *, now=None):
    """Send the provisioning task once the caller's transaction commits; the caller saves the
    assignment after this (the attempt time set here tells the stale sweep it was sent)."""
    from .tasks import provision_hopsworks_account

    user_id = assignment.user_id
    assignment.last_attempt_at, assignment.retry_due_by = now or timezone.now(), None
    # After commit, so the worker sees the seat; robust, so a broker hiccup cannot undo the seat
    # (provisioning_stale_requeue, every few minutes, sends it again).
    transaction.on_commit(lambda: provision_hopsworks_account.delay(user_id), robust=True)


def _free_cluster_for_owner():
    """Lock every active cluster (id order: no deadlocks) and pick the least loaded with a free seat."""
    clusters = list(
        HopsworksCluster.objects.select_for_update()
        .filter(status=HopsworksCluster.Status.ACTIVE)
        .order_by("id")
    )
    taken = _seats_taken([c.pk for c in clusters])
    free = [c for c in clusters if taken[c.pk] < c.max_users]
    if not free:
        return None
    # Least loaded by share of seats used, then by fewest users, then oldest cluster.
    return min(free, key=lambda c: (taken[c.pk] / c.max_users, taken[c.pk], c.pk))


def _cluster_has_seat(cluster_id):
    cluster = HopsworksCluster.objects.select_for_update().get(pk=cluster_id)
    if cluster.status != HopsworksCluster.Status.ACTIVE:
        return None
    return cluster if _seats_taken([cluster.pk])[cluster.pk] < cluster.max_users else None


def _owner_cluster_id(member):
    return (
        UserHopsworksAssignment.objects.filter(user_id=member.account_owner_id, cluster__isnull=False)
        .values_list("cluster_id", flat=True)
        .first()
    )


def _try_seat(assignment, user):
    """Seat the user if their rules allow it now; otherwise put them in the right waiting state."""
    if user.is_owner:
        if not user.card_on_file:
            return _wait(assignment, State.WAITING_FOR_CARD)
        cluster = _free_cluster_for_owner()
        return _seat(assignment, cluster) if cluster else _wait(assignment, State.WAITING_FOR_CAPACITY)
    owner_cluster_id = _owner_cluster_id(user)
    if owner_cluster_id is None:
        owner = User.objects.only("card_on_file").get(pk=user.account_owner_id)
        return _wait(assignment, State.WAITING_FOR_CAPACITY if owner.card_on_file else State.WAITING_FOR_CARD)
    cluster = _cluster_has_seat(owner_cluster_id)
    return _seat(assignment, cluster) if cluster else _wait(assignment, State.WAITING_FOR_CAPACITY)


# ---------------------------------------------------------------- assignment


def assignment_request(*, user):
    """Give the user a seat: owners with a card on the least loaded active cluster with room,
    members on their owner's cluster; otherwise they wait (visibly). Idempotent."""
    with transaction.atomic():
        user = User.objects.get(pk=user.pk)
        assignment = _locked_assignment(user)
        if assignment.is_seated:
            return assignment
        _try_seat(assignment, user)
    if user.is_owner and assignment.is_seated:
        waiting_assign(owner=user)
    return assignment


def assignment_release(*, user):
    """Take the user's seat away (they left a team, or were removed); waiting users then get it."""
    with transaction.atomic():
        assignment = (
            UserHopsworksAssignment.objects.select_for_update().filter(user_id=user.pk).first()
        )
        if assignment is None:
            return None
        released_from = assignment.cluster_id
        if released_from:
            HopsworksCluster.objects.select_for_update().filter(pk=released_from).first()
        # Back to the start: a former member who becomes an owner needs a card of their own.
        assignment.cluster = None
        assignment.state = State.WAITING_FOR_CARD
        assignment.waiting_since = None
        assignment.assigned_at = assignment.ready_at = None
        assignment.save()
        logger.info("user %s released seat on cluster %s", user.pk, released_from)
    if released_from:
        waiting_assign()
    return released_from


def assignment_move(*, user, cluster):
    """Move a seated user to another cluster (admin action); their account is created there."""
    with transaction.atomic():
        assignment = _locked_assignment(user)
        if assignment.cluster_id == cluster.pk:
            return assignment
        ids = sorted({cluster.pk, assignment.cluster_id} - {None})
        locked = {c.pk: c for c in HopsworksCluster.objects.select_for_update().filter(pk__in=ids).order_by("id")}
        target = locked[cluster.pk]
        if target.status != HopsworksCluster.Status.ACTIVE:
            raise AssignmentError(f"{target.name} is {target.get_status_display().lower()}: move users only to active clusters.")
        if _seats_taken([target.pk])[target.pk] >= target.max_users:
            raise AssignmentError(f"{target.name} is full ({target.max_users} users).")
        previous = assignment.cluster_id
        _seat(assignment, target)
        logger.info("user %s moved from cluster %s to %s", user.pk, previous, target.pk)
    if previous:
        waiting_assign()
    return assignment


def waiting_assign(*, owner=None):
    """Seat waiting users, oldest first, wherever capacity now allows (a cluster was added or
    enlarged, a seat freed, an owner got seated). Returns the users seated."""
    waiting = UserHopsworksAssignment.objects.filter(state=State.WAITING_FOR_CAPACITY)
    if owner is not None:
        # The owner just got a seat: their members waiting for the owner's card may follow.
        waiting = UserHopsworksAssignment.objects.filter(
            user__account_owner=owner, state__in=UserHopsworksAssignment.WAITING_STATES
        )
    candidates = list(waiting.order_by("waiting_since", "id").values_list("id", flat=True))
    seated, owners_full = [], False
    for assignment_id in candidates:
        with transaction.atomic():
            assignment = (
                UserHopsworksAssignment.objects.select_for_update(skip_locked=True)
                .filter(pk=assignment_id, state__in=UserHopsworksAssignment.WAITING_STATES)
                .first()
            )
            if assignment is None:
                continue
            user = User.objects.get(pk=assignment.user_id)
            if user.is_owner and owners_full:
                continue
            _try_seat(assignment, user)
            if assignment.is_seated:
                seated.append(user)
            elif user.is_owner and assignment.state == State.WAITING_FOR_CAPACITY:
                owners_full = True  # no active cluster has room: younger owners need not look
    for user in seated:
        if user.is_owner:
            waiting_assign(owner=user)
    return seated


def provisioning_retry(*, user):
    """Run the creation of the user's Hopsworks account again (admin action, after a failure)."""
    with transaction.atomic():
        assignment = UserHopsworksAssignment.objects.select_for_update().filter(user_id=user.pk).first()
        if assignment is None or not assignment.is_seated:
            raise AssignmentError("This user has no cluster yet, so there is no account to create.")
        if assignment.state == State.READY:
            raise AssignmentError("This user's Hopsworks account is already ready.")
        assignment.state = State.PENDING
        assignment.attempts = 0
        _enqueue_provisioning(assignment)
        assignment.save(update_fields=["state", "attempts", "last_attempt_at", "retry_due_by", "updated_at"])
    logger.info("provisioning retry requested for user %s", user.pk)
    return assignment


def provisioning_stale_requeue(*, now=None):
    """Send provisioning again for seated users whose Celery message was lost (Redis lost it, a
    worker died before acknowledging it): still pending or provisioning, with no run started or
    sent for PROVISIONING_STALE_MINUTES and no retry due meanwhile. Their attempt time is bumped,
    so later sweeps leave them alone while the new run is on its way; a run that does get two
    messages creates the account once (provisioning adopts what exists, one run per user at a
    time). Returns the ids of the users whose provisioning was sent."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PROVISIONING_STALE_MINUTES)
    with transaction.atomic():
        stale = list(
            UserHopsworksAssignment.objects.select_for_update(skip_locked=True)
            .filter(state__in=(State.PENDING, State.PROVISIONING), last_attempt_at__lt=cutoff)
            .filter(Q(retry_due_by__isnull=True) | Q(retry_due_by__lt=cutoff))
            .order_by("last_attempt_at")
        )
        for assignment in stale:
            _enqueue_provisioning(assignment, now=now)
            assignment.save(update_fields=["last_attempt_at", "retry_due_by", "updated_at"])
            logger.warning("user %s: provisioning (%s, attempt %s) not seen for %s minutes, sent again",
                           assignment.user_id, assignment.state, assignment.attempts, settings.PROVISIONING_STALE_MINUTES)
    return [assignment.user_id for assignment in stale]


def hopsworks_username_resync(*, user):
    """Read the user's Hopsworks username again from their cluster (it was renamed there) and store
    it; returns (old, new). AssignmentError when there is no cluster or no such Hopsworks user;
    HopsworksError when Hopsworks cannot answer."""
    assignment = UserHopsworksAssignment.objects.select_related("cluster", "user").filter(user_id=user.pk).first()
    if assignment is None or assignment.cluster is None:
        raise AssignmentError("This user has no cluster yet, so there is no Hopsworks account to read.")
    user, cluster = assignment.user, assignment.cluster
    found = hopsworks_user_find(HopsworksClient.for_cluster(cluster), user)
    new = (found or {}).get("username") or ""
    if not new:
        raise AssignmentError(
            f"Hopsworks on {cluster.name} has no user for {user.email} (neither by email nor by their "
            "Auth0 subject): retry provisioning to create it."
        )
    with transaction.atomic():
        old = User.objects.select_for_update().values_list("hopsworks_username", flat=True).get(pk=user.pk)
        try:
            with transaction.atomic():
                # accounts owns the user row; this one field is clusters' to write (clusters → accounts).
                User.objects.filter(pk=user.pk).update(hopsworks_username=new)
        except IntegrityError:
            raise AssignmentError(f"Hopsworks username {new!r} already belongs to another user here.") from None
    logger.info("user %s: Hopsworks username re-read on cluster %s (%r -> %r)", user.pk, cluster.pk, old, new)
    return old, new


# ---------------------------------------------------------------- clusters


def cluster_create(*, name, api_url, api_key, kubeconfig="", max_users, status="active", region="", owner_label_key="owner"):
    """Register a cluster (secrets encrypted); waiting users get its seats."""
    cluster = HopsworksCluster(
        name=name, api_url=api_url, max_users=max_users, status=status, region=region,
        owner_label_key=owner_label_key or "owner",
    )
    cluster.api_key = api_key
    cluster.kubeconfig = kubeconfig
    cluster.full_clean()
    cluster.save()
    logger.info("cluster %s (%s) created", cluster.pk, cluster.name)
    transaction.on_commit(waiting_assign)
    return cluster


def cluster_update(*, cluster, api_key=None, kubeconfig=None, **fields):
    """Change a cluster; None secrets are kept. Enlarging it or making it active seats waiting users."""
    with transaction.atomic():
        cluster = HopsworksCluster.objects.select_for_update().get(pk=cluster.pk)
        taken = _seats_taken([cluster.pk])[cluster.pk]
        if "max_users" in fields and fields["max_users"] < taken:
            raise AssignmentError(f"{taken} users are on {cluster.name}: max users cannot be lower than that.")
        for name, value in fields.items():
            setattr(cluster, name, value)
        if api_key is not None:
            cluster.api_key = api_key
        if kubeconfig is not None:
            cluster.kubeconfig = kubeconfig
        cluster.full_clean()
        cluster.save()
        logger.info("cluster %s updated (%s)", cluster.pk, ", ".join(sorted(fields)) or "secrets")
        transaction.on_commit(waiting_assign)
    return cluster


def secrets_rotate():
    """Re-encrypt every cluster secret under the newest key; returns how many clusters changed."""
    from .encryption import SecretUnreadable, secret_reencrypt

    count = 0
    with transaction.atomic():
        for cluster in HopsworksCluster.objects.select_for_update().order_by("id"):
            try:
                cluster.api_key_encrypted = secret_reencrypt(cluster.api_key_encrypted)
                cluster.kubeconfig_encrypted = secret_reencrypt(cluster.kubeconfig_encrypted)
            except SecretUnreadable as exc:
                raise SecretUnreadable(f"Cluster {cluster.name}: {exc}") from exc
            cluster.save(update_fields=["api_key_encrypted", "kubeconfig_encrypted", "updated_at"])
            count += 1
    logger.info("re-encrypted the secrets of %s clusters", count)
    return count
