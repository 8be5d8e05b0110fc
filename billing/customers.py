"""Stripe-facing writes for an account owner: customer + subscription, card on file.

Every create carries an idempotency key derived from our own ids, so a retried hook or a second
worker never makes a second customer or subscription.
"""

import logging

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from . import stripe_client
from .models import BillingAccount, Price
from .price_periods import price_period_stripe_ensure, prices_for_new_subscription, subscription_items_record

logger = logging.getLogger(__name__)


def stripe_catalog_ensure():
    """The Stripe meters and prices a new subscription needs (today's and scheduled price periods):
    [Price rows], each with its Stripe ids, made once."""
    prices = prices_for_new_subscription()
    missing = sorted(set(Price.Resource.values) - {price.resource for price in prices})
    if missing:
        raise ImproperlyConfigured(f"No price in effect today for {', '.join(missing)}: add one in the admin panel.")
    return [price_period_stripe_ensure(price=price) for price in prices]


def stripe_customer_ensure(*, owner):
    """Give an account owner a Stripe customer and a subscription to the metered prices (members: none)."""
    User = get_user_model()
    owner = User.objects.get(pk=owner.pk)
    if owner.is_member:
        logger.info("user %s is a team member: no Stripe customer", owner.pk)
        return None
    prices = stripe_catalog_ensure()
    stamp = f"{owner.pk}-{int(owner.date_joined.timestamp())}"
    if not owner.stripe_customer_id:
        customer = stripe_client.customer_create(
            email=owner.email, name=owner.name, user_id=owner.pk, idempotency_key=f"customer-create-{stamp}"
        )
        owner.stripe_customer_id = customer.id
        User.objects.filter(pk=owner.pk).update(stripe_customer_id=customer.id)
        logger.info("user %s has Stripe customer %s", owner.pk, customer.id)
    if not owner.stripe_subscription_id:
        subscription = stripe_client.subscription_create(
            customer=owner.stripe_customer_id,
            price_ids=[price.stripe_price_id for price in prices],
            idempotency_key=f"subscription-create-{stamp}",
        )
        subscription_items_record(owner=owner, subscription=subscription)
        owner.stripe_subscription_id = subscription.id
        User.objects.filter(pk=owner.pk).update(stripe_subscription_id=subscription.id)
        BillingAccount.objects.update_or_create(owner=owner, defaults={"subscription_status": subscription.status})
        logger.info("user %s has Stripe subscription %s", owner.pk, subscription.id)
    return owner


def card_checkout_start(*, owner, success_url, cancel_url):
    """A Checkout Session (setup mode) collecting the owner's card; returns its hosted page URL."""
    owner = stripe_customer_ensure(owner=owner)
    session = stripe_client.checkout_setup_session_create(
        customer=owner.stripe_customer_id, success_url=success_url, cancel_url=cancel_url, user_id=owner.pk
    )
    return session.url


def credits_checkout_start(*, owner, amount, success_url, cancel_url):
    """A Checkout Session (payment mode) buying `amount` USD of prepaid credit; returns its URL.

    The credit lands in the ledger only when the paid `checkout.session.completed` arrives.
    """
    owner = stripe_customer_ensure(owner=owner)
    session = stripe_client.checkout_credits_session_create(
        customer=owner.stripe_customer_id, amount_cents=int(amount * 100), success_url=success_url,
        cancel_url=cancel_url, user_id=owner.pk,
    )
    logger.info("user %s started a %s USD credit purchase (%s)", owner.pk, amount, session.id)
    return session.url


def card_on_file_mark(*, owner, payment_method_id):
    """Record the owner's card (brand, last 4), make it the invoice default, then ask for a cluster.

    Runs inside the webhook's transaction; the cluster request waits for the commit.
    """
    User = get_user_model()
    account = BillingAccount.objects.select_for_update().get_or_create(owner=owner)[0]
    first_card = not owner.card_on_file
    if account.payment_method_id != payment_method_id:
        card = stripe_client.payment_method_retrieve(payment_method_id).get("card") or {}
        stripe_client.customer_default_payment_method_set(
            customer=owner.stripe_customer_id, payment_method=payment_method_id
        )
        account.payment_method_id = payment_method_id
        account.card_brand = card.get("brand", "") or ""
        account.card_last4 = card.get("last4", "") or ""
        account.card_added_at = timezone.now()
        account.save()
    if first_card:
        User.objects.filter(pk=owner.pk).update(card_on_file=True)
        owner.card_on_file = True
        logger.info("user %s has a card on file", owner.pk)
        transaction.on_commit(lambda: _cluster_assignment_request(owner_id=owner.pk))


def _cluster_assignment_request(*, owner_id):
    """Card on file → clusters assigns the owner (billing → clusters, a plain call)."""
    try:
        from clusters.services import assignment_request
    except ImportError:
        logger.warning("clusters.services.assignment_request is not available; user %s waits", owner_id)
        return
    try:
        assignment_request(user=get_user_model().objects.get(pk=owner_id))
    except Exception:  # the card stays on file; clusters' own queue and admins take it from here
        logger.exception("cluster assignment request for user %s failed", owner_id)
