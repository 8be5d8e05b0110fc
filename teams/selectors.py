"""Reads for the team pages and the invitation link."""

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import User
from usage.selectors import usage_for_month

from .models import TeamInvite
from .tokens import invite_token_hash


class Outcome:
    """What opening an invitation link means for the person who opened it."""

    SIGN_IN = "sign_in"  # anonymous: show the invitation and the way to sign in
    JOINED = "joined"  # this person is in the team through this invitation
    CONFIRM = "confirm"  # they joined at registration; opening the link now proves the address
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    USED = "used"
    EXPIRED = "expired"
    WRONG_ADDRESS = "wrong_address"
    OTHER_TEAM = "other_team"
    OWN_ACCOUNT = "own_account"


def invite_by_token(token):
    """The invite a link's token belongs to (owner loaded), or None."""
    if not token or len(token) > 200:
        return None
    return TeamInvite.objects.select_related("owner", "accepted_by").filter(token_hash=invite_token_hash(token)).first()


def invite_outcome(*, invite, user):
    """Decide, without changing anything, what the link means for `user` (maybe anonymous)."""
    signed_in = user is not None and user.is_authenticated
    if invite is None:
        return Outcome.UNKNOWN
    if invite.status == TeamInvite.Status.ACCEPTED and invite.confirmed_at is None:
        # Joined at registration with an unproven address: the link (only the mailbox has it) and
        # a sign-in as that member with the invited address prove it.
        if not signed_in:
            return Outcome.SIGN_IN
        if invite.accepted_by_id != user.pk or user.account_owner_id != invite.owner_id:
            return Outcome.USED  # someone else, or a member who has left (or was removed) since
        return Outcome.CONFIRM if user.email.lower() == invite.email else Outcome.WRONG_ADDRESS
    if invite.status == TeamInvite.Status.ACCEPTED:
        return Outcome.JOINED if signed_in and invite.accepted_by_id == user.pk else Outcome.USED
    if invite.status == TeamInvite.Status.REVOKED:
        return Outcome.REVOKED
    if invite.is_expired:
        return Outcome.EXPIRED
    if not signed_in:
        return Outcome.SIGN_IN
    if user.email.lower() != invite.email:
        return Outcome.WRONG_ADDRESS
    if user.account_owner_id == invite.owner_id:
        return Outcome.JOINED
    if user.account_owner_id is not None:
        return Outcome.OTHER_TEAM
    return Outcome.OWN_ACCOUNT


def invites_pending(*, owner):
    """The owner's invites not yet accepted or revoked (expired ones included, flagged), newest first."""
    return list(TeamInvite.objects.filter(owner=owner, status=TeamInvite.Status.PENDING).order_by("-sent_at", "-pk"))


def members_of(*, owner):
    """The owner's team members with `joined_at` (when their invite was accepted) and
    `address_confirmed` (False while the invited address is unproven: no seat yet), oldest first."""
    accepted = TeamInvite.objects.filter(
        owner=owner, accepted_by=OuterRef("pk"), status=TeamInvite.Status.ACCEPTED
    ).order_by("-accepted_at", "-pk")
    members = (
        User.objects.filter(account_owner=owner)
        .annotate(
            joined_at=Subquery(accepted.values("accepted_at")[:1]),
            confirmed_at=Subquery(accepted.values("confirmed_at")[:1]),
        )
        .order_by("email", "pk")
    )
    result = list(members)
    for member in result:
        # A member who did not come through an invite had nothing to confirm.
        member.address_confirmed = member.joined_at is None or member.confirmed_at is not None
        member.joined_at = member.joined_at or member.date_joined
    return sorted(result, key=lambda m: (m.joined_at, m.pk))


def membership_of(*, user):
    """For a member: their owner and when they joined; None for an owner."""
    if user.account_owner_id is None:
        return None
    owner = User.objects.get(pk=user.account_owner_id)
    joined_at = (
        TeamInvite.objects.filter(owner=owner, accepted_by=user, status=TeamInvite.Status.ACCEPTED)
        .order_by("-accepted_at")
        .values_list("accepted_at", flat=True)
        .first()
    )
    return {"owner": owner, "joined_at": joined_at or user.date_joined}


def this_month():
    return timezone.now().date().replace(day=1)


def team_usage_this_month(*, owner):
    """The team page's table: the owner and each member (with joined date), this month's usage and
    cost, and the team's total (what lands on the owner's bill). Query count independent of size."""
    members = members_of(owner=owner)
    usage = usage_for_month(users=[owner, *members], month=this_month())
    rows = {row["user"].pk: row for row in usage["users"]}
    return {
        "month": usage["start"],
        "owner_usage": rows[owner.pk],
        "members": [{**rows[m.pk], "joined_at": m.joined_at, "address_confirmed": m.address_confirmed} for m in members],
        "team_totals": usage["totals"],
    }
