"""Webhook events: made like Stripe's, signed with `Stripe-Signature: t=...,v1=HMAC-SHA256`, POSTed.

Delivery is synchronous (the event reaches the app before the action that caused it returns),
which keeps journeys deterministic. `deliver` may be replaced, e.g. by a function posting through
Django's test client: the signature is still made and checked for real.
"""

import copy
import hashlib
import hmac
import json
import logging

import requests
from stripe import _api_version

logger = logging.getLogger(__name__)
API_VERSION = _api_version._ApiVersion.CURRENT


def signature_header(payload: str, secret: str, timestamp: int) -> str:
    signed = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signed}"


def post_over_http(url, body, headers):
    """Default delivery: a real HTTP POST to the app's webhook URL; returns the status code."""
    return requests.post(url, data=body.encode(), headers=headers, timeout=10).status_code


class WebhookSender:
    def __init__(self, state, *, deliver=None, hold=False):
        self.state = state
        self.default_deliver = post_over_http
        self.deliver = deliver or post_over_http
        self.hold = hold  # keep events until `flush()` (in-process delivery from the test's thread)
        self.outbox = []

    def emit(self, event_type, obj, *, previous_attributes=None):
        """Record an event about `obj` and deliver it now; returns the event."""
        state = self.state
        event = {
            "id": state.new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(state.now()),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 1 if state.webhook_url else 0,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        if previous_attributes:
            event["data"]["previous_attributes"] = previous_attributes
        with state.lock:
            state.events.append(event)
            if self.hold:
                self.outbox.append(event)
                return event
        self.send(event)
        return event

    def flush(self):
        """Deliver the held events, oldest first; returns [(event type, status)]."""
        with self.state.lock:
            held, self.outbox = self.outbox, []
        return [(event["type"], self.send(event)) for event in held]

    def send(self, event, *, secret=None, timestamp=None):
        """Deliver `event` (again, for a replay) signed with `secret` (default: the configured one)."""
        state = self.state
        if not state.webhook_url:
            return None
        body = json.dumps(event, separators=(",", ":"))
        header = signature_header(body, secret or state.webhook_secret, int(timestamp or state.now()))
        headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": header,
                   "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
        try:
            status = self.deliver(state.webhook_url, body, headers)
            error = ""
        except Exception as exc:  # an app that is down is a failed delivery, as at Stripe
            status, error = None, f"{exc.__class__.__name__}: {exc}"
        with state.lock:
            state.deliveries.append({"event": event["id"], "type": event["type"], "status": status, "error": error})
        if status is None or status >= 300:
            logger.warning("webhook %s %s delivery answered %s %s", event["type"], event["id"], status, error)
        return status
