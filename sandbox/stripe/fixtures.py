"""pytest fixtures: the Stripe sandbox on a free port, with Django settings pointed at it.

`stripe_sandbox` holds webhooks until `stripe_sandbox.deliver_webhooks()`, which POSTs them, signed,
through Django's test client from the test's own thread (same database transaction).
`stripe_sandbox_live` POSTs them over HTTP to pytest-django's `live_server` as they happen.
Either way the app's `Stripe-Signature` check runs for real.
"""

import pytest

from sandbox.serving import start_in_thread
from sandbox.stripe.server import create_app

WEBHOOK_PATH = "/api/webhooks/stripe"


def _point_settings_at(settings, running):
    settings.STRIPE_API_BASE = running.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    settings.STRIPE_RATE_LIMIT_BACKOFF = 0.05
    settings.STRIPE_TIMEOUT = 5.0


def _started(app, settings):
    running = start_in_thread(app)
    app.stripe.url = running.url
    app.stripe.public_url = running.url
    _point_settings_at(settings, running)
    return running


@pytest.fixture
def stripe_sandbox(settings, db):
    """The sandbox (`StripeSandbox`): `.url`, `.objects(kind)`, `.fail(...)`, `.deliver_webhooks()`."""
    from django.test import Client

    webhook_client = Client()

    def deliver(url, body, headers):
        response = webhook_client.post(
            WEBHOOK_PATH, data=body.encode(), content_type=headers["Content-Type"],
            HTTP_STRIPE_SIGNATURE=headers["Stripe-Signature"],
        )
        return response.status_code

    app = create_app(api_key=settings.STRIPE_SECRET_KEY, webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
                     webhook_url="in-process" + WEBHOOK_PATH, deliver=deliver, hold_webhooks=True)
    running = _started(app, settings)
    yield app.stripe
    running.stop()


@pytest.fixture
def stripe_sandbox_live(settings, live_server):
    """The sandbox delivering webhooks over HTTP to `live_server` (browser journeys)."""
    app = create_app(api_key=settings.STRIPE_SECRET_KEY, webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
                     webhook_url=live_server.url + WEBHOOK_PATH)
    running = _started(app, settings)
    yield app.stripe
    running.stop()
