"""The Stripe sandbox answers stripe-python 16.1 the way Stripe does (no Django involved)."""

import time
from decimal import Decimal

import pytest
import requests
import stripe

from sandbox.serving import start_in_thread
from sandbox.stripe.server import create_app

KEY = "sk_test_wire_protocol"


@pytest.fixture(scope="module")
def server():
    app = create_app(api_key=KEY, webhook_secret="whsec_wire", hold_webhooks=True, webhook_url="held")
    running = start_in_thread(app)
    yield running
    running.stop()


@pytest.fixture
def sandbox(server):
    server.app.stripe.reset()
    return server.app.stripe


@pytest.fixture
def client(server, sandbox):
    return stripe.StripeClient(KEY, base_addresses={"api": server.url}, max_network_retries=0)


def metered_setup(client):
    meter = client.v1.billing.meters.create(params={
        "display_name": "CPU hours", "event_name": "cpu", "default_aggregation": {"formula": "sum"},
        "event_time_window": "day",
    })
    product = client.v1.products.create(params={"name": "Compute"})
    price = client.v1.prices.create(params={
        "product": product.id, "currency": "usd", "unit_amount_decimal": Decimal("10"),
        "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id},
    })
    customer = client.v1.customers.create(params={"email": "a@example.com"})
    subscription = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
    return meter, price, customer, subscription


def meter_event(client, customer, value, **extra):
    return client.v1.billing.meter_events.create(
        params={"event_name": "cpu", "payload": {"stripe_customer_id": customer.id, "value": value}, **extra}
    )


def test_unknown_and_missing_parameters_fail_as_stripe_says_from_the_sdks_own_typeddicts(client):
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.customers.create(params={"email": "a@example.com", "favourite_colour": "teal"})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.billing.meter_events.create(params={"event_name": "cpu"})
    with pytest.raises(stripe.InvalidRequestError) as nested:
        client.v1.billing.meters.create(params={"display_name": "x", "event_name": "y",
                                                "default_aggregation": {"formula": "sum"},
                                                "customer_mapping": {"type": "by_id"}})

    assert (unknown.value.http_status, unknown.value.code, unknown.value.param) == (400, "parameter_unknown",
                                                                                    "favourite_colour")
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "payload")
    assert nested.value.user_message == "Missing required param: customer_mapping[event_payload_key]."


def test_checkout_in_setup_mode_needs_a_currency_and_refuses_payment_method_types(client):
    customer = client.v1.customers.create(params={"email": "a@example.com"})
    base = {"mode": "setup", "customer": customer.id, "success_url": "http://app/done?s={CHECKOUT_SESSION_ID}"}

    with pytest.raises(stripe.InvalidRequestError) as no_currency:
        client.v1.checkout.sessions.create(params=base)
    with pytest.raises(stripe.InvalidRequestError) as old_param:
        client.v1.checkout.sessions.create(params={**base, "currency": "usd", "payment_method_types": ["card"]})
    with pytest.raises(stripe.InvalidRequestError) as old_ui_mode:
        client.v1.checkout.sessions.create(params={**base, "currency": "usd", "ui_mode": "hosted"})
    session = client.v1.checkout.sessions.create(params={**base, "currency": "usd"})

    assert no_currency.value.param == "currency"
    assert old_param.value.code == "parameter_unknown"
    assert old_ui_mode.value.param == "ui_mode"
    assert session.url.endswith(f"/c/pay/{session.id}") and session.setup_intent.startswith("seti_")


def test_an_idempotency_key_replays_the_first_answer_and_refuses_other_parameters(client, server):
    first = client.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": "k-1"})
    again = client.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": "k-1"})

    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create(params={"email": "b@example.com"}, options={"idempotency_key": "k-1"})
    assert first.id == again.id
    assert len(server.app.stripe.objects("customer")) == 1
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"


def test_a_wrong_api_key_is_401_and_a_bad_version_is_400(server, client):
    with pytest.raises(stripe.AuthenticationError) as wrong:
        stripe.StripeClient("sk_test_not_ours_123456", base_addresses={"api": server.url}).v1.customers.list()
    bad_version = requests.get(f"{server.url}/v1/customers", headers={"Authorization": f"Bearer {KEY}",
                                                                       "Stripe-Version": "yesterday"}, timeout=5)

    assert wrong.value.http_status == 401 and "sk_test_" in wrong.value.user_message
    assert KEY not in wrong.value.user_message
    assert bad_version.status_code == 400 and bad_version.json()["error"]["type"] == "invalid_request_error"


