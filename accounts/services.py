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
    `email_verified` is accepted for the callers' sake; Auth0 is the authority on it.
    """
    email = User.objects.normalize_email(email or "").strip()
    name = (name or "").strip()
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().filter(auth0_sub=sub).first()
            if user is not None:
                _user_sync_profile(user=user, email=email, name=name)
                return user, False
            with transaction.atomic():
                user = User.objects.create_user(sub, email, name=name)
            _user_announce(user=user)
            return user, True
    except IntegrityError:
        # Two first calls raced (webhook and login at once): the other one created the row.
        user = User.objects.get(auth0_sub=sub)
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=user.pk)
            _user_sync_profile(user=user, email=email, name=name)
        return user, False


def _user_sync_profile(*, user, email, name):
    changed = []
    if email and user.email != email:
        user.email = email
        changed.append("email")
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
