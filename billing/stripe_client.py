"""The one place that talks to Stripe (or the Stripe sandbox: only `STRIPE_API_BASE` differs).

Every call has a timeout and the library's own network retries (same idempotency key on each);
rate-limit answers (429) are retried here with exponential backoff; Stripe's errors become
`StripeServiceError` with a message a person can act on. Never logs the API key.
"""

import json
import logging
import random
import threading
import time

import stripe
from django.conf import settings

logger = logging.getLogger(__name__)
_clients = {}
WEBHOOK_TOLERANCE = 300  # seconds; stripe.Webhook.construct_event's default (verify_header has none)
_clients_lock = threading.Lock()


class StripeServiceError(Exception):
    """Stripe could not do what we asked; `retryable` says whether trying later may help."""

    def __init__(self, message, *, retryable, status=None, code=None, param=None):
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.code = code
        self.param = param


def client():
    """A StripeClient for the configured key and base URL (one per configuration, thread-safe)."""
    key = (settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE, settings.STRIPE_TIMEOUT,
           settings.STRIPE_MAX_NETWORK_RETRIES)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = stripe.StripeClient(
                settings.STRIPE_SECRET_KEY,
                base_addresses={"api": settings.STRIPE_API_BASE, "files": settings.STRIPE_API_BASE},
                max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
                http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT),
            )
        return _clients[key]


def _call(what, fn, *args, **kwargs):
    """Run one Stripe call; 429s back off and retry, errors become StripeServiceError."""
    attempts = settings.STRIPE_RATE_LIMIT_RETRIES + 1
    for attempt in range(attempts):
        try:
            return fn(*args, **kwargs)
        except stripe.RateLimitError as exc:
            if attempt + 1 >= attempts:
                raise _service_error(what, exc) from exc
            delay = min(settings.STRIPE_RATE_LIMIT_BACKOFF * 2**attempt, 8.0) * random.uniform(0.5, 1.0)
            logger.info("Stripe rate-limited %s; retrying in %.2fs", what, delay)
            time.sleep(delay)
        except stripe.StripeError as exc:
            raise _service_error(what, exc) from exc


def _service_error(what, exc):
    status = getattr(exc, "http_status", None)
    code = getattr(exc, "code", None)
    retryable = isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)) or (
        isinstance(exc, stripe.APIError) or (status or 0) >= 500
    )
    message = getattr(exc, "user_message", None) or str(exc) or exc.__class__.__name__
    if retryable:
        message = f"Stripe is unavailable right now ({message}); it will be tried again."
    param = getattr(exc, "param", None)
    return StripeServiceError(f"{what}: {message}", retryable=retryable, status=status, code=code, param=param)


def _options(idempotency_key=None):
    return {"idempotency_key": idempotency_key} if idempotency_key else None


# ---------------------------------------------------------------- catalog (meters, products, prices)


def meter_create(*, event_name, display_name, idempotency_key):
    """A billing meter summing `value` per customer, keeping the last event per UTC day."""
    params = {
        "display_name": display_name,
        "event_name": event_name,
        "default_aggregation": {"formula": "sum"},
        "customer_mapping": {"type": "by_id", "event_payload_key": "stripe_customer_id"},
        "value_settings": {"event_payload_key": "value"},
        "event_time_window": "day",
    }
    return _call("create meter", client().v1.billing.meters.create, params=params,
                 options=_options(idempotency_key))


def meter_find(*, event_name):
    """The active meter for `event_name` (Stripe allows one), or None."""
    listed = _call("list meters", client().v1.billing.meters.list, params={"status": "active", "limit": 100})
    return next((m for m in listed.auto_paging_iter() if m.event_name == event_name), None)


def price_find(*, lookup_key):
    """The active price with `lookup_key`, or None."""
    listed = _call("list prices", client().v1.prices.list, params={"lookup_keys": [lookup_key], "active": True})
    return next(iter(listed.data), None)


def product_create(*, name, idempotency_key):
    return _call("create product", client().v1.products.create, params={"name": name},
                 options=_options(idempotency_key))


def metered_price_create(*, product, meter, unit_amount_cents, nickname, lookup_key, idempotency_key):
    """A monthly metered price on `meter`: `unit_amount_cents` (Decimal) per unit; `lookup_key`
    (unique among active prices) finds it again."""
    params = {
        "product": product,
        "lookup_key": lookup_key,
        "currency": "usd",
        "nickname": nickname,
        "unit_amount_decimal": unit_amount_cents,
        "recurring": {"interval": "month", "usage_type": "metered", "meter": meter},
    }
    return _call("create price", client().v1.prices.create, params=params, options=_options(idempotency_key))


# ---------------------------------------------------------------- customers and subscriptions


def customer_create(*, email, name, user_id, idempotency_key):
    params = {"email": email, "metadata": {"user_id": str(user_id)}}
    if name:
        params["name"] = name
    return _call("create customer", client().v1.customers.create, params=params,
                 options=_options(idempotency_key))


def customer_default_payment_method_set(*, customer, payment_method):
    params = {"invoice_settings": {"default_payment_method": payment_method}}
    return _call("set default card", client().v1.customers.update, customer, params=params)


