"""A real SMTP server on loopback that keeps every message it receives (the mail sink for `make run`).

The app under test sends mail through Django's SMTP backend to `smtp_port` exactly as it would to
a provider's relay (settings: EMAIL_URL=smtp://127.0.0.1:8125). The Flask app returned by
`create_app` is the sink's window: a page listing the messages (links clickable) and JSON control
endpoints so a full `make run` stack can be driven from outside:

GET    /_sandbox/messages[?to=addr]   messages, newest first: id, from, to, subject, text, html, received_at
GET    /_sandbox/messages/<id>        one message
DELETE /_sandbox/messages             forget every message
POST   /_sandbox/failures             {"refuse": true|false}: answer every RCPT with 451 (a relay in trouble)
"""

import email
import itertools
import threading
import time
from email import policy

from aiosmtpd.controller import Controller
from flask import Flask, abort, jsonify, render_template_string, request

PAGE = """<!doctype html><title>Mail sink</title>
<style>body{font:15px system-ui;max-width:60rem;margin:2rem auto} pre{white-space:pre-wrap;background:#f4f5f7;padding:1rem}</style>
<h1>Mail sink <small>({{ messages|length }})</small></h1>
{% for m in messages %}<article><h2>{{ m.subject }}</h2><p>To {{ m.to|join(", ") }} · from {{ m.from }} · {{ m.received_at }}</p>
<pre>{{ m.text|urlize }}</pre></article>{% else %}<p>No mail yet. Invite someone from the team page.</p>{% endfor %}"""


class Mailbox:
    """Messages received, in memory, guarded by a lock (SMTP and HTTP threads share it)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._messages = []
        self._ids = itertools.count(1)
        self.refuse = False

    def add(self, *, mail_from, rcpt_tos, content):
        parsed = email.message_from_bytes(content, policy=policy.default)
        text = parsed.get_body(preferencelist=("plain",))
        html = parsed.get_body(preferencelist=("html",))
        with self._lock:
            message = {
                "id": next(self._ids), "from": mail_from, "to": list(rcpt_tos),
                "subject": str(parsed.get("Subject", "")), "reply_to": str(parsed.get("Reply-To", "")),
                "text": _content(text), "html": _content(html),
                "received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            self._messages.append(message)
        return message

    def messages(self, *, to=None):
        with self._lock:
            found = [m for m in self._messages if to is None or to.lower() in (t.lower() for t in m["to"])]
        return list(reversed(found))

    def clear(self):
        with self._lock:
            self._messages.clear()


def _content(part):
    return part.get_content().replace("\r\n", "\n") if part is not None else ""


class _Handler:
    def __init__(self, mailbox):
        self.mailbox = mailbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mailbox.refuse:
            return "451 4.3.0 Mail sink refusing mail (failure switch on)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.mailbox.add(mail_from=envelope.mail_from, rcpt_tos=envelope.rcpt_tos, content=envelope.content)
        return "250 Message accepted for delivery"


class SmtpSink:
    """The SMTP listener (aiosmtpd, its own thread and event loop) feeding a Mailbox."""

    def __init__(self, mailbox, *, port, host="127.0.0.1"):
        self.host, self.port = host, port
        self.controller = Controller(_Handler(mailbox), hostname=host, port=port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


def create_app(*, smtp_port=None, mailbox=None):
    """The sink's HTTP window; with `smtp_port` it also starts the SMTP listener (`app.smtp`)."""
    app = Flask(__name__)
    app.mailbox = mailbox or Mailbox()
    app.smtp = SmtpSink(app.mailbox, port=smtp_port).start() if smtp_port else None

    @app.get("/")
    def index():
        return render_template_string(PAGE, messages=app.mailbox.messages())

    @app.get("/_sandbox/messages")
    def messages():
        return jsonify(app.mailbox.messages(to=request.args.get("to")))

    @app.get("/_sandbox/messages/<int:message_id>")
    def message(message_id):
        found = [m for m in app.mailbox.messages() if m["id"] == message_id]
        return jsonify(found[0]) if found else abort(404)

    @app.delete("/_sandbox/messages")
    def clear():
        app.mailbox.clear()
        return "", 204

    @app.post("/_sandbox/failures")
    def failures():
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("refuse"), bool):
            return jsonify({"error": 'send {"refuse": true} or {"refuse": false}'}), 400
        app.mailbox.refuse = body["refuse"]
        return jsonify({"refuse": app.mailbox.refuse})

    return app
