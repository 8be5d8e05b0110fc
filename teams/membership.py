"""Writes for team membership: joining through an invite, removal by the owner, leaving.

A member is a user whose `account_owner` is set: their usage lands on the owner's bill and they
sit on the owner's cluster (clusters' `assignment_request` knows that rule).
"""

import logging

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.signals import account_owner_created
from clusters.services import assignment_release, assignment_request

from .models import TeamDeparture, TeamInvite

logger = logging.getLogger(__name__)


class MembershipRefused(Exception):
    """A membership change that cannot be made, with a message for the person who asked."""


def member_join_on_registration(*, user):
    """A brand-new user whose address has a usable pending invite joins that team (newest invite).

    Called from `accounts.signals.user_registered`, inside the creating transaction, before
    accounts decides whether to announce a new account owner. Returns the invite used, or None.
    """
    if not user.email or user.account_owner_id is not None:
        return None
    invite = (
        TeamInvite.objects.select_for_update(of=("self",))
        .select_related("owner")
        .filter(email=user.email.lower(), status=TeamInvite.Status.PENDING, expires_at__gt=timezone.now())
        .filter(owner__account_owner__isnull=True)
        .order_by("-sent_at", "-pk")
        .first()
    )
    if invite is None:
        return None
    now = timezone.now()
    user.account_owner = invite.owner
    user.save(update_fields=["account_owner", "updated_at"])
    invite.status = TeamInvite.Status.ACCEPTED
    invite.accepted_at = now
    invite.accepted_by = user
    invite.save(update_fields=["status", "accepted_at", "accepted_by"])
    logger.info("user %s joined the team of %s through invite %s", user.pk, invite.owner_id, invite.pk)
    assignment_request(user=user)
    return invite


def member_remove(*, owner, member_id):
    """The owner removes a member: the member loses their seat and is told on their next visit."""
    member = User.objects.filter(pk=member_id, account_owner=owner).first()
    if member is None:
        raise MembershipRefused("That person is not a member of your team.")
    return _membership_end(member=member, reason=TeamDeparture.Reason.REMOVED)


def member_leave(*, user):
    """A member leaves their owner's team: they lose their seat on the owner's cluster."""
    if user.account_owner_id is None:
        raise MembershipRefused("You are not a member of a team.")
    return _membership_end(member=user, reason=TeamDeparture.Reason.LEFT)


def departure_notice_take(*, user):
    """The unseen 'you were removed from a team' notice for `user`, marked seen; None if there is none."""
    departure = (
        TeamDeparture.objects.select_related("owner")
        .filter(user=user, reason=TeamDeparture.Reason.REMOVED, notified_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
    if departure is None:
        return None
    # Two tabs at once: only the request that marks it seen shows it.
    taken = TeamDeparture.objects.filter(user=user, notified_at__isnull=True).update(notified_at=timezone.now())
    return departure if taken else None


def _membership_end(*, member, reason):
    with transaction.atomic():
        member = User.objects.select_for_update().get(pk=member.pk)
        owner_id = member.account_owner_id
        if owner_id is None:
            raise MembershipRefused("That person is not a member of a team any more.")
        assignment_release(user=member)
        member.account_owner = None
        member.save(update_fields=["account_owner", "updated_at"])
        departure = TeamDeparture.objects.create(
            user=member,
            owner_id=owner_id,
            reason=reason,
            joined_at=_joined_at(member_id=member.pk, owner_id=owner_id),
            notified_at=timezone.now() if reason == TeamDeparture.Reason.LEFT else None,
        )
        # A former member pays for themselves from now on: announced like any new account owner
        # (billing creates their Stripe customer; clusters waits for their card).
        account_owner_created.send(sender=User, user=member)
    logger.info("user %s %s the team of %s", member.pk, "left" if reason == "left" else "was removed from", owner_id)
    return departure


def _joined_at(*, member_id, owner_id):
    return (
        TeamInvite.objects.filter(accepted_by_id=member_id, owner_id=owner_id, status=TeamInvite.Status.ACCEPTED)
        .order_by("-accepted_at")
        .values_list("accepted_at", flat=True)
        .first()
    )
