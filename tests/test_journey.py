"""The whole journey in Chromium against `make run`'s stack (sandbox runner, gunicorn, Celery worker
and beat as separate processes on free ports, the test database): sign up → add a card → cluster
assigned → Hopsworks account ready → the Kubernetes sandbox runs the user's pods → collection
slots run → the dashboard charts the hours and the cost → the daily sync → the Stripe sandbox's
invoice shows the same amount on the billing page. A screenshot per step in test-artifacts/."""

import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import User
from clusters.demo import DEMO_CLUSTER, seed_demo
from conftest import wait_for
from integrity.conservation import conservation_report
from usage.models import CollectionRun
from usage.slots import SLOT, slot_start
from usage.tasks import collect_usage_all

from .conftest import day_start
from .stack import FullStack

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLOTS = 4
CENT = Decimal("0.01")


@pytest.fixture
def stack(tmp_path, celery_processes, prices, settings):
    stack = FullStack(tmp_path / "stack", celery_processes)
    # `make run` seeds the demo cluster before starting the processes; so does the test.
    settings.DEMO_HOPSWORKS_URL = stack.urls["hopsworks"]
    settings.DEMO_KUBERNETES_URL = stack.urls["kubernetes"]
    seed_demo()
    # The test process reads Stripe (the daily sync command, the conservation report) like the app.
    settings.STRIPE_API_BASE = stack.urls["stripe"]
    yield stack.start()
    stack.stop()


def dollars(amount):
    return f"${Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)}"


def test_sign_up_card_cluster_pods_usage_chart_daily_sync_and_the_invoice_amount_on_the_billing_page(
    page, screenshot, stack
):
    web = stack.web
    # 1. Sign up through the Auth0 sandbox.
    page.goto(web + "/")
    page.get_by_role("link", name="Sign up or sign in").click()
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Name").fill("Ada Lovelace")
    screenshot(page, "sign-up")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{web}/dashboard/")
    expect(page.get_by_role("heading", name="Welcome, Ada Lovelace")).to_be_visible()
    screenshot(page, "signed-up")

    # 2. Add a card through the Stripe sandbox's Checkout.
    page.get_by_role("button", name="Add a card").first.click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(stack.urls['stripe'])}/"))
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Name on card").fill("Ada Lovelace")
    screenshot(page, "stripe-checkout")
    page.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{web}/billing/")
    expect(page.locator("#card-state")).to_contain_text("Card on file", timeout=20_000)
    screenshot(page, "card-on-file")

    # 3-4. The cluster is assigned; the worker creates the Hopsworks account.
    page.goto(f"{web}/dashboard/")
    card = page.locator("#instance-card")
    expect(card).to_contain_text(DEMO_CLUSTER)
    screenshot(page, "cluster-assigned")
    expect(card).to_contain_text("Ready", timeout=45_000)
    ada = User.objects.get(email="ada@example.com")
    expect(card.locator(".instance-username")).to_have_text(ada.hopsworks_username)
    screenshot(page, "hopsworks-ready")

    # 5. The Kubernetes sandbox runs Ada's pods (the Hopsworks sandbox told it about the new user).
    wait_for(lambda: ada.hopsworks_username in stack.sandbox_json("kubernetes", "/_sandbox/state")["owners"],
             timeout=20, message="the user's pods in the Kubernetes sandbox")
    page.goto(stack.urls["kubernetes"] + "/_sandbox/state")
    expect(page.locator("body")).to_contain_text(ada.hopsworks_username)
    screenshot(page, "kubernetes-pods")

    # 6. Collection slots, run by the worker: the sandbox's clock moves a slot ahead after each.
    slots = []
    for n in range(SLOTS):
        now = datetime.fromisoformat(stack.sandbox_json("kubernetes", "/_sandbox/state")["now"])
        slots.append(slot_start(now))
        collect_usage_all.apply_async(args=[slots[-1].isoformat()], queue=stack.celery.queue)
        wait_for(lambda: CollectionRun.objects.filter(slot_start=slots[-1], status="succeeded").exists(), timeout=60,
                 message=f"slot {slots[-1]} collected; worker log:\n{stack.celery.log('worker')[-2000:]}")
        if n < SLOTS - 1:
            stack.sandbox_json("kubernetes", "/_sandbox/clock", {"advance_seconds": 900})
    runs = CollectionRun.objects.filter(slot_start__in=slots).select_related("cluster")
    assert len(runs) == SLOTS and {run.cluster.name for run in runs} == {DEMO_CLUSTER}

    # 7. The dashboard charts the hours (a bar for the day) and shows the cost.
    start, end = slots[0], slots[-1] + SLOT
    counted = conservation_report(start=start, end=end)
    total = counted.totals()
    page.goto(f"{web}/dashboard/")
    for chart, key, unit in (("cpu-chart", "cpu", "CPU h"), ("gpu-chart", "gpu", "GPU h")):
        titles = page.locator(f"#{chart} rect.bar title").all_text_contents()
        for row in counted.rows:
            bar = titles.index(f"{row.day:%b} {row.day.day}: {row.counted[key]:.2f} {unit}")
            expect(page.locator(f"#{chart} rect.bar").nth(bar)).to_be_visible()
    expect(page.locator("#gpu-hours-total")).to_have_text(f"{total.counted['gpu']:.2f}")
    expect(page.locator("#cost-total")).to_have_text(dollars(total.cost_ran))
    screenshot(page, "usage-chart")

    # 8. The daily sync sends the day(s) to Stripe as meter events.
    for day in sorted({slot.date() for slot in slots}):
        call_command("sync_stripe_usage", "--date", day.isoformat())
    report = conservation_report(start=start, end=end)
    print(report)
    assert report.zero, str(report)
    assert report.totals().stripe["cpu"] > 0

    # The invoice on the billing page shows the same amount as the page's month to date.
    # 9. Stripe closes the period at the end of the day and invoices the meter events in it.
    period_end = day_start(slots[-1].date() + timedelta(days=1))
    (invoice,) = stack.sandbox_json("stripe", "/_sandbox/invoices/close",
                                    {"customer": ada.stripe_customer_id, "end": int(period_end.timestamp())})
    page.goto(f"{web}/billing/")
    invoices = page.locator("#invoices")
    expect(invoices).to_contain_text(invoice["number"])
    expect(invoices).to_contain_text(dollars(Decimal(invoice["total"]) / 100))
    expect(page.locator("#month-to-date")).to_have_text(dollars(total.cost_ran))
    screenshot(page, "billing-invoice")
    assert dollars(Decimal(invoice["total"]) / 100) == dollars(total.cost_ran)
    assert invoice["status"] == "paid"
    assert not [line for line in stack.processes.log("web").splitlines() if '" 500 ' in line]
