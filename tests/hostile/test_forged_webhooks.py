"""Webhooks under attack: forged or missing secrets and signatures, replays, bodies that are no
event, oversized and malformed payloads. Each gets a clear 4xx and changes nothing."""

import json
import time

import pytest
from django.test import Client

from sandbox.stripe.webhooks import signature_header

AUTH0 = "/api/webhooks/auth0"
STRIPE = "/api/webhooks/stripe"
DEEP = "[" * 50_000 + "]" * 50_000  # valid JSON nested deeper than any parser's recursion limit
NUL = "\x00"


def post_raw(path, body, **headers):
    data = body if isinstance(body, bytes) else body.encode()
    return Client(raise_request_exception=False).post(path, data=data, content_type="application/json", **headers)


# ---------------------------------------------------------------- Auth0 registration webhook

SECRETS = {
    "no header": None,
    "empty header": "",
    "wrong secret": "not-the-secret",
    "the secret with one more character": "{secret}x",
    "the secret without its last character": "{secret_short}",
    "non-ASCII secret": "sécret-ü-中文",
    "the secret in upper case": "{secret_upper}",
}


@pytest.mark.parametrize("case", SECRETS)
def test_auth0_webhook_without_the_right_secret_is_401_and_creates_nobody(case, settings, unchanged, alice):
    secret = settings.AUTH0_WEBHOOK_SECRET
    given = SECRETS[case]
    headers = {}
    if given is not None:
        headers["HTTP_X_AUTH0_SECRET"] = given.format(secret=secret, secret_short=secret[:-1],
                                                      secret_upper=secret.upper())
    body = json.dumps({"user_id": "auth0|forged", "email": "forged@example.com", "name": "Forged"})
    with unchanged():
        response = post_raw(AUTH0, body, **headers)
    assert response.status_code == 401
    assert "x-auth0-secret" in response.json()["error"]