def test_meter_events_are_deduplicated_by_identifier_and_refused_beyond_35_days(client):
    _, _, customer, _ = metered_setup(client)
    meter_event(client, customer, "2", identifier="alice-2026-11-24-cpu")

    with pytest.raises(stripe.InvalidRequestError) as duplicate:
        meter_event(client, customer, "2", identifier="alice-2026-11-24-cpu")
    with pytest.raises(stripe.InvalidRequestError) as too_old:
        meter_event(client, customer, "1", timestamp=int(time.time()) - 36 * 86400)
    with pytest.raises(stripe.InvalidRequestError) as no_customer:
        client.v1.billing.meter_events.create(params={"event_name": "cpu", "payload": {"stripe_customer_id": "cus_x",
                                                                                        "value": "1"}})

    assert duplicate.value.code == "resource_already_exists"
    assert too_old.value.param == "timestamp"
    assert no_customer.value.param == "payload[stripe_customer_id]"


def test_a_daily_meter_keeps_the_last_event_of_each_day_on_the_monthly_invoice(client, sandbox):
    _, _, customer, subscription = metered_setup(client)
    for item in sandbox.state.get(subscription.id, "subscription")["items"]["data"]:
        item["current_period_start"] -= 5 * 86400
    day = (int(time.time()) // 86400 - 2) * 86400
    meter_event(client, customer, "3", timestamp=day + 3600)
    meter_event(client, customer, "4.5", timestamp=day + 7200)  # replaces 3: same customer and UTC day
    meter_event(client, customer, "1.25", timestamp=day + 86400 + 60)

    (invoice,) = sandbox.period_close(customer=customer.id, outcome="paid")

    listed = client.v1.invoices.list(params={"customer": customer.id})
    assert [i.id for i in listed.data] == [invoice["id"]]
    assert listed.data[0].total == 58  # (4.5 + 1.25) h × 10¢ = 57.5¢ → 58¢
    assert listed.data[0].status == "paid"
    assert [e["type"] for e in sandbox.state.events][-3:] == ["invoice.created", "invoice.finalized", "invoice.paid"]


def new_price_period(client, price):
    """A second meter and its metered price on the same product (a price change's new period)."""
    later = client.v1.billing.meters.create(params={
        "display_name": "CPU hours (new price)", "event_name": "cpu_new", "default_aggregation": {"formula": "sum"},
        "event_time_window": "day",
    })
    new_price = client.v1.prices.create(params={
        "product": price.product, "currency": "usd", "unit_amount_decimal": Decimal("20"),
        "recurring": {"interval": "month", "usage_type": "metered", "meter": later.id},
    })
    return later, new_price


def test_a_price_added_to_a_subscription_joins_its_period_once_and_is_invoiced_on_its_own_line(client, sandbox):
    meter, price, customer, subscription = metered_setup(client)
    _, new_price = new_price_period(client, price)

    item = client.v1.subscription_items.create(params={"subscription": subscription.id, "price": new_price.id})
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.subscription_items.create(params={"subscription": subscription.id, "price": new_price.id})
    meter_event(client, customer, "2")
    client.v1.billing.meter_events.create(
        params={"event_name": "cpu_new", "payload": {"stripe_customer_id": customer.id, "value": "3"}})
    (invoice,) = sandbox.period_close(customer=customer.id, end=time.time() + 60, outcome="paid")

    assert again.value.http_status == 400 and "same price" in again.value.user_message
    listed = client.v1.subscription_items.list(params={"subscription": subscription.id})
    assert sorted(i.price.id for i in listed.data) == sorted([price.id, new_price.id])
    assert item.current_period_end == subscription["items"]["data"][0]["current_period_end"]
    assert sorted(line["amount"] for line in invoice["lines"]["data"]) == [20, 60]  # 2 h × 10¢, 3 h × 20¢
    assert invoice["total"] == 80


def test_failure_switches_answer_500_or_429_for_one_customer_only(client, server, sandbox):
    _, _, customer, _ = metered_setup(client)
    other = client.v1.customers.create(params={"email": "b@example.com"})
    requests.post(f"{server.url}/_sandbox/failures", json={"mode": "error", "customer": customer.id}, timeout=5)

    with pytest.raises(stripe.APIError) as down:
        meter_event(client, customer, "1")
    meter_event(client, other, "1")
    sandbox.fail("rate_limit", customer=other.id, remaining=1)
    with pytest.raises(stripe.RateLimitError):
        meter_event(client, other, "1")
    requests.delete(f"{server.url}/_sandbox/failures", timeout=5)

    assert down.value.http_status == 500
    assert meter_event(client, customer, "1").payload["value"] == "1"
    state = requests.get(f"{server.url}/_sandbox/state", timeout=5).json()
    assert state["meter_events"] == 2


def test_the_hosted_checkout_page_saves_a_card_and_sends_signed_webhooks(client, server, sandbox):
    customer = client.v1.customers.create(params={"email": "a@example.com"})
    session = client.v1.checkout.sessions.create(params={
        "mode": "setup", "currency": "usd", "customer": customer.id,
        "success_url": "http://app.test/done?session_id={CHECKOUT_SESSION_ID}",
    })
    declined = requests.post(session.url, data={"card_number": "4000 0000 0000 0002"}, timeout=5)
    saved = requests.post(session.url, data={"card_number": "4242 4242 4242 4242"}, allow_redirects=False, timeout=5)

    assert declined.status_code == 402 and "Your card was declined." in declined.text
    assert saved.status_code == 303 and saved.headers["Location"] == f"http://app.test/done?session_id={session.id}"
    seti = client.v1.setup_intents.retrieve(session.setup_intent)
    assert seti.status == "succeeded"
    assert client.v1.payment_methods.retrieve(seti.payment_method).card.last4 == "4242"
    received = []
    sandbox.webhooks.deliver = lambda url, body, headers: received.append((body, headers)) or 200
    sandbox.deliver_webhooks()
    types = [stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_wire").type
             for body, headers in received]
    assert types == ["payment_method.attached", "setup_intent.succeeded", "checkout.session.completed"]


def test_deleting_a_subscription_item_answers_deleted_and_a_second_delete_or_an_unknown_id_is_404(
    client, sandbox, monkeypatch
):
    monkeypatch.setattr(sandbox.state, "clock_offset", sandbox.state.clock_offset)  # restored afterwards
    meter, price, customer, subscription = metered_setup(client)
    _, new_price = new_price_period(client, price)
    item = client.v1.subscription_items.create(params={"subscription": subscription.id, "price": new_price.id})
    old_item = subscription["items"]["data"][0]
    meter_event(client, customer, "2")
    (before,) = sandbox.period_close(customer=customer.id, end=time.time() + 60, outcome="paid")
    sandbox.state.clock_offset += 120
    meter_event(client, customer, "3")  # in the next period, before the item goes
    sandbox.state.clock_offset += 60

    with pytest.raises(stripe.InvalidRequestError) as unknown_param:
        client.v1.subscription_items.delete(old_item.id, params={"favourite_colour": "teal"})
    deleted = client.v1.subscription_items.delete(old_item.id)
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.subscription_items.delete(old_item.id)
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.subscription_items.delete("si_unknown")
    (after,) = sandbox.period_close(customer=customer.id, end=time.time() + 3600, outcome="paid")

    assert (deleted.id, deleted.object, deleted.deleted) == (old_item.id, "subscription_item", True)
    assert unknown_param.value.http_status == 400 and unknown_param.value.code == "parameter_unknown"
    for refused in (again, unknown):
        assert refused.value.http_status == 404 and refused.value.code == "resource_missing"
        assert refused.value.json_body["error"]["type"] == "invalid_request_error"
    listed = client.v1.subscription_items.list(params={"subscription": subscription.id})
    assert [i.id for i in listed.data] == [item.id]
    # The invoice built before keeps the removed price's line; the one after holds its usage metered
    # before the removal (a pending invoice item, flexible billing) and no line for the item itself.
    assert sorted(line["amount"] for line in before["lines"]["data"]) == [0, 20]
    assert [(line["pricing"]["price_details"]["price"], line["amount"]) for line in after["lines"]["data"]] == [
        (new_price.id, 0), (price.id, 30)]
    assert len(sandbox.objects("invoiceitem", invoice=after["id"])) == 1


def test_deleting_an_item_with_clear_usage_leaves_its_usage_off_every_invoice(client, sandbox):
    meter, price, customer, subscription = metered_setup(client)
    meter_event(client, customer, "2")

    client.v1.subscription_items.delete(subscription["items"]["data"][0].id, params={"clear_usage": True})
    (invoice,) = sandbox.period_close(customer=customer.id, end=time.time() + 60, outcome="paid")

    assert invoice["lines"]["data"] == [] and invoice["total"] == 0
