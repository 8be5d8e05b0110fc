"""POST /api/webhooks/stripe: signature checked, each event processed once, unknown types ignored."""

import json

import pytest
from django.urls import reverse

from billing.models import BillingAccount, CreditLedgerEntry, StripeEvent
from sandbox.stripe.webhooks import signature_header


def buy_credits(client_for, owner, stripe_sandbox, amount="25"):
    response = client_for(owner).post(reverse("billing:credits_buy"), {"amount": amount})
    session_id = response["Location"].rsplit("/", 1)[-1]
    stripe_sandbox.checkout_session_complete(session_id)
    return session_id


def completed_event(stripe_sandbox):
    return next(e for e in stripe_sandbox.state.events if e["type"] == "checkout.session.completed")


@pytest.mark.django_db
def test_a_replayed_event_is_processed_once(with_stripe, alice, client_for, stripe_sandbox):
    with_stripe(alice)
    buy_credits(client_for, alice, stripe_sandbox)
    stripe_sandbox.deliver_webhooks()
    event = completed_event(stripe_sandbox)

    assert stripe_sandbox.resend(event["id"]) == 200
    assert stripe_sandbox.resend(event["id"]) == 200

    assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1
    assert CreditLedgerEntry.objects.filter(owner=alice, reason="topup").count() == 1


@pytest.mark.django_db
def test_a_bad_signature_is_answered_400_and_changes_nothing(with_stripe, alice, client_for, stripe_sandbox):
    with_stripe(alice)
    buy_credits(client_for, alice, stripe_sandbox)
    event = completed_event(stripe_sandbox)

    assert stripe_sandbox.resend(event["id"], secret="whsec_somebody_else") == 400

    assert not StripeEvent.objects.exists()
    assert not CreditLedgerEntry.objects.exists()


@pytest.mark.django_db
def test_a_signature_older_than_five_minutes_is_refused(client, settings):
    body = json.dumps({"id": "evt_old", "type": "invoice.paid", "data": {"object": {}}})
    stale = signature_header(body, settings.STRIPE_WEBHOOK_SECRET, 1_000_000_000)

    response = client.post("/api/webhooks/stripe", data=body, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=stale)

    assert response.status_code == 400
    assert "signature" in response.json()["error"]
    assert not StripeEvent.objects.exists()


@pytest.mark.django_db
def test_a_missing_signature_or_a_body_that_is_no_event_is_refused(client, settings):
    import time

    assert client.post("/api/webhooks/stripe", data="{}", content_type="application/json").status_code == 400
    body = "not json"
    signed = signature_header(body, settings.STRIPE_WEBHOOK_SECRET, int(time.time()))
    response = client.post("/api/webhooks/stripe", data=body, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=signed)
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.django_db
def test_an_unknown_event_type_is_acknowledged_with_200_and_ignored(with_stripe, alice, stripe_sandbox):
    with_stripe(alice)
    stripe_sandbox.deliver_webhooks()  # customer.subscription.created: not one we act on
    customer = stripe_sandbox.state.get(alice.stripe_customer_id, "customer")
    stripe_sandbox.webhooks.emit("customer.tax_id.created", customer)

    assert stripe_sandbox.deliver_webhooks() == [("customer.tax_id.created", 200)]
    assert StripeEvent.objects.filter(type="customer.tax_id.created").count() == 1
    alice.refresh_from_db()
    assert not alice.card_on_file


@pytest.mark.django_db
def test_a_failed_invoice_flags_the_owner_and_a_paid_one_clears_it(with_stripe, alice, client_for, stripe_sandbox):
    with_stripe(alice)
    session_id = client_for(alice).post(reverse("billing:card_add"))["Location"].rsplit("/", 1)[-1]
    stripe_sandbox.checkout_session_complete(session_id, card_number="4000000000000341")  # fails charges
    stripe_sandbox.period_close(customer=alice.stripe_customer_id, outcome="failed")
    stripe_sandbox.deliver_webhooks()

    account = BillingAccount.objects.get(owner=alice)
    assert account.payment_failed_at is not None
    assert b"could not be charged" in client_for(alice).get(reverse("billing:page")).content
    assert client_for(alice).get(reverse("billing:api")).json()["payment_failed"] is True

    failed = stripe_sandbox.objects("invoice", customer=alice.stripe_customer_id)[0]
    failed.update(status="paid")
    stripe_sandbox.webhooks.emit("invoice.paid", failed)
    stripe_sandbox.deliver_webhooks()
    account.refresh_from_db()
    assert account.payment_failed_at is None


@pytest.mark.django_db
def test_a_deleted_subscription_is_forgotten(with_stripe, alice, stripe_sandbox):
    with_stripe(alice)
    subscription = stripe_sandbox.state.get(alice.stripe_subscription_id, "subscription")
    subscription["status"] = "canceled"
    stripe_sandbox.webhooks.emit("customer.subscription.deleted", subscription)
    stripe_sandbox.deliver_webhooks()

    alice.refresh_from_db()
    assert alice.stripe_subscription_id == ""
    assert BillingAccount.objects.get(owner=alice).subscription_status == "canceled"
