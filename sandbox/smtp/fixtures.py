"""pytest fixture: the mail sink on free ports, and Django's email settings pointed at it."""

import pytest

from sandbox.serving import free_port, start_in_thread

from .server import create_app


@pytest.fixture
def smtp_sink(settings):
    """A running sink: `.app.mailbox.messages(to=...)`, `.url` (its HTTP window), `.smtp_port`.
    Mail sent by the app in this test goes over real SMTP to it (not Django's test outbox)."""
    smtp_port = free_port()
    app = create_app(smtp_port=smtp_port)
    server = start_in_thread(app)
    server.smtp_port = smtp_port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()
    app.smtp.stop()
