"""A card goes on file only through Stripe's webhook, and that is what asks clusters for a seat."""

import pytest
from django.urls import reverse

from billing.models import BillingAccount
from clusters.models import UserHopsworksAssignment


def start_card_checkout(client_for, owner):
    response = client_for(owner).post(reverse("billing:card_add"))
    assert response.status_code == 302
    return response["Location"].rsplit("/", 1)[-1]


@pytest.mark.django_db
def test_the_card_checkout_is_stripe_checkout_in_setup_mode_for_the_owners_customer(
    with_stripe, alice, client_for, stripe_sandbox
):
    with_stripe(alice)

    session_id = start_card_checkout(client_for, alice)

    session = stripe_sandbox.state.get(session_id, "checkout.session")
    assert (session["mode"], session["customer"], session["currency"]) == ("setup", alice.stripe_customer_id, "usd")
    assert session["success_url"].endswith("/billing/card/done/?session_id={CHECKOUT_SESSION_ID}")


@pytest.mark.django_db
def test_the_checkout_webhook_marks_the_card_on_file_makes_it_the_default_and_asks_for_a_cluster(
    with_stripe, alice, client_for, stripe_sandbox, django_capture_on_commit_callbacks
):
    with_stripe(alice)
    session_id = start_card_checkout(client_for, alice)
    stripe_sandbox.checkout_session_complete(session_id)

    with django_capture_on_commit_callbacks(execute=True):
        deliveries = stripe_sandbox.deliver_webhooks()

    assert all(status == 200 for _, status in deliveries), deliveries
    alice.refresh_from_db()
    assert alice.card_on_file
    account = BillingAccount.objects.get(owner=alice)
    assert (account.card_brand, account.card_last4) == ("visa", "4242")
    customer = stripe_sandbox.state.get(alice.stripe_customer_id, "customer")
    assert customer["invoice_settings"]["default_payment_method"] == account.payment_method_id
    # No cluster exists in this test: clusters put her in the queue for one (not "waiting for card").
    assert UserHopsworksAssignment.objects.get(user=alice).state == "waiting_for_capacity"


@pytest.mark.django_db
def test_coming_back_from_checkout_without_the_webhook_does_not_mark_the_card(
    with_stripe, alice, client_for, stripe_sandbox
):
    with_stripe(alice)
    session_id = start_card_checkout(client_for, alice)
    stripe_sandbox.checkout_session_complete(session_id)  # webhooks held back: not delivered

    response = client_for(alice).get(reverse("billing:card_done") + f"?session_id={session_id}", follow=True)

    alice.refresh_from_db()
    assert not alice.card_on_file
    assert b"Stripe is confirming your card" in response.content
    assert b"Add a card" in response.content


@pytest.mark.django_db
def test_an_owner_without_a_card_sees_one_add_a_card_call_to_action(with_stripe, alice, client_for):
    with_stripe(alice)

    page = client_for(alice).get(reverse("billing:page")).content.decode()

    assert page.count(">Add a card</button>") == 1
    assert "No card on file" in page


@pytest.mark.django_db
def test_stripe_down_when_adding_a_card_says_so_and_changes_nothing(with_stripe, alice, client_for, stripe_sandbox):
    with_stripe(alice)
    stripe_sandbox.fail("error")

    response = client_for(alice).post(reverse("billing:card_add"), follow=True)

    assert b"could not reach our payment provider" in response.content
    assert stripe_sandbox.objects("checkout.session") == []
