"""The journey in Chromium: sign up, add a card through Stripe Checkout, watch the dashboard's
instance card become "ready" with the Hopsworks username (created by a real Celery worker)."""

import pytest
from playwright.sync_api import expect

from accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_after_the_card_the_dashboard_shows_the_instance_becoming_ready_with_the_hopsworks_username(
    page, screenshot, live_server, auth0_sandbox_live, stripe_sandbox_live, hopsworks_sandbox, hopsworks_cluster,
    celery_processes, celery_queue,
):
    procs = celery_processes()
    procs.start_worker(concurrency=1)
    celery_queue.use(procs.queue)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address").fill("grace@example.com")
    page.get_by_label("Name").fill("Grace Hopper")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    card = page.locator("#instance-card")
    expect(card).to_contain_text("Waiting for a card")
    screenshot(page, "dashboard-before-card")

    # One call to action on the dashboard: billing's "Add a card" (the instance card only explains).
    expect(page.get_by_role("button", name="Add a card")).to_have_count(1)
    page.get_by_role("button", name="Add a card").click()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Name on card").fill("Grace Hopper")
    screenshot(page, "stripe-checkout")
    page.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/billing/")

    page.goto(f"{live_server.url}/dashboard/")
    card = page.locator("#instance-card")
    expect(card).to_contain_text(hopsworks_cluster.name)
    screenshot(page, "dashboard-after-card")
    # The card refreshes itself (no reload) until the worker has created the Hopsworks account.
    expect(card).to_contain_text("Ready", timeout=30_000)
    grace = User.objects.get(email="grace@example.com")
    assert grace.hopsworks_username
    expect(card.locator(".instance-username")).to_have_text(grace.hopsworks_username)
    expect(card.get_by_role("link", name="Open Hopsworks")).to_have_attribute("href", f"{hopsworks_sandbox.url}/")
    screenshot(page, "dashboard-ready")
