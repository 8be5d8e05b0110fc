"""pytest fixtures: the Stripe sandbox on a free port, with Django settings pointed at it.

One server per test session; each test gets it with its state wiped and its own wiring:
`stripe_sandbox` holds webhooks until `stripe_sandbox.deliver_webhooks()`, which POSTs them, signed,
through Django's test client from the test's own thread (same database transaction).
`stripe_sandbox_live` POSTs them over HTTP to pytest-django's `live_server` as they happen.
Either way the app's `Stripe-Signature` check runs for real.
"""

import pytest

from sandbox.serving import start_in_thread
from sandbox.stripe.server import create_app

WEBHOOK_PATH = "/api/webhooks/stripe"


@pytest.fixture(scope="session")
def _stripe_server():
    app = create_app(api_key="sk_test_placeholder")
    running = start_in_thread(app)
    app.stripe.url = running.url
    app.stripe.public_url = running.url
    yield app.stripe
    running.stop()


def _wired(sandbox, settings, *, webhook_url, deliver=None, hold=False):
    sandbox.reset()
    sandbox.state.api_key = settings.STRIPE_SECRET_KEY
    sandbox.state.webhook_secret = settings.STRIPE_WEBHOOK_SECRET
    sandbox.state.webhook_url = webhook_url
    sandbox.webhooks.hold = hold
    sandbox.webhooks.deliver = deliver or sandbox.webhooks.default_deliver
    settings.STRIPE_API_BASE = sandbox.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    settings.STRIPE_RATE_LIMIT_BACKOFF = 0.05
    settings.STRIPE_TIMEOUT = 5.0
    return sandbox


@pytest.fixture
def stripe_sandbox(_stripe_server, settings, db):
    """The sandbox (`StripeSandbox`): `.url`, `.objects(kind)`, `.fail(...)`, `.deliver_webhooks()`."""
    from django.test import Client

    webhook_client = Client()

    def deliver(url, body, headers):
        response = webhook_client.post(
            WEBHOOK_PATH, data=body.encode(), content_type=headers["Content-Type"],
            HTTP_STRIPE_SIGNATURE=headers["Stripe-Signature"],
        )
        return response.status_code

    yield _wired(_stripe_server, settings, webhook_url="in-process" + WEBHOOK_PATH, deliver=deliver, hold=True)
    _stripe_server.heal()
    _stripe_server.rate_limit(None, scope="*")


@pytest.fixture
def stripe_sandbox_live(_stripe_server, settings, live_server):
    """The sandbox delivering webhooks over HTTP to `live_server` as they happen (browser journeys)."""
    yield _wired(_stripe_server, settings, webhook_url=live_server.url + WEBHOOK_PATH)
    _stripe_server.heal()
