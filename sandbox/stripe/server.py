"""The Stripe sandbox: `create_app(**config)` returns a Flask app speaking Stripe's REST API as
stripe-python 16.1 sends it, plus a hosted Checkout page and signed webhooks to the app.

Config: api_key (the secret key the app uses), webhook_url, webhook_secret, deliver (replace the
HTTP POST of webhooks, e.g. with Django's test client), public_url (for hosted invoice links),
meter_event_rate_limit (per second; 429 beyond), hold_webhooks (deliver on `deliver_webhooks()`),
state_file (keep the sandbox's memory across restarts). The sandbox is `app.stripe` in-process.
"""

import threading
import time

from flask import Flask

from . import checkout, control, invoices, resources
from .api import ApiError, StripeApi
from .state import StripeState
from .webhooks import WebhookSender


class StripeSandbox:
    """What tests and control endpoints drive: state, webhooks, and the person-side actions."""

    def __init__(self, *, api_key, webhook_url=None, webhook_secret=None, deliver=None, public_url="",
                 clock=None, hold_webhooks=False):
        self.state = StripeState(api_key=api_key, webhook_url=webhook_url, webhook_secret=webhook_secret,
                                 clock=clock)
        self.webhooks = WebhookSender(self.state, deliver=deliver, hold=hold_webhooks)
        self.public_url = public_url.rstrip("/")
        self.failing_payment_methods = set()
        self._meter_lock = threading.Lock()

    def reset(self):
        """Forget everything: objects, events, held webhooks, idempotency keys, failure switches."""
        self.state.reset()
        self.webhooks.outbox = []
        self.failing_payment_methods.clear()

    # ---------------------------------------------------------------- meter events

    def meter_event_accept(self, params):
        meter, customer, value, timestamp, identifier = resources.meter_event_check(self.state, params)
        state = self.state
        with state.lock:
            if state.identifier_seen(identifier):
                # Stripe dedupes identifiers for at least 24 hours; this sandbox answers a repeat with
                # an error (resource_already_exists) rather than silently dropping it.
                raise ApiError(400, f"An event with identifier '{identifier}' already exists.",
                               code="resource_already_exists", param="identifier")
            state.identifiers[identifier] = state.now()
            state.meter_events.append({
                "meter": meter["id"], "event_name": meter["event_name"], "customer": customer, "value": value,
                "timestamp": timestamp, "identifier": identifier, "received": state.now(),
            })
        return {"object": "billing.meter_event", "created": int(state.now()), "event_name": params["event_name"],
                "identifier": identifier, "livemode": False, "payload": params["payload"], "timestamp": timestamp}

    def meter_events_for(self, customer=None):
        with self.state.lock:
            return [dict(e) for e in self.state.meter_events if customer in (None, e["customer"])]

    def meter_total(self, *, customer, event_name, start, end):
        meter = next(m for m in self.state.all("billing.meter") if m["event_name"] == event_name)
        return invoices.meter_total(self.state, meter=meter, customer=customer, start=start, end=end)

    def removed_item_usage_pend(self, subscription, item, *, end):
        return invoices.removed_item_usage_pend(self, subscription, item, end=end)

    # ---------------------------------------------------------------- person and operator actions

    def checkout_session_create(self, params, *, host_url):
        return checkout.session_create(self, params, host_url=host_url)

    def checkout_session_complete(self, session_id, *, card_number="4242424242424242"):
        """As if the person entered `card_number` on the hosted page and pressed the button."""
        return checkout.session_complete(self, session_id, card_number=card_number)

    def period_close(self, *, customer=None, end=None, outcome=None):
        """End the billing period: an invoice per subscription from its meter events, paid or failed."""
        return invoices.period_close(self, customer=customer, end=end, outcome=outcome)

    def fail(self, mode, *, customer="*", remaining=None, seconds=0.0):
        """Failure switch: `mode` error (500) / rate_limit (429) / timeout for one customer or all ("*")."""
        from .state import FailureSwitch

        with self.state.lock:
            self.state.failures[customer] = FailureSwitch(mode=mode, remaining=remaining, seconds=seconds)

    def heal(self, customer=None):
        with self.state.lock:
            if customer is None:
                self.state.failures.clear()
            else:
                self.state.failures.pop(customer, None)

    def rate_limit(self, per_second, *, scope="*"):
        from .state import RateLimiter

        with self.state.lock:
            if per_second:
                self.state.rate_limiters[scope] = RateLimiter(per_second)
            else:
                self.state.rate_limiters.pop(scope, None)

    def objects(self, kind, **match):
        return self.state.all(kind, **match)

    def deliver_webhooks(self):
        """Deliver webhooks held back (hold_webhooks=True) from the calling thread, oldest first."""
        return self.webhooks.flush()

    def resend(self, event_id, *, secret=None):
        event = next(e for e in self.state.events if e["id"] == event_id)
        return self.webhooks.send(event, secret=secret)


def _persist(sandbox, path):
    """`make run`: keep the sandbox's memory in `path` across restarts (the app's database does)."""
    import atexit
    import os

    if os.path.exists(path):
        sandbox.state.load(path)

    def save_every_few_seconds():
        while True:
            time.sleep(5)
            sandbox.state.save(path)

    threading.Thread(target=save_every_few_seconds, name="stripe-sandbox-save", daemon=True).start()
    atexit.register(sandbox.state.save, path)


def create_app(*, api_key="sk_test_sandbox", webhook_url=None, webhook_secret="whsec_sandbox", deliver=None,
               public_url="", meter_event_rate_limit=None, clock=None, hold_webhooks=False, state_file=None):
    app = Flask("stripe_sandbox")
    sandbox = StripeSandbox(api_key=api_key, webhook_url=webhook_url, webhook_secret=webhook_secret,
                            deliver=deliver, public_url=public_url, clock=clock, hold_webhooks=hold_webhooks)
    if meter_event_rate_limit:
        sandbox.rate_limit(int(meter_event_rate_limit), scope="meter_events")
    if state_file:
        _persist(sandbox, state_file)
    api = StripeApi(app, sandbox.state)
    resources.register(api, sandbox)
    checkout.register(api, sandbox)
    invoices.register(api, sandbox)
    control.register(app, sandbox)

    @app.before_request
    def remember_public_url():
        from flask import request

        if not sandbox.public_url:
            sandbox.public_url = request.host_url.rstrip("/")

    @app.errorhandler(404)
    def unknown_route(_error):
        from .api import json_response

        return json_response(404, ApiError(404, "Unrecognized request URL. Please see https://stripe.com/docs.").body())

    @app.errorhandler(405)
    def wrong_method(_error):
        from .api import json_response

        return json_response(405, ApiError(405, "Unrecognized request URL (wrong method).").body())

    app.stripe = sandbox
    return app
