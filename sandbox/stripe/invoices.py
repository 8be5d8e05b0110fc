"""Invoices built from meter events at the end of a billing period, listable per customer.

A meter with `event_time_window=day` keeps only the last event received per customer and UTC day
(Stripe's pre-aggregated ingestion); a meter without a window sums every event. A line's amount
is quantity × `unit_amount_decimal` cents, rounded half-up to a whole cent.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from stripe import params as P

from .api import paginate
from .resources import base

WINDOW_SECONDS = {"day": 86400, "hour": 3600}


def meter_total(state, *, meter, customer, start, end):
    """The billable quantity of `meter` for `customer` over [start, end)."""
    with state.lock:
        events = [e for e in state.meter_events
                  if e["meter"] == meter["id"] and e["customer"] == customer and start <= e["timestamp"] < end]
    window = WINDOW_SECONDS.get(meter.get("event_time_window") or "")
    if window is None:
        return sum((e["value"] for e in events), Decimal("0"))
    last = {}
    for event in events:  # received order: a later event in the same window replaces the earlier one
        last[event["timestamp"] // window] = event["value"]
    return sum(last.values(), Decimal("0"))


def register(api, sandbox):
    state = api.state

    @api.route("GET", "/v1/invoices", params=P.InvoiceListParams, customers=lambda p, a: [p.get("customer")])
    def invoice_list(params):
        match = {k: params[k] for k in ("customer", "status") if params.get(k)}
        return paginate(state.all("invoice", **match), params, "/v1/invoices")

    api.retrieve("/v1/invoices/<object_id>", "invoice", params=P.InvoiceRetrieveParams)

    @api.app.get("/i/<invoice_id>")
    def invoice_page(invoice_id):
        invoice = state.get(invoice_id, "invoice")
        if invoice is None:
            return "<h1>No such invoice</h1>", 404
        lines = "".join(f"<li>{line['description']}: ${line['amount'] / 100:.2f}</li>" for line in invoice["lines"]["data"])
        return (f"<!doctype html><title>Invoice {invoice['number']}</title><h1>Invoice {invoice['number']}</h1>"
                f"<p>Status: {invoice['status']}</p><ul>{lines}</ul><p>Total: ${invoice['total'] / 100:.2f}</p>")


def period_close(sandbox, *, customer=None, end=None, outcome=None):
    """Invoice every active subscription (of `customer`) up to `end`; pay or fail; returns invoices."""
    state = sandbox.state
    end = int(end or state.now())
    invoices = []
    for subscription in state.all("subscription", status="active"):
        if customer and subscription["customer"] != customer:
            continue
        invoices.append(_invoice_subscription(sandbox, subscription, end, outcome))
    return invoices


def _usage_line(state, kind, price, *, customer, start, end):
    """A line (or pending invoice item) for `price`'s usage over [start, end): its meter's quantity."""
    meter = state.get((price.get("recurring") or {}).get("meter") or "", "billing.meter")
    quantity = meter_total(state, meter=meter, customer=customer, start=start, end=end) if meter else Decimal("1")
    amount = int((quantity * Decimal(price["unit_amount_decimal"])).quantize(Decimal("1"), ROUND_HALF_UP))
    prefix = "ii" if kind == "invoiceitem" else "il"
    return base(state, prefix, kind, amount=amount, currency="usd", quantity_decimal=str(quantity),
                description=f"{quantity} × {price.get('nickname') or price['id']}",
                period={"start": start, "end": end},
                pricing={"type": "price_details", "unit_amount_decimal": price["unit_amount_decimal"],
                         "price_details": {"price": price["id"], "product": price["product"]}})


def removed_item_usage_pend(sandbox, subscription, item, *, end):
    """A metered item removed mid-period (flexible billing): its usage so far becomes a pending
    invoice item that the subscription's next invoice carries. Nothing when there was none."""
    state = sandbox.state
    pending = _usage_line(state, "invoiceitem", item["price"], customer=subscription["customer"],
                          start=item["current_period_start"], end=end)
    if Decimal(pending["quantity_decimal"]) == 0:
        return None
    pending.update(customer=subscription["customer"], invoice=None,
                   parent={"type": "subscription_details", "subscription_details": {
                       "subscription": subscription["id"], "subscription_item": item["id"]}})
    return state.put(pending)


def _invoice_subscription(sandbox, subscription, end, outcome):
    state, emit = sandbox.state, sandbox.webhooks.emit
    customer = state.get(subscription["customer"], "customer")
    lines, start = [], end
    for item in subscription["items"]["data"]:
        start = min(start, item["current_period_start"])
        lines.append(_usage_line(state, "line_item", item["price"], customer=customer["id"],
                                 start=item["current_period_start"], end=end))
        item.update(current_period_start=end, current_period_end=end + 30 * 86400)
    pending = [ii for ii in state.all("invoiceitem", customer=customer["id"], invoice=None)
               if ii["parent"]["subscription_details"]["subscription"] == subscription["id"]]
    for invoice_item in pending:  # items removed since the last invoice: the usage they had by then
        start = min(start, invoice_item["period"]["start"])
        lines.append(base(state, "il", "line_item", **{k: invoice_item[k] for k in (
            "amount", "currency", "quantity_decimal", "description", "period", "pricing")}))
    total = sum(line["amount"] for line in lines)
    count = len(state.all("invoice", customer=customer["id"])) + 1
    invoice = state.put(base(
        state, "in", "invoice", customer=customer["id"], customer_email=customer.get("email"), status="draft",
        currency="usd", subtotal=total, total=total, amount_due=total, amount_paid=0, amount_remaining=total,
        attempt_count=0, period_start=start, period_end=end, number=f"{customer['id'][-6:].upper()}-{count:04d}",
        lines={"object": "list", "data": lines, "has_more": False, "url": "/v1/invoices/lines"},
        parent={"type": "subscription_details", "quote_details": None,
                "subscription_details": {"subscription": subscription["id"], "metadata": {}}},
        hosted_invoice_url=None, invoice_pdf=None, billing_reason="subscription_cycle",
    ))
    invoice["hosted_invoice_url"] = f"{sandbox.public_url}/i/{invoice['id']}"
    invoice["invoice_pdf"] = f"{sandbox.public_url}/i/{invoice['id']}?format=pdf"
    for invoice_item in pending:
        invoice_item["invoice"] = invoice["id"]
    subscription["latest_invoice"] = invoice["id"]
    emit("invoice.created", invoice)
    invoice.update(status="open", status_transitions={"finalized_at": int(state.now())})
    emit("invoice.finalized", invoice)
    _invoice_pay(sandbox, invoice, customer, outcome)
    return invoice


def _invoice_pay(sandbox, invoice, customer, outcome):
    state, emit = sandbox.state, sandbox.webhooks.emit
    pm = customer["invoice_settings"].get("default_payment_method")
    can_pay = invoice["total"] == 0 or (pm and pm not in sandbox.failing_payment_methods)
    if outcome == "failed" or (outcome != "paid" and not can_pay):
        invoice.update(attempt_count=1, next_payment_attempt=int(state.now()) + 3 * 86400)
        emit("invoice.payment_failed", invoice)
        return
    invoice.update(status="paid", amount_paid=invoice["total"], amount_remaining=0, attempt_count=1)
    emit("invoice.paid", invoice)


def meter_totals_by_customer(state, *, customer, start, end):
    """{event_name: quantity} for `customer` over [start, end) (control endpoint and tests)."""
    totals = defaultdict(Decimal)
    for meter in state.all("billing.meter"):
        totals[meter["event_name"]] = meter_total(state, meter=meter, customer=customer, start=start, end=end)
    return dict(totals)
