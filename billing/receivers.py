"""Billing's answers to other apps' announcements (connected in `BillingConfig.ready`)."""

import logging

from django.db import transaction

from .customers import stripe_customer_ensure
from .stripe_client import StripeServiceError

logger = logging.getLogger(__name__)


def on_account_owner_created(sender, user, **kwargs):
    """A new account owner: Stripe customer + subscription once the sign-up has committed."""
    transaction.on_commit(lambda: owner_stripe_setup(user_id=user.pk))


def owner_stripe_setup(*, user_id):
    from django.contrib.auth import get_user_model

    from .tasks import stripe_customer_create

    owner = get_user_model().objects.filter(pk=user_id).first()
    if owner is None:
        return
    try:
        stripe_customer_ensure(owner=owner)
    except StripeServiceError as exc:
        # Sign-up goes on; the task retries with backoff (the same idempotency keys).
        logger.warning("Stripe setup for user %s deferred: %s", user_id, exc)
        stripe_customer_create.delay(user_id)
