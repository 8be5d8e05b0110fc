"""Prepaid credits: bought through Checkout (payment mode), debited per collection slot, then hybrid."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.meter_sync import stripe_usage_sync
from billing.models import BillableUsage, CreditLedgerEntry
from billing.services import credits_add, usage_slot_record

D = Decimal


def balance(owner):
    return sum((e.amount for e in CreditLedgerEntry.objects.filter(owner=owner)), D("0"))


def buy(client_for, owner, stripe_sandbox, amount):
    response = client_for(owner).post(reverse("billing:credits_buy"), {"amount": amount})
    assert response.status_code == 302, response.content[:500]
    session_id = response["Location"].rsplit("/", 1)[-1]
    stripe_sandbox.checkout_session_complete(session_id)
    return stripe_sandbox.deliver_webhooks()


@pytest.mark.django_db
def test_buying_credits_grows_the_balance_once_per_payment(with_stripe, alice, client_for, stripe_sandbox):
    with_stripe(alice)

    buy(client_for, alice, stripe_sandbox, "50")
    completed = [e for e in stripe_sandbox.state.events if e["type"] == "checkout.session.completed"]
    stripe_sandbox.resend(completed[0]["id"])  # Stripe delivers at least once
    buy(client_for, alice, stripe_sandbox, "20.50")

    assert balance(alice) == D("70.50")
    assert CreditLedgerEntry.objects.filter(owner=alice, reason="topup").count() == 2
    session = stripe_sandbox.state.get(completed[0]["data"]["object"]["id"], "checkout.session")
    assert (session["mode"], session["amount_total"], session["customer"]) == ("payment", 5000, alice.stripe_customer_id)
    page = client_for(alice).get(reverse("billing:page")).content.decode()
    assert 'id="credit-balance">$70.50<' in page


@pytest.mark.django_db
def test_an_unpaid_checkout_adds_no_credit(with_stripe, alice, client_for, stripe_sandbox):
    with_stripe(alice)
    client_for(alice).post(reverse("billing:credits_buy"), {"amount": "50"})  # the person never pays

    stripe_sandbox.deliver_webhooks()

    assert balance(alice) == 0


@pytest.mark.parametrize("amount, message", [
    ("", "This field is required."), ("abc", "Enter an amount in dollars"), ("5", "Buy at least $10"),
    ("20000", "Buy at most $10,000"), ("10.123", "Ensure that there are no more than 2 decimal places."),
])
@pytest.mark.django_db
def test_a_bad_credit_amount_is_shown_beside_the_field_and_changes_nothing(
    with_stripe, alice, client_for, stripe_sandbox, amount, message
):
    with_stripe(alice)

    response = client_for(alice).post(reverse("billing:credits_buy"), {"amount": amount})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="field has-error"' in page and message in page
    assert stripe_sandbox.objects("checkout.session") == []


@pytest.mark.django_db
def test_a_collection_slot_is_debited_once_at_that_days_prices(with_stripe, alice, bob, stripe_sandbox):
    with_stripe(alice)
    credits_add(owner=alice, amount=D("10"), reason="grant", reference="welcome")
    day = timezone.now().date()
    rows = [(alice.pk, day, D("2"), D("0"), D("1")), (bob.pk, day, D("1"), D("1"), D("1"))]

    usage_slot_record(collection_run_id="slot-1", rows=rows)
    usage_slot_record(collection_run_id="slot-1", rows=rows)

    # 3 CPU h × $0.10 + 1 GPU h × $0.50 = $0.80, once
    assert balance(alice) == D("9.20")
    assert CreditLedgerEntry.objects.filter(owner=alice, reason="usage").count() == 1
    assert sum(r.postpaid_cpu_hours + r.postpaid_gpu_hours for r in BillableUsage.objects.all()) == 0


@pytest.mark.django_db
def test_when_credits_run_out_the_rest_is_billed_postpaid_and_the_owner_is_told(
    with_stripe, alice, client_for, stripe_sandbox
):
    with_stripe(alice)
    client_for(alice).post(reverse("billing:mode_change"), {"mode": "prepaid"})
    credits_add(owner=alice, amount=D("1"), reason="grant", reference="trial")
    day = timezone.now().date() - timedelta(days=1)

    # $1.50 of usage against $1.00 of credit: a third of the hours is left for the card.
    usage_slot_record(collection_run_id="slot-9", rows=[(alice.pk, day, D("10"), D("1"), D("0"))])

    assert balance(alice) == 0
    row = BillableUsage.objects.get(owner=alice)
    assert (row.postpaid_cpu_hours, row.postpaid_gpu_hours) == (D("3.333334"), D("0.333334"))
    page = client_for(alice).get(reverse("billing:page")).content.decode()
    assert 'id="credits-ran-out"' in page and "billed to your card" in page
    assert client_for(alice).get(reverse("billing:api")).json()["credits_ran_out_at"] is not None

    stripe_usage_sync(day=day)
    sent = {e["event_name"]: e["value"] for e in stripe_sandbox.meter_events_for(alice.stripe_customer_id)}
    assert sent == {"hopsworks_cpu_hours_from_20250101": D("3.333334"), "hopsworks_gpu_hours_from_20250101": D("0.333334")}


@pytest.mark.django_db
def test_new_credits_end_the_ran_out_notice(with_stripe, alice, client_for, stripe_sandbox):
    with_stripe(alice)
    credits_add(owner=alice, amount=D("1"), reason="grant", reference="trial")
    usage_slot_record(collection_run_id="slot-3", rows=[(alice.pk, timezone.now().date(), D("20"), D("0"), D("0"))])

    buy(client_for, alice, stripe_sandbox, "10")

    assert balance(alice) == D("10")
    assert 'id="credits-ran-out"' not in client_for(alice).get(reverse("billing:page")).content.decode()


@pytest.mark.django_db
def test_a_bad_billing_mode_is_refused_and_changes_nothing(alice, client_for):
    response = client_for(alice).post(reverse("billing:mode_change"), {"mode": "free"})

    assert response.status_code == 400
    assert b"Choose pay as you go or prepaid credits." in response.content
    alice.refresh_from_db()
    assert alice.billing_mode == "postpaid"
