"""The service that creates a seated user's OAuth account on their Hopsworks cluster.

Hopsworks' create call is not idempotent (a second POST for the same email is an error), so a
retry first looks the user up and adopts what is there; the numeric id needed to set the project
limit comes from the user list (the create answer has none). One run per user at a time (a
PostgreSQL advisory lock, released with the connection if a worker dies): a resent message, a
redelivery or an admin retry arriving while a run is at work waits for it instead of racing it.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from hopsmanaged.advisory_locks import advisory_lock_try

from .hopsworks_client import HopsworksClient, HopsworksError, HopsworksRejected, HopsworksUnavailable
from .models import UserHopsworksAssignment

logger = logging.getLogger(__name__)
State = UserHopsworksAssignment.State
LOCK_CLASS = 4_711_101  # pg advisory lock (class, user id): one provisioning run per user


class ProvisioningInFlight(Exception):
    """Another run is creating this user's account right now; try again later."""


def _names(user):
    parts = (user.name or "").strip().split(None, 1)
    given = parts[0] if parts else user.email.split("@", 1)[0]
    surname = parts[1] if len(parts) > 1 else "-"
    return given, surname


def _start(user_id):
    """Mark the attempt; returns the assignment, or None when there is nothing to do."""
    with transaction.atomic():
        assignment = (
            UserHopsworksAssignment.objects.select_for_update(of=("self",)).select_related("cluster", "user")
            .filter(user_id=user_id).first()
        )
        if assignment is None or assignment.state not in (State.PENDING, State.PROVISIONING):
            return None
        assignment.state = State.PROVISIONING
        assignment.attempts += 1
        assignment.last_attempt_at, assignment.retry_due_by = timezone.now(), None
        assignment.save(update_fields=["state", "attempts", "last_attempt_at", "retry_due_by", "updated_at"])
    return assignment


def _finish(assignment, **changes):
    """Write the outcome, unless the user was moved or released meanwhile."""
    updated = UserHopsworksAssignment.objects.filter(
        pk=assignment.pk, cluster_id=assignment.cluster_id, state=State.PROVISIONING
    ).update(updated_at=timezone.now(), **changes)
    return bool(updated)


def hopsworks_user_find(client, user):
    """The Hopsworks user item of this person: by email, or by their OAuth uuid (clientId.sub) when
    the email changed at Auth0 since the account was made. None if there is none (provisioning
    adopts it; the admin username re-sync reads it)."""
    found = client.user_find_by_email(user.email)
    if found:
        return found
    by_uuid = client.user_by_uuid(client_id=settings.AUTH0_CLIENT_ID, subject=user.auth0_sub)
    if by_uuid and by_uuid.get("email") and by_uuid["email"].lower() != user.email.lower():
        return client.user_find_by_email(by_uuid["email"])
    return None


def _ensure_account(client, user, *, look_up_first):
    """The Hopsworks user item (with numeric id) for this user, created if absent."""
    if look_up_first:
        found = hopsworks_user_find(client, user)
        if found:
            logger.info("user %s: adopting existing Hopsworks user %s", user.pk, found.get("id"))
            return found
    given, surname = _names(user)
    max_projects = settings.HOPSWORKS_OWNER_MAX_PROJECTS if user.is_owner else 0
    try:
        created = client.user_create(
            email=user.email, given_name=given, surname=surname, subject=user.auth0_sub,
            client_id=settings.AUTH0_CLIENT_ID, max_num_projects=max_projects,
        )
    except HopsworksRejected as exc:
        # A duplicate (an earlier attempt got through, its answer did not): adopt it if it is there.
        found = hopsworks_user_find(client, user)
        if found:
            logger.info("user %s: create refused (%s), adopting existing Hopsworks user", user.pk, exc.status)
            return found
        raise
    found = client.user_find_by_email(user.email)
    if not found:
        raise HopsworksUnavailable(
            f"Hopsworks created {created.get('username') or 'the user'} but does not list it yet."
        )
    return found


def hopsworks_account_provision(*, user_id, final_attempt=False, retry_within=None):
    """Create (or adopt) the user's Hopsworks account, set their project limit, store the username.

    Raises HopsworksUnavailable when a retry may help and this is not the final attempt (the
    Celery task retries with backoff, within `retry_within` seconds: recorded so the stale sweep
    waits for it); otherwise the assignment ends "failed" with the error. Raises
    ProvisioningInFlight when another run for this user is at work (the final attempt leaves
    the outcome to that run instead).
    """
    with advisory_lock_try(LOCK_CLASS, user_id) as held:
        if not held:
            logger.info("user %s: another provisioning run is at work", user_id)
            if final_attempt:
                return None
            raise ProvisioningInFlight(f"Another run is creating the Hopsworks account of user {user_id}.")
        return _provision(user_id, final_attempt=final_attempt, retry_within=retry_within)


def _provision(user_id, *, final_attempt, retry_within):
    assignment = _start(user_id)
    if assignment is None:
        return None
    user, cluster = assignment.user, assignment.cluster
    max_projects = settings.HOPSWORKS_OWNER_MAX_PROJECTS if user.is_owner else 0
    try:
        client = HopsworksClient.for_cluster(cluster)
        account = _ensure_account(client, user, look_up_first=assignment.attempts > 1)
        client.user_update(account["id"], maxNumProjects=max_projects)
    except HopsworksError as exc:
        retry = isinstance(exc, HopsworksUnavailable) and not final_attempt
        due = timezone.now() + timedelta(seconds=retry_within) if retry and retry_within is not None else None
        _finish(assignment, state=State.PROVISIONING if retry else State.FAILED, last_error=str(exc), retry_due_by=due)
        logger.warning(
            "user %s: Hopsworks account on cluster %s failed (attempt %s, %s): %s",
            user.pk, cluster.pk, assignment.attempts, "will retry" if retry else "giving up", exc,
        )
        if retry:
            raise
        return assignment
    username = account.get("username") or ""
    try:
        with transaction.atomic():
            if not _finish(assignment, state=State.READY, last_error="", ready_at=timezone.now()):
                return None
            # accounts owns the user row; this one field is clusters' to write (clusters → accounts).
            User.objects.filter(pk=user.pk).update(hopsworks_username=username)
    except IntegrityError:
        _finish(assignment, state=State.FAILED, last_error=(
            f"Hopsworks username {username!r} already belongs to another user here; "
            "move this user to another cluster or rename the Hopsworks account."
        ))
        logger.warning("user %s: Hopsworks username on cluster %s is taken by another user", user.pk, cluster.pk)
        return assignment
    logger.info("user %s: Hopsworks account %s ready on cluster %s", user.pk, username, cluster.pk)
    return username
