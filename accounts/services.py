"""Writes on users: the one upsert every Auth0 path (webhook, first login, sync-user) goes through."""

import logging

from django.db import IntegrityError, transaction

from .models import User
from .signals import account_owner_created, user_registered

logger = logging.getLogger(__name__)


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


def _user_announce(*, user):
    logger.info("user %s registered", user.pk)
    user_registered.send(sender=User, user=user)
    user.refresh_from_db(fields=["account_owner"])
    if user.is_owner:
        account_owner_created.send(sender=User, user=user)
