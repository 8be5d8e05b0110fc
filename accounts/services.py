"""Writes on users: the one upsert every Auth0 path (webhook, first login, sync-user) goes through."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from .auth0_client import Auth0TokenRejected, auth0_claims, userinfo_fetch
from .models import User
from .signals import account_owner_created, email_verified as email_verified_signal, user_registered

logger = logging.getLogger(__name__)

# allauth's `openid_connect` app is registered under this provider_id (settings.py).
AUTH0_PROVIDER_ID = "auth0"


def user_upsert_from_auth0(*, sub, email, name="", email_verified=None):
    """Find or create the user with Auth0 subject `sub`, keeping email and name in sync.

    Returns (user, created). On creation sends `user_registered`, then `account_owner_created` if
    the user is still an owner after its receivers ran. An empty `name` never erases a known one.
    `email_verified` None means "not said" (the webhook) and leaves the stored flag alone.
    """
    email = User.objects.normalize_email(email or "").strip()
    name = (name or "").strip()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(auth0_sub=sub).first()
        if user is None:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(
                        sub, email, name=name, email_verified=bool(email_verified)
                    )
            except IntegrityError:
                # Webhook and first login raced: the other one created the row first.
                user = User.objects.select_for_update().get(auth0_sub=sub)
            else:
                _user_announce(user=user)
                return user, True
        _user_sync_profile(user=user, email=email, name=name, email_verified=email_verified)
        return user, False


def _user_sync_profile(*, user, email, name, email_verified):
    vouched_before = (user.email.lower(), user.email_verified)
    changed = []
    if email_verified is not None and user.email_verified != bool(email_verified):
        user.email_verified = bool(email_verified)
        changed.append("email_verified")
    if email and user.email != email:
        user.email = email
        changed.append("email")
        if email_verified is None:
            user.email_verified = False
            changed.append("email_verified")
    if name and user.name != name:
        user.name = name
        changed.append("name")
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
        logger.info("user %s profile synced from Auth0: %s", user.pk, ",".join(changed))
    if user.email_verified and (user.email.lower(), True) != vouched_before:
        email_verified_signal.send(sender=User, user=user)


def _user_announce(*, user):
    logger.info("user %s registered", user.pk)
    user_registered.send(sender=User, user=user)
    user.refresh_from_db(fields=["account_owner"])
    if user.is_owner:
        account_owner_created.send(sender=User, user=user)


def user_sync_from_auth0(*, user):
    """Refresh `user` from their Auth0 profile: userinfo with the stored access token when Auth0
    still accepts it, else the claims of their last sign-in. Raises Auth0Error if Auth0 is down."""
    from allauth.socialaccount.models import SocialAccount, SocialToken

    account = SocialAccount.objects.filter(user=user, provider=AUTH0_PROVIDER_ID).order_by("-last_login").first()
    if account is None:
        return user
    claims = auth0_claims(account.extra_data)
    token = SocialToken.objects.filter(account=account).order_by("-pk").first()
    if token is not None and (token.expires_at is None or token.expires_at > timezone.now()):
        try:
            profile = userinfo_fetch(access_token=token.token)
        except Auth0TokenRejected:
            profile = None
        if profile is not None and profile.get("sub") == user.auth0_sub:
            claims.update(profile)
            account.extra_data = {**account.extra_data, "userinfo": profile}
            account.save(update_fields=["extra_data"])
    user, _ = user_upsert_from_auth0(
        sub=user.auth0_sub, email=claims.get("email") or "", name=claims.get("name") or "",
        email_verified=claims.get("email_verified"),
    )
    return user


def user_admin_set(*, user, is_admin=True):
    """Grant (or take away) the operator role: the admin panel at /admin47392/."""
    User.objects.filter(pk=user.pk).update(is_admin=is_admin, updated_at=timezone.now())
    user.is_admin = is_admin
    logger.info("user %s is_admin=%s", user.pk, is_admin)
    return user


def user_status_set(*, user, status):
    """Suspend (`User.Status.SUSPENDED`) or reactivate (`ACTIVE`) a user; suspended users still
    sign in but see only the "account suspended" page."""
    if status not in User.Status.values:
        raise ValueError(f"unknown status {status!r}")
    User.objects.filter(pk=user.pk).update(status=status, updated_at=timezone.now())
    user.status = status
    logger.info("user %s status=%s", user.pk, status)
    return user
