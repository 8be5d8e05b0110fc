"""Billing page: Stripe sync per owner/day/meter, failed invoice payments, revenue month to date."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from adminpanel.models import AuditEntry
from billing.customers import stripe_customer_ensure
from billing.models import BillableUsage, BillingAccount, MeterEventSync


def _sync(owner, day, meter="cpu_hours", status="sent", value="1.5", **extra):
    return MeterEventSync.objects.create(
        owner=owner, day=day, meter=meter, value=Decimal(value), status=status,
        identifier=f"{owner.pk}-{day}-{meter}", **extra,
    )


def test_revenue_month_to_date_prices_every_owners_hours_at_that_days_prices(admin_client_for, alice, bob, charlie):
    today = timezone.now().date()
    # Alice's own and her member's usage on the 1st; Charlie's partly covered by credits.
    BillableUsage.objects.create(owner=alice, user=alice, day=today.replace(day=1), cpu_hours=Decimal("10"),
                                 gpu_hours=Decimal("2"), postpaid_cpu_hours=Decimal("10"), postpaid_gpu_hours=Decimal("2"))
    BillableUsage.objects.create(owner=alice, user=bob, day=today.replace(day=1), cpu_hours=Decimal("5"),
                                 postpaid_cpu_hours=Decimal("5"))
    BillableUsage.objects.create(owner=charlie, user=charlie, day=today, cpu_hours=Decimal("20"),
                                 postpaid_cpu_hours=Decimal("4"))
    # Last month does not count.
    BillableUsage.objects.create(owner=charlie, user=charlie, day=today.replace(day=1) - timedelta(days=1),
                                 cpu_hours=Decimal("1000"), postpaid_cpu_hours=Decimal("1000"))

    response = admin_client_for.get(reverse("adminpanel:billing"))

    revenue = response.context["revenue"]
    # (10 + 5 + 20) CPU h × $0.10 + 2 GPU h × $0.50 = $4.50; postpaid (19 CPU h, 2 GPU h) = $2.90.
    assert revenue["total"] == Decimal("4.5")
    assert revenue["postpaid"] == Decimal("2.9")
    assert revenue["credits"] == Decimal("1.6")
    body = response.content.decode()
    assert "$4.50" in body and "$2.90 billed through Stripe" in body and "$1.60 from prepaid credits" in body


def test_sync_records_filter_by_status_and_search_by_owner(admin_client_for, alice, charlie):
    day = timezone.now().date() - timedelta(days=1)
    _sync(alice, day, status="sent")
    _sync(charlie, day, status="failed", last_error="Stripe answered 500", attempts=3)
    url = reverse("adminpanel:billing")

    failed = admin_client_for.get(url, {"status": "failed"})
    assert [s.owner for s in failed.context["rows"]] == [charlie]
    assert "Stripe answered 500" in failed.content.decode()
    searched = admin_client_for.get(url, {"q": "alice@"})
    assert [s.owner for s in searched.context["rows"]] == [alice]
    assert admin_client_for.get(url, {"day": "not-a-day"}).status_code == 200


def test_yesterdays_sync_is_summarised(admin_client_for, alice, charlie):
    yesterday = timezone.now().date() - timedelta(days=1)
    _sync(alice, yesterday, "cpu_hours", "sent")
    _sync(alice, yesterday, "gpu_hours", "pending")
    _sync(charlie, yesterday, "cpu_hours", "failed")
    _sync(charlie, yesterday - timedelta(days=1), "cpu_hours", "failed")
    for url in (reverse("adminpanel:billing"), reverse("adminpanel:overview")):
        assert "1 sent · 1 pending · " in admin_client_for.get(url).content.decode()


def test_failed_invoice_payments_are_listed_with_a_stripe_link(admin_client_for, alice):
    BillingAccount.objects.create(owner=alice, payment_failed_at=timezone.now(), payment_failed_invoice="in_123")
    body = admin_client_for.get(reverse("adminpanel:billing")).content.decode()
    assert "alice@example.com" in body
    assert "https://dashboard.stripe.com/invoices/in_123" in body


def test_empty_billing_page_shows_empty_states_and_zero_revenue(admin_client_for):
    body = admin_client_for.get(reverse("adminpanel:billing")).content.decode()
    assert "No failed invoice payments." in body
    assert "No Stripe sync records match." in body
    assert "$0.00" in body


def test_billing_page_query_count_does_not_grow_with_records(admin_client_for, make_user, django_assert_max_num_queries):
    day = timezone.now().date()
    for n in range(30):
        owner = make_user(f"o{n}@example.com")
        for meter in ("cpu_hours", "gpu_hours"):
            _sync(owner, day - timedelta(days=1), meter, "failed" if n % 3 else "sent")
        BillableUsage.objects.create(owner=owner, user=owner, day=day, cpu_hours=Decimal("1"))
        BillingAccount.objects.create(owner=owner, payment_failed_at=timezone.now())
    with django_assert_max_num_queries(12):
        response = admin_client_for.get(reverse("adminpanel:billing"), {"page": 2})
    assert "Page 2 of 2" in response.content.decode()


def test_retrying_a_failed_sync_sends_that_one_meter_event_once_and_audits_it(
    admin_client_for, root, alice, stripe_sandbox
):
    customer = stripe_customer_ensure(owner=alice).stripe_customer_id
    sync = _sync(alice, timezone.now().date() - timedelta(days=2), status="failed",
                 last_error="The owner has no Stripe customer yet.")
    url = reverse("adminpanel:sync_retry", args=[sync.pk])
    assert "no Stripe customer yet" in admin_client_for.get(url).content.decode()

    response = admin_client_for.post(url, follow=True)

    assert f"Sent to Stripe: {sync.identifier}" in response.content.decode()
    assert [e["identifier"] for e in stripe_sandbox.meter_events_for(customer)] == [sync.identifier]
    sync.refresh_from_db()
    assert (sync.status, sync.attempts) == ("sent", 1)
    entry = AuditEntry.objects.get()
    assert (entry.admin, entry.action, entry.target_type, entry.target_id) == (root, "stripe_sync.retry", "meter_sync", str(sync.pk))
    assert (entry.before["status"], entry.after["status"]) == ("failed", "sent")

    again = admin_client_for.post(url, follow=True)

    assert "sent already" in again.content.decode()
    assert len(stripe_sandbox.meter_events_for(customer)) == 1
    assert AuditEntry.objects.count() == 1


def test_a_retry_stripe_does_not_take_is_shown_with_its_error_and_audited(admin_client_for, alice, stripe_sandbox):
    customer = stripe_customer_ensure(owner=alice).stripe_customer_id
    sync = _sync(alice, timezone.now().date() - timedelta(days=1), status="pending")
    stripe_sandbox.fail("error", customer=customer)

    response = admin_client_for.post(reverse("adminpanel:sync_retry", args=[sync.pk]), follow=True)

    assert f"Stripe did not take {sync.identifier} (pending)" in response.content.decode()
    assert stripe_sandbox.meter_events_for(customer) == []
    assert AuditEntry.objects.get().after["status"] == "pending"


@pytest.mark.parametrize(("status", "age_days", "message"), [
    ("sent", 1, "sent already"),
    ("failed", 40, "35 days"),
])
def test_retry_of_a_sent_or_too_old_sync_is_refused(admin_client_for, alice, status, age_days, message, stripe_sandbox):
    stripe_customer_ensure(owner=alice)
    sync = _sync(alice, timezone.now().date() - timedelta(days=age_days), status=status)
    response = admin_client_for.post(reverse("adminpanel:sync_retry", args=[sync.pk]), follow=True)
    assert message in response.content.decode()
    assert stripe_sandbox.meter_events_for() == [] and not AuditEntry.objects.exists()