def test_auth0_webhook_secret_in_the_query_string_or_as_a_bearer_token_is_not_accepted(settings, unchanged):
    body = json.dumps({"user_id": "auth0|forged", "email": "forged@example.com"})
    secret = settings.AUTH0_WEBHOOK_SECRET
    with unchanged():
        in_query = Client().post(f"{AUTH0}?x-auth0-secret={secret}", data=body, content_type="application/json")
        as_bearer = post_raw(AUTH0, body, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert in_query.status_code == as_bearer.status_code == 401


AUTH0_BODIES = {
    "not JSON": ("user_id=auth0|x&email=x@example.com", "not valid JSON"),
    "bytes that are not UTF-8": (b"\xff\xfe\x00{", "not valid JSON"),
    "a JSON array": ('[{"user_id": "auth0|x", "email": "x@example.com"}]', "JSON object"),
    "a JSON string": ('"auth0|x"', "JSON object"),
    "JSON null": ("null", "JSON object"),
    "a number": ("42", "JSON object"),
    "nested deeper than the parser goes": (DEEP, "not valid JSON"),
    "an empty object": ("{}", "'user_id' is required"),
    "user_id a number": ({"user_id": 12345, "email": "x@example.com"}, "'user_id' is required"),
    "user_id an object": ({"user_id": {"$ne": ""}, "email": "x@example.com"}, "'user_id' is required"),
    "user_id empty": ({"user_id": "", "email": "x@example.com"}, "'user_id' is required"),
    "user_id blank": ({"user_id": "   ", "email": "x@example.com"}, "'user_id' is required"),
    "user_id too long": ({"user_id": "auth0|" + "a" * 300, "email": "x@example.com"}, "'user_id'"),
    "user_id with a NUL character": ({"user_id": f"auth0|a{NUL}b", "email": "x@example.com"}, "'user_id'"),
    "email missing": ({"user_id": "auth0|x"}, "'email' is required"),
    "email null": ({"user_id": "auth0|x", "email": None}, "'email' is required"),
    "email a list": ({"user_id": "auth0|x", "email": ["x@example.com"]}, "'email' is required"),
    "email not an address": ({"user_id": "auth0|x", "email": "not-an-address"}, "not a valid email"),
    "email with HTML": ({"user_id": "auth0|x", "email": "<script>alert(1)</script>@example.com"}, "not a valid email"),
    "email with SQL": ({"user_id": "auth0|x", "email": "x'; DROP TABLE users; --@example.com"}, "not a valid email"),
    "email longer than the column": ({"user_id": "auth0|x", "email": "a" * 250 + "@example.com"}, "'email'"),
    "email with a NUL character": ({"user_id": "auth0|x", "email": f"x{NUL}@example.com"}, "'email'"),
    "name a list": ({"user_id": "auth0|x", "email": "x@example.com", "name": ["a"]}, "'name' must be a string"),
    "name too long": ({"user_id": "auth0|x", "email": "x@example.com", "name": "n" * 256}, "'name' must be a string"),
    "name with a NUL character": ({"user_id": "auth0|x", "email": "x@example.com", "name": f"Eve{NUL}"}, "'name'"),
}


@pytest.mark.parametrize("case", AUTH0_BODIES)
def test_auth0_webhook_with_a_bad_body_is_400_with_the_reason_and_creates_nobody(case, settings, unchanged, alice):
    body, reason = AUTH0_BODIES[case]
    if isinstance(body, dict):
        body = json.dumps(body)
    with unchanged():
        response = post_raw(AUTH0, body, HTTP_X_AUTH0_SECRET=settings.AUTH0_WEBHOOK_SECRET)
    assert response.status_code == 400, response.content[:300]
    assert reason in response.json()["error"]


def test_auth0_webhook_body_larger_than_the_upload_limit_is_400(settings, unchanged):
    big = json.dumps({"user_id": "auth0|big", "email": "big@example.com", "name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    with unchanged():
        response = post_raw(AUTH0, big, HTTP_X_AUTH0_SECRET=settings.AUTH0_WEBHOOK_SECRET)
    assert response.status_code == 400


# ---------------------------------------------------------------- Stripe webhook

def stripe_post(body, signature):
    headers = {} if signature is None else {"HTTP_STRIPE_SIGNATURE": signature}
    return post_raw(STRIPE, body, **headers)


def signed(body, secret, *, at=None):
    return signature_header(body, secret, int(at if at is not None else time.time()))


def moved_timestamp(body, secret):
    now = int(time.time())
    return f"t={now - 1},v1={signed(body, secret, at=now).split('v1=')[1]}"


def invoice_failed_event(customer="cus_unknown"):
    return json.dumps({"id": "evt_forged_1", "object": "event", "type": "invoice.payment_failed",
                       "data": {"object": {"id": "in_forged", "object": "invoice", "customer": customer}}})


SIGNATURES = {
    "no Stripe-Signature header": lambda body, secret: None,
    "an empty header": lambda body, secret: "",
    "garbage": lambda body, secret: "this is not a signature",
    "a v1 of the wrong length": lambda body, secret: f"t={int(time.time())},v1=abc",
    "signed with another secret": lambda body, secret: signed(body, "whsec_somebody_else"),
    "signed six minutes ago": lambda body, secret: signed(body, secret, at=time.time() - 360),
    "a valid v1 moved to another timestamp": lambda body, secret: moved_timestamp(body, secret),
    "only a v0 scheme": lambda body, secret: signed(body, secret).replace("v1=", "v0="),
    "signed over another body": lambda body, secret: signed(body.replace("in_forged", "in_other"), secret),
    "signed over the body without its last byte": lambda body, secret: signed(body[:-1], secret),
}


@pytest.mark.parametrize("case", SIGNATURES)
def test_stripe_webhook_with_a_forged_signature_is_400_and_records_nothing(case, settings, stripe_sandbox, unchanged, alice):
    type(alice).objects.filter(pk=alice.pk).update(stripe_customer_id="cus_forged_target")
    body = invoice_failed_event(customer="cus_forged_target")
    with unchanged():
        response = stripe_post(body, SIGNATURES[case](body, settings.STRIPE_WEBHOOK_SECRET))
    assert response.status_code == 400
    assert response.json()["error"] == "Invalid Stripe signature."


def _event(**changes):
    event = {"id": "evt_malformed", "object": "event", "type": "invoice.payment_failed",
             "data": {"object": {"id": "in_1", "object": "invoice", "customer": "{customer}"}}}
    event.update(changes)
    return event


def _session(**fields):
    session = {"id": "cs_forged", "object": "checkout.session", "customer": "{customer}", "mode": "payment",
               "metadata": {"purpose": "credits"}, "payment_status": "paid", "amount_total": 5000}
    session.update(fields)
    return _event(type="checkout.session.completed", data={"object": session})


NOT_AN_EVENT = "The webhook body is not a Stripe event."
# Correctly signed (only Stripe, or whoever stole the secret, can do that), yet not what Stripe sends.
SIGNED_MALFORMED = {
    "not JSON": ("event=invoice.paid", NOT_AN_EVENT),
    "a JSON array": ("[]", NOT_AN_EVENT),
    "JSON null": ("null", NOT_AN_EVENT),
    "nested deeper than the parser goes": (DEEP, NOT_AN_EVENT),
    "no id": ({k: v for k, v in _event().items() if k != "id"}, NOT_AN_EVENT),
    "no data": ({k: v for k, v in _event().items() if k != "data"}, NOT_AN_EVENT),
    "id a number": (_event(id=42), NOT_AN_EVENT),
    "id an object": (_event(id={"$gt": ""}), NOT_AN_EVENT),
    "id longer than any Stripe id": (_event(id="evt_" + "x" * 1000), NOT_AN_EVENT),
    "id with a NUL character": (_event(id=f"evt_{NUL}"), NOT_AN_EVENT),
    "type a list": (_event(type=["invoice.paid"]), NOT_AN_EVENT),
    "data.object a string": (_event(data={"object": "in_1"}), NOT_AN_EVENT),
    "data.object a list": (_event(data={"object": []}), NOT_AN_EVENT),
    "a NUL character inside the object": (_event(data={"object": {"id": "in_1", "customer": f"cus_{NUL}"}}), NOT_AN_EVENT),
    "credits paid with an amount that is not a number": (_session(amount_total="5000"), "amount_total"),
    "credits paid with a negative amount": (_session(amount_total=-5000), "amount_total"),
    "credits paid with a fractional amount of cents": (_session(amount_total=12.5), "amount_total"),
    "metadata a string": (_session(metadata="credits"), "metadata"),
}


@pytest.mark.parametrize("case", SIGNED_MALFORMED)
def test_stripe_webhook_signed_but_malformed_is_400_and_records_nothing(case, settings, stripe_sandbox, unchanged, alice):
    type(alice).objects.filter(pk=alice.pk).update(stripe_customer_id="cus_malformed_target")
    body, reason = SIGNED_MALFORMED[case]
    if not isinstance(body, str):
        body = json.dumps(body).replace("{customer}", "cus_malformed_target")
    with unchanged():
        response = stripe_post(body, signed(body, settings.STRIPE_WEBHOOK_SECRET))
    assert response.status_code == 400, response.content[:300]
    assert reason in response.json()["error"]


def test_stripe_webhook_body_that_is_not_utf8_is_400(settings, stripe_sandbox, unchanged):
    body = b'{"id": "evt_\xff\xfe", "type": "invoice.paid"}'
    signature = signature_header(body.decode("latin-1"), settings.STRIPE_WEBHOOK_SECRET, int(time.time()))
    with unchanged():
        response = stripe_post(body, signature)
    assert response.status_code == 400


def test_stripe_webhook_body_larger_than_the_upload_limit_is_400(settings, stripe_sandbox, unchanged):
    body = json.dumps(_event(padding="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)))
    with unchanged():
        response = stripe_post(body, signed(body, settings.STRIPE_WEBHOOK_SECRET))
    assert response.status_code == 400


def test_a_genuine_credit_purchase_replayed_later_adds_the_credit_once(world, stripe_sandbox, unchanged):
    """Replays carry a valid signature (a fresh one: Stripe re-signs each delivery): they are
    acknowledged with 200 so Stripe stops retrying, and change nothing."""
    from billing.models import CreditLedgerEntry

    client = Client()
    client.force_login(world.alice)
    session_id = client.post("/billing/credits/", {"amount": "25"})["Location"].rsplit("/", 1)[-1]
    stripe_sandbox.checkout_session_complete(session_id)
    stripe_sandbox.deliver_webhooks()
    topups = CreditLedgerEntry.objects.filter(owner=world.alice, reason="topup")
    assert [str(e.amount) for e in topups] == ["25.000000"]
    event = next(e for e in stripe_sandbox.state.events if e["type"] == "checkout.session.completed")

    with unchanged("replaying the event"):
        statuses = [stripe_sandbox.resend(event["id"]) for _ in range(3)]
    assert statuses == [200, 200, 200]


def test_a_replayed_auth0_registration_creates_the_user_once_and_then_changes_nothing(settings, unchanged):
    body = json.dumps({"user_id": "auth0|replayed", "email": "replayed@example.com", "name": "Re Played"})
    first = post_raw(AUTH0, body, HTTP_X_AUTH0_SECRET=settings.AUTH0_WEBHOOK_SECRET)
    assert first.json() == {"user_id": "auth0|replayed", "created": True}
    with unchanged("replaying the webhook"):
        replays = [post_raw(AUTH0, body, HTTP_X_AUTH0_SECRET=settings.AUTH0_WEBHOOK_SECRET) for _ in range(3)]
    assert [r.json()["created"] for r in replays] == [False, False, False]