def subscription_create(*, customer, price_ids, idempotency_key):
    params = {"customer": customer, "items": [{"price": price_id} for price_id in price_ids]}
    return _call("create subscription", client().v1.subscriptions.create, params=params,
                 options=_options(idempotency_key))


def subscription_item_create(*, subscription, price, idempotency_key):
    """Add a metered price to a live subscription (no proration: a metered item bills usage only)."""
    params = {"subscription": subscription, "price": price, "proration_behavior": "none"}
    return _call("add subscription item", client().v1.subscription_items.create, params=params,
                 options=_options(idempotency_key))


def subscription_item_find(*, subscription, price):
    """The subscription's item for `price`, or None."""
    listed = _call("list subscription items", client().v1.subscription_items.list,
                   params={"subscription": subscription, "limit": 100})
    return next((item for item in listed.auto_paging_iter() if item.price.id == price), None)


def subscription_item_delete(item_id):
    """Remove an item from its subscription. An item Stripe no longer has (404) counts as removed:
    the library's retry of a delete that got through, or one removed by hand."""
    # The default proration bills usage still in the item's open period on the next invoice
    # (flexible billing) rather than dropping it; items are retired once that period holds none.
    try:
        _call("remove subscription item", client().v1.subscription_items.delete, item_id,
              params={"proration_behavior": "create_prorations"})
    except StripeServiceError as exc:
        if exc.status != 404:
            raise
        logger.info("subscription item %s was already gone from Stripe", item_id)


# ---------------------------------------------------------------- Checkout, cards


def checkout_setup_session_create(*, customer, success_url, cancel_url, user_id):
    """Checkout in setup mode: collects a card for later off-session charges."""
    params = {
        "mode": "setup",
        "customer": customer,
        "currency": "usd",
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": str(user_id),
        "setup_intent_data": {"metadata": {"user_id": str(user_id)}},
    }
    return _call("start card checkout", client().v1.checkout.sessions.create, params=params)


def checkout_credits_session_create(*, customer, amount_cents, success_url, cancel_url, user_id):
    """Checkout in payment mode for a prepaid credit top-up of `amount_cents`."""
    params = {
        "mode": "payment",
        "customer": customer,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": str(user_id),
        "metadata": {"purpose": "credits", "user_id": str(user_id)},
        "line_items": [{
            "quantity": 1,
            "price_data": {
                "currency": "usd",
                "unit_amount": amount_cents,
                "product_data": {"name": "Hopsworks Managed prepaid credits"},
            },
        }],
    }
    return _call("start credits checkout", client().v1.checkout.sessions.create, params=params)


def setup_intent_retrieve(setup_intent_id):
    """The SetupIntent as a plain dict."""
    return _call("read setup intent", client().v1.setup_intents.retrieve, setup_intent_id).to_dict()


def payment_method_retrieve(payment_method_id):
    """The PaymentMethod as a plain dict (`card.brand`, `card.last4`)."""
    return _call("read card", client().v1.payment_methods.retrieve, payment_method_id).to_dict()


# ---------------------------------------------------------------- usage and invoices


def meter_event_create(*, event_name, customer, value, identifier, timestamp):
    """One meter event (the day's total); Stripe dedupes `identifier` for ~24 h only."""
    params = {
        "event_name": event_name,
        "payload": {"stripe_customer_id": customer, "value": value},
        "identifier": identifier,
        "timestamp": timestamp,
    }
    # No fixed idempotency key: Stripe replays a stored 500 for the same key, which would make a
    # failed day fail again on the next run. The identifier is what Stripe dedupes on.
    return _call("send meter event", client().v1.billing.meter_events.create, params=params)


def invoices_list(*, customer, limit=12):
    """The customer's latest invoices, newest first, as plain dicts."""
    listed = _call("list invoices", client().v1.invoices.list, params={"customer": customer, "limit": limit})
    return [invoice.to_dict() for invoice in listed.data]


# ---------------------------------------------------------------- webhooks


def webhook_event_verify(*, payload: bytes, signature: str):
    """Check `Stripe-Signature` over the raw body with our secret (library verifier, 300 s
    tolerance) and return the event as plain dicts; raises ValueError when it does not hold."""
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=WEBHOOK_TOLERANCE
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        raise ValueError("Invalid Stripe signature.") from exc
    try:
        event = json.loads(payload)
        parsed = {"id": event["id"], "type": event["type"], "object": event["data"]["object"], "raw": event}
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise ValueError("The webhook body is not a Stripe event.") from exc
    # Signed yet not Stripe's shape: refuse it rather than fail on it (PostgreSQL text has no NUL).
    shaped = _stripe_id(parsed["id"], 255) and _stripe_id(parsed["type"], 100) and isinstance(parsed["object"], dict)
    if not shaped or "\\u0000" in payload.decode("utf-8"):
        raise ValueError("The webhook body is not a Stripe event.")
    return parsed


def _stripe_id(value, longest):
    """A string that fits its StripeEvent column."""
    return isinstance(value, str) and 0 < len(value) <= longest and "\x00" not in value
