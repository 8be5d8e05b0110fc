"""Writes for team invitations: create (several addresses at once), resend, revoke.

Joining, removing and leaving live in `membership.py`. Every refusal raises `InviteRefused`
before anything is written or sent: an invite form either sends every address or none.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User

from .emails import invite_emails_send
from .models import TeamInvite
from .tokens import invite_token_new

logger = logging.getLogger(__name__)


class InviteRefused(Exception):
    """Invitations that cannot be sent: `errors` maps an address (or None: the whole form) to why."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(f"{k or 'form'}: {v}" for k, v in errors.items()))


def invite_create(*, owner, emails, base_url):
    """Invite each address in `emails` to `owner`'s team and email each a link; all or nothing.

    An address whose earlier invite expired gets that invite renewed (new link). Returns the invites.
    """
    addresses = _addresses_normalize(emails)
    if not addresses:
        raise InviteRefused({None: "Enter at least one email address."})
    with transaction.atomic():
        _owner_lock(owner)
        expired = _invites_expired_for(owner=owner, addresses=addresses)
        errors = _address_refusals(owner=owner, addresses=addresses)
        # Renewed expired invites count too: they become pending again.
        errors.update(_pending_limit_refusal(owner=owner, new=len(addresses)))
        if errors:
            raise InviteRefused(errors)
        _send_budget_take(owner=owner, count=len(addresses))
        try:
            sends = []
            for address in addresses:
                invite = expired.get(address) or TeamInvite(owner=owner, email=address)
                sends.append((invite, _invite_issue(invite)))
            invite_emails_send(sends=sends, base_url=base_url)
        except Exception:
            _send_budget_return(owner=owner, count=len(addresses))
            raise
    logger.info("owner %s invited %s address(es): invites %s", owner.pk, len(sends), [i.pk for i, _ in sends])
    return [invite for invite, _ in sends]


def invite_resend(*, owner, invite_id, base_url):
    """Email a pending (or expired) invite again with a new link; the old link stops working."""
    with transaction.atomic():
        _owner_lock(owner)
        invite = TeamInvite.objects.select_for_update().get(pk=invite_id, owner=owner)
        if invite.status != TeamInvite.Status.PENDING:
            raise InviteRefused({None: f"The invite to {invite.email} was {invite.status}; it can no longer be resent."})
        errors = _address_refusals(owner=owner, addresses=[invite.email], resending=True)
        if errors:
            raise InviteRefused(errors)
        _send_budget_take(owner=owner, count=1)
        try:
            token = _invite_issue(invite)
            invite_emails_send(sends=[(invite, token)], base_url=base_url)
        except Exception:
            _send_budget_return(owner=owner, count=1)
            raise
    logger.info("owner %s resent invite %s", owner.pk, invite.pk)
    return invite


def invite_revoke(*, owner, invite_id):
    """Withdraw a pending invite: its link then says it was revoked."""
    with transaction.atomic():
        invite = TeamInvite.objects.select_for_update().get(pk=invite_id, owner=owner)
        if invite.status != TeamInvite.Status.PENDING:
            raise InviteRefused({None: f"The invite to {invite.email} was already {invite.status}."})
        invite.status = TeamInvite.Status.REVOKED
        invite.revoked_at = timezone.now()
        invite.save(update_fields=["status", "revoked_at"])
    logger.info("owner %s revoked invite %s", owner.pk, invite.pk)
    return invite


# ---------------------------------------------------------------- private


def _addresses_normalize(emails):
    """Trimmed, lower-cased, de-duplicated, in the order given."""
    seen = []
    for raw in emails:
        address = (raw or "").strip().lower()
        if address and address not in seen:
            seen.append(address)
    return seen


def _owner_lock(owner):
    # Serialises one owner's invite actions so the pending limit holds under concurrent posts.
    User.objects.select_for_update().filter(pk=owner.pk).values_list("pk", flat=True).get()


def _invite_issue(invite):
    """Give the invite a fresh token and expiry (new or renewed) and save it; returns the token."""
    token, token_hash = invite_token_new()
    now = timezone.now()
    if invite.pk:
        invite.send_count += 1
    invite.token_hash = token_hash
    invite.sent_at = now
    invite.expires_at = now + timedelta(days=settings.TEAM_INVITE_EXPIRY_DAYS)
    invite.save()
    return token


def _invites_expired_for(*, owner, addresses):
    pending = TeamInvite.objects.select_for_update().filter(
        owner=owner, email__in=addresses, status=TeamInvite.Status.PENDING, expires_at__lte=timezone.now()
    )
    return {invite.email: invite for invite in pending}


def _address_refusals(*, owner, addresses, resending=False):
    """{address: why it cannot be invited} for every address that breaks a rule."""
    errors = {}
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            errors[address] = f"“{address}” is not a valid email address."
    valid = [a for a in addresses if a not in errors]
    users = {
        u.email_lower: u
        for u in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=valid)
    }
    pending = set()
    if not resending:
        pending = set(
            TeamInvite.objects.filter(
                owner=owner, email__in=valid, status=TeamInvite.Status.PENDING, expires_at__gt=timezone.now()
            ).values_list("email", flat=True)
        )
    for address in valid:
        why = _address_refusal(owner=owner, address=address, user=users.get(address), pending=address in pending)
        if why:
            errors[address] = why
    return errors


def _address_refusal(*, owner, address, user, pending):
    if address == owner.email.lower():
        return "That is your own address: you are the owner of this team."
    if user is not None and user.account_owner_id == owner.pk:
        return f"{address} is already a member of your team."
    if user is not None and user.account_owner_id is not None:
        return f"{address} is already a member of another team."
    if user is not None:
        return f"{address} already has their own Hopsworks Managed account, with its own billing; only new users can join a team."
    if pending:
        return f"{address} already has a pending invite; use Resend in the list of pending invites."
    return None


def _pending_limit_refusal(*, owner, new):
    limit = settings.TEAM_INVITE_MAX_PENDING
    pending = TeamInvite.objects.filter(
        owner=owner, status=TeamInvite.Status.PENDING, expires_at__gt=timezone.now()
    ).count()
    if pending + new <= limit:
        return {}
    room = max(limit - pending, 0)
    return {None: (
        f"You can have at most {limit} pending invites; you have {pending}, so there is room for {room} more. "
        "Revoke invites that are no longer needed, or wait until some are accepted."
    )}


def _send_budget_key(owner):
    return f"teams:invite-sends:{owner.pk}:{timezone.now():%Y%m%d%H}"


def _send_budget_take(*, owner, count):
    """Count `count` emails against the owner's hourly allowance, or refuse without counting."""
    limit = settings.TEAM_INVITE_SENDS_PER_HOUR
    key = _send_budget_key(owner)
    cache.add(key, 0, timeout=3600)
    sent = cache.incr(key, count)
    if sent > limit:
        cache.decr(key, count)
        left = max(limit - (sent - count), 0)
        raise InviteRefused({None: (
            f"You can send at most {limit} invitation emails per hour ({left} left this hour). "
            "Try again later."
        )})


def _send_budget_return(*, owner, count):
    cache.decr(_send_budget_key(owner), count)
