"""Stripe webhook events: verified, stored raw, each event id processed once (in one transaction
with its effect), the objects re-read from Stripe where order matters.
"""

import logging
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import stripe_client
from .customers import card_on_file_mark
from .models import BillingAccount, CreditLedgerEntry, StripeEvent
from .services import credits_add

logger = logging.getLogger(__name__)


class WebhookRejected(ValueError):
    """Bad signature or not a Stripe event: answer 400, change nothing."""


def stripe_webhook_receive(*, payload: bytes, signature: str):
    """Verify and process one webhook delivery; returns "processed", "duplicate" or "ignored"."""
    try:
        event = stripe_client.webhook_event_verify(payload=payload, signature=signature)
    except ValueError as exc:
        raise WebhookRejected(str(exc)) from exc
    event_id, event_type, obj = event["id"], event["type"], event["object"]
    handler = HANDLERS.get(event_type)
    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(event_id=event_id, type=event_type, payload=event["raw"])
        except IntegrityError:
            logger.info("Stripe event %s (%s) already processed", event_id, event_type)
            return "duplicate"
        if handler is None:
            return "ignored"
        handler(obj)
    logger.info("Stripe event %s (%s) processed", event_id, event_type)
    return "processed"


def _owner_for_customer(customer_id):
    if not customer_id:
        return None
    owner = get_user_model().objects.filter(stripe_customer_id=customer_id, account_owner__isnull=True).first()
    if owner is None:
        logger.warning("Stripe customer %s is not one of our owners", customer_id)
    return owner


def _checkout_session_completed(session):
    owner = _owner_for_customer(session.get("customer"))
    if owner is None:
        return
    if session.get("mode") == "setup" and session.get("setup_intent"):
        # Re-read the intent: the event may be older than what Stripe knows now.
        intent = stripe_client.setup_intent_retrieve(session["setup_intent"])
        if intent.get("status") == "succeeded" and intent.get("payment_method"):
            card_on_file_mark(owner=owner, payment_method_id=intent["payment_method"])
    elif session.get("mode") == "payment" and _metadata(session).get("purpose") == "credits":
        if session.get("payment_status") == "paid" and session.get("amount_total"):
            amount = Decimal(_cents(session["amount_total"])) / 100
            credits_add(owner=owner, amount=amount, reason=CreditLedgerEntry.Reason.TOPUP, reference=session["id"])


def _metadata(session):
    metadata = session.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise WebhookRejected("The Checkout Session's metadata is not an object.")
    return metadata


def _cents(amount_total):
    # Rejected, not guessed: the event and its credit are rolled back together (nothing recorded).
    if type(amount_total) is not int or amount_total <= 0:
        raise WebhookRejected("The Checkout Session's amount_total is not a positive number of cents.")
    return amount_total


def _setup_intent_succeeded(intent):
    owner = _owner_for_customer(intent.get("customer"))
    if owner is not None and intent.get("payment_method"):
        card_on_file_mark(owner=owner, payment_method_id=intent["payment_method"])


def _payment_method_attached(payment_method):
    # Attached is not yet "usable for invoices"; the setup intent / Checkout events decide.
    owner = _owner_for_customer(payment_method.get("customer"))
    if owner is not None:
        logger.info("card %s attached for user %s", payment_method.get("id"), owner.pk)


def _invoice_paid(invoice):
    owner = _owner_for_customer(invoice.get("customer"))
    if owner is not None:
        BillingAccount.objects.filter(owner=owner, payment_failed_invoice=invoice.get("id")).update(
            payment_failed_at=None, payment_failed_invoice=""
        )


def _invoice_payment_failed(invoice):
    owner = _owner_for_customer(invoice.get("customer"))
    if owner is None:
        return
    BillingAccount.objects.update_or_create(
        owner=owner, defaults={"payment_failed_at": timezone.now(), "payment_failed_invoice": invoice.get("id", "")}
    )
    logger.warning("invoice %s payment failed for user %s", invoice.get("id"), owner.pk)


def _subscription_deleted(subscription):
    owner = _owner_for_customer(subscription.get("customer"))
    if owner is None or owner.stripe_subscription_id != subscription.get("id"):
        return
    get_user_model().objects.filter(pk=owner.pk).update(stripe_subscription_id="")
    BillingAccount.objects.update_or_create(owner=owner, defaults={"subscription_status": "canceled"})
    logger.warning("Stripe subscription %s of user %s was deleted", subscription.get("id"), owner.pk)


HANDLERS = {
    "checkout.session.completed": _checkout_session_completed,
    "setup_intent.succeeded": _setup_intent_succeeded,
    "payment_method.attached": _payment_method_attached,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_payment_failed,
    "customer.subscription.deleted": _subscription_deleted,
}
