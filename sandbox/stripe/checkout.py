"""Checkout Sessions (setup and payment mode) and the hosted page where a person enters a card.

Test cards, as on Stripe: 4242 4242 4242 4242 works; 4000 0000 0000 0002 is declined;
4000 0000 0000 0341 attaches fine but every later charge fails (invoice.payment_failed).
"""

from html import escape

from flask import redirect, request
from stripe.params import checkout as CP

from .api import ApiError, not_found
from .resources import base

DECLINED = "4000000000000002"
FAILS_LATER = "4000000000000341"
GOOD_CARDS = {"4242424242424242", FAILS_LATER}

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stripe sandbox Checkout</title>
<style>body{{font:16px system-ui,sans-serif;max-width:28rem;margin:3rem auto;color:#1a1f36}}
label{{display:block;margin:.8rem 0 .2rem}}input{{width:100%;padding:.5rem;font:inherit}}
button{{margin-top:1.2rem;width:100%;padding:.7rem;background:#635bff;color:#fff;border:0;border-radius:6px;font:inherit}}
.error{{color:#cd3d64}}</style></head><body>
<p><strong>Stripe sandbox</strong> · test mode</p><h1>{title}</h1><p>{summary}</p>
{error}<form method="post">
<label for="card_number">Card number</label><input id="card_number" name="card_number" inputmode="numeric"
 autocomplete="cc-number" placeholder="4242 4242 4242 4242" value="{card_number}">
<label for="expiry">Expiry (MM / YY)</label><input id="expiry" name="expiry" placeholder="12 / 34" value="{expiry}">
<label for="cvc">CVC</label><input id="cvc" name="cvc" placeholder="123" value="{cvc}">
<label for="cardholder">Name on card</label><input id="cardholder" name="cardholder" value="{cardholder}">
<button type="submit">{button}</button></form>
<p><a href="{cancel_url}">Cancel and go back</a></p></body></html>"""


def register(api, sandbox):
    state = api.state

    @api.route("POST", "/v1/checkout/sessions", params=CP.SessionCreateParams,
               customers=lambda p, a: [p.get("customer")])
    def checkout_session_create(params):
        return sandbox.checkout_session_create(params, host_url=request.host_url)

    api.retrieve("/v1/checkout/sessions/<object_id>", "checkout.session", params=CP.SessionRetrieveParams)

    @api.app.route("/c/pay/<session_id>", methods=["GET", "POST"])
    def checkout_page(session_id):
        session = state.get(session_id, "checkout.session")
        if session is None:
            return "<h1>Something went wrong</h1><p>This Checkout session does not exist.</p>", 404
        if session["status"] != "open":
            return (f"<h1>This Checkout session is {escape(session['status'])}</h1>"
                    f"<p><a href=\"{escape(session['cancel_url'] or '/')}\">Go back</a></p>"), 410
        form = request.form if request.method == "POST" else {}
        error = ""
        if request.method == "POST":
            number = "".join(ch for ch in form.get("card_number", "") if ch.isdigit())
            if number == DECLINED:
                error = "Your card was declined."
            elif number not in GOOD_CARDS:
                error = "Your card number is invalid."
            else:
                sandbox.checkout_session_complete(session_id, card_number=number)
                return redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id), code=303)
        return _page(session, form, error), 402 if error else 200


def _page(session, form, error):
    if session["mode"] == "setup":
        title, summary, button = "Save a card", "Your card will be saved for future payments.", "Save card"
    else:
        title = "Pay"
        summary = f"Total due today: ${session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        button = f"Pay ${session['amount_total'] / 100:.2f}"
    return PAGE.format(
        title=title, summary=escape(summary), button=escape(button),
        error=f'<p class="error" role="alert">{escape(error)}</p>' if error else "",
        cancel_url=escape(session["cancel_url"] or "/"),
        **{k: escape(form.get(k, "")) for k in ("card_number", "expiry", "cvc", "cardholder")},
    )


def session_create(sandbox, params, *, host_url):
    """Validate a Checkout Session the way the current API version does, and store it."""
    state = sandbox.state
    mode = params.get("mode") or "payment"
    if not params.get("success_url"):
        raise ApiError(400, "Missing required param: success_url.", code="parameter_missing", param="success_url")
    customer = params.get("customer")
    if customer and state.get(customer, "customer") is None:
        raise not_found("customer", customer, "customer")
    fields = {"mode": mode, "customer": customer, "status": "open", "success_url": params["success_url"],
              "cancel_url": params.get("cancel_url"), "client_reference_id": params.get("client_reference_id"),
              "metadata": params.get("metadata") or {}, "currency": params.get("currency"),
              "setup_intent": None, "payment_intent": None, "amount_total": None, "amount_subtotal": None,
              "expires_at": int(state.now()) + 86400, "ui_mode": params.get("ui_mode", "hosted_page")}
    if mode == "setup":
        if not params.get("currency") and not params.get("allowed_payment_method_types"):
            raise ApiError(400, "Missing required param: currency.", code="parameter_missing", param="currency")
        intent_data = params.get("setup_intent_data") or {}
        seti = state.put(base(state, "seti", "setup_intent", customer=customer, status="requires_payment_method",
                              payment_method=None, usage="off_session", metadata=intent_data.get("metadata") or {}))
        fields.update(setup_intent=seti["id"], payment_status="no_payment_required")
    elif mode == "payment":
        fields.update(_payment_amounts(state, params), payment_status="unpaid")
    else:
        raise ApiError(400, "The sandbox supports Checkout in setup and payment mode only.", param="mode")
    session = base(state, "cs", "checkout.session", **fields)
    session["url"] = f"{host_url.rstrip('/')}/c/pay/{session['id']}"
    return state.put(session)


def _payment_amounts(state, params):
    items = params.get("line_items") or []
    if not items:
        raise ApiError(400, "Missing required param: line_items.", code="parameter_missing", param="line_items")
    total, currency = 0, None
    for index, item in enumerate(items):
        quantity = int(item.get("quantity", 1))
        if "price_data" in item:
            data = item["price_data"]
            unit, currency = int(data.get("unit_amount", 0)), data["currency"]
        else:
            price = state.get(item.get("price", ""), "price")
            if price is None:
                raise not_found("price", item.get("price"), f"line_items[{index}][price]")
            unit, currency = int(price["unit_amount"] or 0), price["currency"]
        if unit <= 0 or quantity <= 0:
            raise ApiError(400, "Line item amounts must be positive.", param=f"line_items[{index}]")
        total += unit * quantity
    return {"amount_total": total, "amount_subtotal": total, "currency": currency}


def session_complete(sandbox, session_id, *, card_number):
    """The person entered a working card: attach it, succeed the intent, tell the app (webhooks)."""
    state, emit = sandbox.state, sandbox.webhooks.emit
    with state.lock:
        session = state.get(session_id, "checkout.session")
        if session is None or session["status"] != "open":
            raise ApiError(400, "This Checkout session is no longer open.")
        session["status"] = "complete"
    pm = state.put(base(state, "pm", "payment_method", type="card", customer=session["customer"], metadata={},
                        billing_details={"name": None, "email": None},
                        card={"brand": "visa", "last4": card_number[-4:], "exp_month": 12, "exp_year": 2034,
                              "funding": "credit", "country": "US"}))
    if card_number == FAILS_LATER:
        sandbox.failing_payment_methods.add(pm["id"])
    if session["customer"]:
        emit("payment_method.attached", pm)
    if session["mode"] == "setup":
        seti = state.get(session["setup_intent"], "setup_intent")
        seti.update(status="succeeded", payment_method=pm["id"])
        emit("setup_intent.succeeded", seti)
    else:
        pi = state.put(base(state, "pi", "payment_intent", amount=session["amount_total"],
                            currency=session["currency"], status="succeeded", customer=session["customer"],
                            payment_method=pm["id"], metadata=session["metadata"]))
        session.update(payment_intent=pi["id"], payment_status="paid")
        emit("payment_intent.succeeded", pi)
    emit("checkout.session.completed", session)
    return session
