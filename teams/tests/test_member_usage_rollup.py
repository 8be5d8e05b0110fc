"""Members' usage is the owner's to pay: in the owner's monthly totals and in the owner's Stripe
meter events, measured end to end from the Kubernetes sandbox through the collection run."""

from datetime import timedelta
from decimal import Decimal

import pytest
import yaml

from billing.customers import stripe_customer_ensure
from billing.meter_sync import stripe_usage_sync
from clusters.services import cluster_create
from sandbox.kubernetes import kubeconfig_for
from usage.services import collection_run_execute
from usage.slots import slot_day, slot_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def collected_team(make_user, kubernetes_sandbox_factory, stripe_sandbox):
    """Alice (owner, Stripe customer) and her member Bob both ran pods during the current slot."""
    slot = slot_start()
    kube = kubernetes_sandbox_factory(start=slot + timedelta(minutes=1))
    cluster = cluster_create(name="eu-1", api_url="http://127.0.0.1:9", api_key="unused", max_users=10,
                             kubeconfig=yaml.safe_dump(kubeconfig_for(kube.url, kube.token)))
    alice = make_user("alice@example.com", name="Alice Owner", hopsworks_username="alice")
    bob = make_user("bob@example.com", name="Bob Member", owner=alice, hopsworks_username="bob")
    alice = stripe_customer_ensure(owner=alice)
    kube.sandbox.pod_add("alice", "alice-proj", cpu="1")  # 0.25 CPU hours in a 15-minute slot
    kube.sandbox.pod_add("bob", "bob-proj", cpu="2", gpus=1)  # 0.50 CPU hours, 0.25 GPU hours
    assert collection_run_execute(cluster=cluster, slot=slot).outcome == "collected"
    return {"alice": alice, "bob": bob, "slot": slot}


def test_member_usage_shows_in_the_owners_monthly_totals(collected_team, client_for):
    alice = collected_team["alice"]
    client = client_for(alice)

    billing = client.get("/api/billing").json()

    assert Decimal(billing["month_to_date"]["cpu_hours"]) == Decimal("0.75")
    assert Decimal(billing["month_to_date"]["gpu_hours"]) == Decimal("0.25")
    bob_line = next(u for u in billing["by_user"] if u["role"] == "member")
    assert bob_line["name"] == "Bob Member" and Decimal(bob_line["cpu_hours"]) == Decimal("0.5")
    team = client.get("/team/").content.decode()
    # Bob's row (0.50 CPU h, 0.25 GPU h: $0.05 + $0.125) and the team total at $0.10/$0.50 per hour.
    assert "0.50</td>" in team and "$0.18</td>" in team
    assert "<strong>$0.20</strong>" in team


def test_member_usage_goes_to_stripe_on_the_owners_meter_events_only(collected_team, stripe_sandbox):
    alice, bob = collected_team["alice"], collected_team["bob"]

    report = stripe_usage_sync(day=slot_day(collected_team["slot"]))

    assert report.failed == 0 and report.sent == 2
    events = stripe_sandbox.meter_events_for()
    assert {e["customer"] for e in events} == {alice.stripe_customer_id}
    sent = {e["event_name"]: Decimal(str(e["value"])) for e in events}
    assert sent == {"hopsworks_cpu_hours_from_20250101": Decimal("0.75"), "hopsworks_gpu_hours_from_20250101": Decimal("0.25")}
    bob.refresh_from_db()
    assert bob.stripe_customer_id == ""
