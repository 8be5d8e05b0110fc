"""The card journey in Chromium: sign up → "Add a card" → Stripe Checkout → back → card on file."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from billing.models import StripeEvent


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded prices
def test_sign_up_add_a_card_through_stripe_checkout_and_see_it_on_file(
    page, screenshot, auth0_sandbox_live, stripe_sandbox_live, live_server
):
    page.goto(live_server.url + "/login/")
    page.get_by_label("Email address").fill("erin@example.com")
    page.get_by_label("Name").fill("Erin Owner")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{live_server.url}/dashboard/")

    page.goto(live_server.url + "/billing/")
    expect(page.get_by_text("No card on file.")).to_be_visible()
    screenshot(page, "billing-without-card")
    page.get_by_role("button", name="Add a card").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(stripe_sandbox_live.url)}/c/pay/cs_test_"))
    expect(page.get_by_role("heading", name="Save a card")).to_be_visible()
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    screenshot(page, "stripe-checkout")
    page.get_by_role("button", name="Save card").click()

    expect(page).to_have_url(f"{live_server.url}/billing/")
    expect(page.get_by_text("Your card is on file.")).to_be_visible()
    expect(page.locator("#card-state")).to_contain_text("Visa ending in 4242")
    expect(page.get_by_role("button", name="Change card")).to_be_visible()
    expect(page.get_by_role("button", name="Add a card")).to_have_count(0)
    screenshot(page, "billing-card-on-file")

    owner = User.objects.get(email="erin@example.com")
    assert owner.card_on_file
    # It was Stripe's signed webhook that put the card on file, not the redirect back.
    assert StripeEvent.objects.filter(type="checkout.session.completed").count() == 1
    session = stripe_sandbox_live.objects("checkout.session")[0]
    assert session["customer"] == owner.stripe_customer_id and session["status"] == "complete"
    assert [d["status"] for d in stripe_sandbox_live.state.deliveries if d["type"] == "checkout.session.completed"] == [200]
