"""Writes for team membership: joining through an invite, confirming the address, removal by the
owner, leaving.

A member is a user whose `account_owner` is set: their usage lands on the owner's bill and they
sit on the owner's cluster (clusters' `assignment_request` knows that rule).

Joining happens at registration for an address with a pending invite, but Auth0 lets anyone sign up
with any address before verifying it. So the seat (and the Hopsworks account on the owner's cluster)
waits until the address is proven: the member opened the invite's link (its token only reached the
mailbox) while signed in with the address, or Auth0 says the address is verified. The accepted
invite's `confirmed_at` records it; until then the member has no assignment at all.
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
    if user.email_verified:
        _invite_confirm(invite=invite, user=user, how="address verified by Auth0 at registration")
    return invite


def member_confirm(*, user, token_invite=None):
    """Seat a member whose invited address is now proven; idempotent (one seat, one Hopsworks account).

    `token_invite`: the invite whose link the signed-in `user` opened (proof by mailbox); without it
    the proof is Auth0's `email_verified` flag. Either way the user's current address must be the
    invited one. Returns the confirmed invite, or None when there is nothing to confirm (an owner,
    a member without an unconfirmed invite) or no proof.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.account_owner_id is None:
            return None
        invite = (
            TeamInvite.objects.select_for_update()
            .filter(owner_id=user.account_owner_id, accepted_by=user, status=TeamInvite.Status.ACCEPTED)
            .order_by("-accepted_at", "-pk")
            .first()
        )
        if invite is None or invite.confirmed_at is not None or invite.email != user.email.lower():
            return None
        if token_invite is not None and token_invite.pk == invite.pk:
            how = "invitation link opened while signed in"
        elif user.email_verified:
            how = "address verified by Auth0"
        else:
            return None
        _invite_confirm(invite=invite, user=user, how=how)
    return invite


def _invite_confirm(*, invite, user, how):
    invite.confirmed_at = timezone.now()
    invite.save(update_fields=["confirmed_at"])
    logger.info("user %s confirmed %s for invite %s (%s): requesting their seat", user.pk, invite.email, invite.pk, how)
    assignment_request(user=user)


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
