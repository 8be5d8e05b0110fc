"""Account owners get one Stripe customer and one metered subscription; team members get none."""

import pytest

from accounts.models import User
from accounts.services import user_upsert_from_auth0
from accounts.signals import account_owner_created
from billing.customers import stripe_customer_ensure
from billing.models import Price


def customers_of(stripe_sandbox, user):
    return [c for c in stripe_sandbox.objects("customer") if c["metadata"].get("user_id") == str(user.pk)]


@pytest.mark.django_db
def test_owner_sign_up_creates_exactly_one_customer_and_subscription_even_when_the_hook_runs_twice(
    stripe_sandbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        owner, created = user_upsert_from_auth0(sub="auth0|dora", email="dora@example.com", name="Dora")
    assert created
    with django_capture_on_commit_callbacks(execute=True):
        account_owner_created.send(sender=User, user=owner)
    # Even with our stored ids lost, the idempotency keys derived from our ids make no second customer.
    User.objects.filter(pk=owner.pk).update(stripe_customer_id="", stripe_subscription_id="")
    with django_capture_on_commit_callbacks(execute=True):
        account_owner_created.send(sender=User, user=owner)

    owner.refresh_from_db()
    customers = customers_of(stripe_sandbox, owner)
    assert [c["id"] for c in customers] == [owner.stripe_customer_id]
    assert customers[0]["email"] == "dora@example.com"
    subscriptions = stripe_sandbox.objects("subscription", customer=owner.stripe_customer_id)
    assert [s["id"] for s in subscriptions] == [owner.stripe_subscription_id]
    prices = {item["price"]["id"] for item in subscriptions[0]["items"]["data"]}
    assert prices == set(Price.objects.values_list("stripe_price_id", flat=True))


@pytest.mark.django_db
def test_the_subscription_charges_the_database_prices_per_cpu_and_gpu_hour_on_daily_meters(with_stripe, alice,
                                                                                             stripe_sandbox):
    with_stripe(alice)

    subscription = stripe_sandbox.objects("subscription", customer=alice.stripe_customer_id)[0]
    by_meter = {}
    for item in subscription["items"]["data"]:
        meter = stripe_sandbox.state.get(item["price"]["recurring"]["meter"], "billing.meter")
        by_meter[meter["event_name"]] = (item["price"]["unit_amount_decimal"], meter["event_time_window"])
    assert by_meter == {"hopsworks_cpu_hours_from_20250101": ("10", "day"),
                        "hopsworks_gpu_hours_from_20250101": ("50", "day")}


@pytest.mark.django_db
def test_signing_up_through_a_team_invite_creates_no_stripe_objects(
    with_stripe, alice, stripe_sandbox, settings, django_capture_on_commit_callbacks
):
    from teams.services import invite_create

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with_stripe(alice)
    invite_create(owner=alice, emails=["erin@example.com"], base_url="http://testserver")

    with django_capture_on_commit_callbacks(execute=True):
        member, _ = user_upsert_from_auth0(sub="auth0|erin", email="erin@example.com", name="Erin")

    assert member.account_owner_id == alice.pk
    assert member.stripe_customer_id == ""
    assert [c["id"] for c in stripe_sandbox.objects("customer")] == [alice.stripe_customer_id]
    assert len(stripe_sandbox.objects("subscription")) == 1


@pytest.mark.django_db
def test_a_team_member_gets_no_stripe_customer(bob, stripe_sandbox):
    assert stripe_customer_ensure(owner=bob) is None

    bob.refresh_from_db()
    assert bob.stripe_customer_id == ""
    assert stripe_sandbox.objects("customer") == []


@pytest.mark.django_db
def test_a_second_owner_gets_a_customer_of_their_own(with_stripe, alice, charlie, stripe_sandbox):
    with_stripe(alice)
    with_stripe(charlie)

    assert alice.stripe_customer_id != charlie.stripe_customer_id
    assert len(stripe_sandbox.objects("customer")) == 2
    assert len(stripe_sandbox.objects("billing.meter")) == 2  # the catalog is made once
