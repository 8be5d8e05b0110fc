"""The billing page and GET /api/billing: owners only; month-to-date cost by day, person, project."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Price
from billing.services import credits_add


def this_month_days():
    today = timezone.now().date()
    first = today.replace(day=1)
    return first, today


@pytest.mark.django_db
def test_a_team_member_gets_403_on_the_page_and_the_api(bob, client_for):
    member = client_for(bob)

    page = member.get(reverse("billing:page"))
    api = member.get(reverse("billing:api"))

    assert page.status_code == 403 and b"account owner" in page.content
    assert api.status_code == 403 and "error" in api.json()
    assert member.post(reverse("billing:card_add")).status_code == 403
    assert member.post(reverse("billing:credits_buy"), {"amount": "50"}).status_code == 403


@pytest.mark.django_db
def test_signed_out_visitors_are_sent_to_sign_in_or_get_401(client):
    assert client.get(reverse("billing:page")).status_code == 302
    assert client.get(reverse("billing:api")).status_code == 401


@pytest.mark.django_db
def test_an_owner_without_usage_sees_zeros_and_empty_states(alice, client_for, stripe_sandbox):
    page = client_for(alice).get(reverse("billing:page")).content.decode()

    assert 'id="month-to-date">$0.00<' in page
    assert "No usage this month yet" in page and "No invoices yet" in page
    data = client_for(alice).get(reverse("billing:api")).json()
    assert data["month_to_date"]["cost"] == "0.00" and data["by_day"] == [] and data["invoices"] == []


@pytest.mark.django_db
def test_month_to_date_cost_is_split_by_day_resource_person_and_project(
    with_stripe, collect, alice, bob, client_for, django_assert_max_num_queries
):
    first, today = this_month_days()
    with_stripe(alice)
    collect(alice, first, "10", gpu="1", project="fraud")
    collect(bob, today, "5", project="churn")
    collect(alice, first - timedelta(days=1), "100")  # last month: not in this month's cost

    owner = client_for(alice)
    with django_assert_max_num_queries(10):
        data = owner.get(reverse("billing:api")).json()

    same_day = first == today
    assert data["month_to_date"]["cost"] == "2.00"  # 15 CPU h × $0.10 + 1 GPU h × $0.50
    assert data["month_to_date"]["cpu_cost"] == "1.50" and data["month_to_date"]["gpu_cost"] == "0.50"
    assert [d["cost"] for d in data["by_day"]] == (["2.00"] if same_day else ["1.50", "0.50"])
    assert [(u["name"], u["role"], u["cost"]) for u in data["by_user"]] == [
        ("Alice Owner", "owner", "1.50"), ("Bob Member", "member", "0.50")
    ]
    assert {p["project"]: p["cost"] for p in data["by_project"]} == {"churn": "0.50", "fraud": "1.50"}
    page = client_for(alice).get(reverse("billing:page")).content.decode()
    assert 'id="month-to-date">$2.00<' in page and "Bob Member" in page and "team member" in page


@pytest.mark.django_db
def test_a_days_cost_uses_the_price_in_effect_that_day(collect, alice):
    from datetime import date

    from billing.statements import month_to_date

    Price.objects.create(resource="cpu_hour", unit_amount=Decimal("0.20"), effective_from=date(2026, 10, 15))
    collect(alice, date(2026, 10, 14), "10")
    collect(alice, date(2026, 10, 15), "10")

    statement = month_to_date(owner=alice, today=date(2026, 10, 20))

    assert [(d["day"].day, d["cost"]) for d in statement["by_day"]] == [(14, Decimal("1.00")), (15, Decimal("2.00"))]
    assert statement["total"]["cost"] == Decimal("3.00")


@pytest.mark.django_db
def test_invoices_from_stripe_are_listed_with_amount_status_and_link(
    with_stripe, collect, alice, client_for, stripe_sandbox
):
    from billing.meter_sync import stripe_usage_sync

    with_stripe(alice)
    subscription = stripe_sandbox.state.get(alice.stripe_subscription_id, "subscription")
    for item in subscription["items"]["data"]:  # she signed up last week
        item["current_period_start"] -= 7 * 86400
    day = timezone.now().date() - timedelta(days=1)
    collect(alice, day, "12.5", gpu="2")
    stripe_usage_sync(day=day)
    stripe_sandbox.period_close(customer=alice.stripe_customer_id)

    data = client_for(alice).get(reverse("billing:api")).json()

    (invoice,) = data["invoices"]
    assert invoice["total"] == "2.25"  # 12.5 × 10¢ + 2 × 50¢
    assert invoice["status"] == "open"  # no card on file: the charge failed, the invoice stays open
    assert invoice["url"].startswith(stripe_sandbox.url + "/i/")
    page = client_for(alice).get(reverse("billing:page")).content.decode()
    assert f'href="{invoice["url"]}"' in page and "$2.25" in page


@pytest.mark.django_db
def test_stripe_being_down_leaves_the_page_working_with_a_note_on_invoices(with_stripe, alice, client_for,
                                                                           stripe_sandbox):
    with_stripe(alice)
    credits_add(owner=alice, amount=Decimal("5"), reason="grant", reference="x")
    stripe_sandbox.fail("error")

    response = client_for(alice).get(reverse("billing:page"))

    assert response.status_code == 200
    assert b"Invoices cannot be loaded from Stripe right now" in response.content
    assert b'id="credit-balance">$5.00<' in response.content
