"""Customers, products, prices, billing meters and meter events, subscriptions, cards."""

from decimal import Decimal, InvalidOperation

from stripe import params as P
from stripe.params import billing as BP

from .api import ApiError, not_found, paginate

METER_EVENT_MAX_AGE = 35 * 24 * 3600
METER_EVENT_MAX_FUTURE = 5 * 60


def _customer_param(params, _args):
    return [params.get("customer")]


def _customer_path(_params, args):
    return [args.get("customer_id")]


def _meter_event_customer(params, _args):
    return list((params.get("payload") or {}).values())


def base(state, prefix, kind, **fields):
    return {"id": state.new_id(prefix), "object": kind, "created": int(state.now()), "livemode": False, **fields}


def register(api, sandbox):
    state = api.state

    def customer_or_404(customer_id, param="customer"):
        customer = state.get(customer_id, "customer")
        if customer is None:
            raise not_found("customer", customer_id, param)
        return customer

    # ---------------------------------------------------------------- customers

    @api.route("POST", "/v1/customers", params=P.CustomerCreateParams)
    def customer_create(params):
        return state.put(base(
            state, "cus", "customer", email=params.get("email"), name=params.get("name"),
            metadata=params.get("metadata") or {}, balance=0, currency=None, delinquent=False,
            description=params.get("description"),
            invoice_settings={"default_payment_method": None, "custom_fields": None, "footer": None},
        ))

    @api.route("GET", "/v1/customers/<customer_id>", params=P.CustomerRetrieveParams, customers=_customer_path)
    def customer_retrieve(params, customer_id):
        return customer_or_404(customer_id, "id")

    @api.route("POST", "/v1/customers/<customer_id>", params=P.CustomerUpdateParams, customers=_customer_path)
    def customer_update(params, customer_id):
        customer = customer_or_404(customer_id, "id")
        with state.lock:
            settings = params.get("invoice_settings") or {}
            if "default_payment_method" in settings:
                pm = state.get(settings["default_payment_method"], "payment_method")
                if pm is None or pm.get("customer") != customer_id:
                    raise ApiError(400, f"No such PaymentMethod: '{settings['default_payment_method']}'",
                                   code="resource_missing", param="invoice_settings[default_payment_method]")
                customer["invoice_settings"]["default_payment_method"] = pm["id"]
            for field in ("email", "name", "description"):
                if field in params:
                    customer[field] = params[field]
            customer["metadata"].update(params.get("metadata") or {})
        return customer

    @api.route("GET", "/v1/customers", params=P.CustomerListParams)
    def customer_list(params):
        found = state.all("customer", **({"email": params["email"]} if params.get("email") else {}))
        return paginate(found, params, "/v1/customers")

    # ---------------------------------------------------------------- products and prices

    @api.route("POST", "/v1/products", params=P.ProductCreateParams)
    def product_create(params):
        return state.put(base(state, "prod", "product", name=params["name"], active=True,
                              metadata=params.get("metadata") or {}, description=params.get("description")))

    @api.route("POST", "/v1/prices", params=P.PriceCreateParams)
    def price_create(params):
        product = params.get("product")
        if not product or state.get(product, "product") is None:
            raise not_found("product", product, "product")
        recurring = params.get("recurring")
        if recurring and recurring.get("usage_type") == "metered":
            meter = state.get(recurring.get("meter", ""), "billing.meter")
            if meter is None or meter["status"] != "active":
                raise ApiError(400, "Metered prices must be backed by an active meter (recurring[meter]).",
                               param="recurring[meter]")
        lookup_key = params.get("lookup_key")
        if lookup_key and any(p["lookup_key"] == lookup_key for p in state.all("price", active=True)):
            raise ApiError(400, f"A price already uses the lookup key '{lookup_key}'.", param="lookup_key")
        amount = params.get("unit_amount_decimal", params.get("unit_amount"))
        try:
            amount = Decimal(amount)
        except (InvalidOperation, TypeError):
            raise ApiError(400, "Missing required param: unit_amount.", code="parameter_missing",
                           param="unit_amount") from None
        return state.put(base(
            state, "price", "price", active=True, currency=params["currency"], product=product,
            nickname=params.get("nickname"), billing_scheme="per_unit", metadata=params.get("metadata") or {},
            lookup_key=lookup_key,
            type="recurring" if recurring else "one_time",
            recurring=None if not recurring else {
                "interval": recurring["interval"], "interval_count": int(recurring.get("interval_count", 1)),
                "usage_type": recurring.get("usage_type", "licensed"), "meter": recurring.get("meter"),
            },
            unit_amount=int(amount) if amount == amount.to_integral_value() else None,
            unit_amount_decimal=str(amount),
        ))

    @api.route("GET", "/v1/prices", params=P.PriceListParams)
    def price_list(params):
        found = state.all("price")
        if params.get("lookup_keys"):
            found = [p for p in found if p["lookup_key"] in params["lookup_keys"]]
        if "active" in params:
            found = [p for p in found if p["active"] == (str(params["active"]).lower() == "true")]
        return paginate(found, params, "/v1/prices")

    # ---------------------------------------------------------------- billing meters and events

    @api.route("POST", "/v1/billing/meters", params=BP.MeterCreateParams)
    def meter_create(params):
        with state.lock:
            if any(m["event_name"] == params["event_name"] for m in state.all("billing.meter", status="active")):
                raise ApiError(400, f"An active meter with event_name '{params['event_name']}' already exists.",
                               param="event_name")
            mapping = params.get("customer_mapping") or {"type": "by_id", "event_payload_key": "stripe_customer_id"}
            return state.put(base(
                state, "mtr", "billing.meter", display_name=params["display_name"], event_name=params["event_name"],
                event_time_window=params.get("event_time_window"), status="active",
                customer_mapping=mapping, default_aggregation=params["default_aggregation"],
                value_settings=params.get("value_settings") or {"event_payload_key": "value"},
                status_transitions={"deactivated_at": None}, updated=int(state.now()),
            ))

    @api.route("GET", "/v1/billing/meters", params=BP.MeterListParams)
    def meter_list(params):
        return paginate(state.all("billing.meter"), params, "/v1/billing/meters")

    @api.route("POST", "/v1/billing/meter_events", params=BP.MeterEventCreateParams,
               customers=_meter_event_customer, scope="meter_events")
    def meter_event_create(params):
        return sandbox.meter_event_accept(params)

    # ---------------------------------------------------------------- subscriptions

    @api.route("POST", "/v1/subscriptions", params=P.SubscriptionCreateParams, customers=_customer_param)
    def subscription_create(params):
        customer = customer_or_404(params["customer"])
        now = int(state.now())
        subscription = base(state, "sub", "subscription", customer=customer["id"], status="active",
                            billing_mode={"type": "flexible"}, start_date=now, cancel_at_period_end=False,
                            canceled_at=None, ended_at=None, default_payment_method=None, latest_invoice=None,
                            metadata=params.get("metadata") or {}, currency="usd")
        items = []
        for index, item in enumerate(params.get("items") or []):
            price = state.get(item.get("price", ""), "price")
            if price is None:
                raise not_found("price", item.get("price"), f"items[{index}][price]")
            if any(existing["price"]["id"] == price["id"] for existing in items):
                raise _same_price(price["id"], f"items[{index}][price]")
            items.append(_item(state, price, subscription["id"], start=now, end=now + 30 * 86400))
        for item in items:
            state.put(item)  # found by id for DELETE /v1/subscription_items/<id>
        subscription["items"] = {"object": "list", "data": items, "has_more": False,
                                 "url": f"/v1/subscription_items?subscription={subscription['id']}"}
        state.put(subscription)
        sandbox.webhooks.emit("customer.subscription.created", subscription)
        return subscription

    api.retrieve("/v1/subscriptions/<object_id>", "subscription", params=P.SubscriptionRetrieveParams)

    @api.route("DELETE", "/v1/subscriptions/<subscription_id>", params=P.SubscriptionCancelParams)
    def subscription_cancel(params, subscription_id):
        subscription = state.get(subscription_id, "subscription")
        if subscription is None:
            raise not_found("subscription", subscription_id)
        with state.lock:
            subscription.update(status="canceled", canceled_at=int(state.now()), ended_at=int(state.now()))
        sandbox.webhooks.emit("customer.subscription.deleted", subscription)
        return subscription

    @api.route("GET", "/v1/subscriptions", params=P.SubscriptionListParams, customers=_customer_param)
    def subscription_list(params):
        match = {"customer": params["customer"]} if params.get("customer") else {}
        return paginate(state.all("subscription", **match), params, "/v1/subscriptions")

    @api.route("POST", "/v1/subscription_items", params=P.SubscriptionItemCreateParams,
               customers=lambda p, a: [(state.get(p.get("subscription", ""), "subscription") or {}).get("customer")])
    def subscription_item_create(params):
        """Add a price to a live subscription: the item joins the subscription's current period."""
        with state.lock:
            subscription = state.get(params["subscription"], "subscription")
            if subscription is None or subscription["status"] == "canceled":
                raise not_found("subscription", params["subscription"], "subscription")
            price = state.get(params.get("price", ""), "price")
            if price is None:
                raise not_found("price", params.get("price"), "price")
            items = subscription["items"]["data"]
            if any(existing["price"]["id"] == price["id"] for existing in items):
                raise _same_price(price["id"], "price")
            now = int(state.now())
            end = max((existing["current_period_end"] for existing in items), default=now + 30 * 86400)
            item = state.put(_item(state, price, subscription["id"], start=now, end=end))
            items.append(item)
        sandbox.webhooks.emit("customer.subscription.updated", subscription)
        return item

    @api.route("DELETE", "/v1/subscription_items/<item_id>", params=P.SubscriptionItemDeleteParams,
               customers=lambda p, a: [(_item_live(state, a.get("item_id"))[0] or {}).get("customer")])
    def subscription_item_delete(params, item_id):
        """Remove an item; the subscription goes on. Under flexible billing the usage metered since the
        item's period started becomes an invoice item for the next invoice, unless
        `proration_behavior=none` or `clear_usage=true` (then it is never invoiced)."""
        with state.lock:
            subscription, item = _item_live(state, item_id)
            if item is None:
                raise not_found("subscription_item", item_id)
            subscription["items"]["data"].remove(item)
            now = int(state.now())
            billed = (params.get("proration_behavior", "create_prorations") != "none"
                      and str(params.get("clear_usage", "false")).lower() != "true")
            if billed:
                sandbox.removed_item_usage_pend(subscription, item, end=now)
            # Kept for `/_sandbox/objects/subscription_item` (the conservation check): when it went,
            # and up to when its meter's usage reaches an invoice. Stripe keeps no such record.
            state.put({**item, "deleted": True, "deleted_at": now,
                       "usage_invoiced_until": now if billed else item["current_period_start"]})
        sandbox.webhooks.emit("customer.subscription.updated", subscription)
        return {"id": item_id, "object": "subscription_item", "deleted": True}

    @api.route("GET", "/v1/subscription_items", params=P.SubscriptionItemListParams)
    def subscription_item_list(params):
        subscription = state.get(params["subscription"], "subscription")
        if subscription is None:
            raise not_found("subscription", params["subscription"], "subscription")
        return paginate(list(subscription["items"]["data"]), params,
                        f"/v1/subscription_items?subscription={subscription['id']}")

    # ---------------------------------------------------------------- cards

    api.retrieve("/v1/payment_methods/<object_id>", "payment_method", params=P.PaymentMethodRetrieveParams)
    api.retrieve("/v1/setup_intents/<object_id>", "setup_intent", params=P.SetupIntentRetrieveParams)
    api.retrieve("/v1/payment_intents/<object_id>", "payment_intent", params=P.PaymentIntentRetrieveParams)


def _item(state, price, subscription_id, *, start, end):
    return base(state, "si", "subscription_item", price=price, subscription=subscription_id,
                current_period_start=start, current_period_end=end, metadata={})


def _item_live(state, item_id):
    """(subscription, item) for an item still on its subscription, else (None, None)."""
    with state.lock:
        known = state.get(item_id or "", "subscription_item")
        if known is not None and known.get("deleted"):
            return None, None
        subscriptions = ([state.get(known["subscription"], "subscription")] if known is not None
                         else state.all("subscription"))  # a state file saved before items were kept by id
        for subscription in filter(None, subscriptions):
            for item in subscription["items"]["data"]:
                if item["id"] == item_id:
                    return subscription, item
    return None, None


def _same_price(price_id, param):
    """Stripe refuses a second item with a price the subscription already has."""
    return ApiError(400, f"Cannot add multiple subscription items with the same price: {price_id}", param=param)


def meter_event_check(state, params):
    """Validate a meter event like Stripe does synchronously; returns (meter, customer, value, timestamp)."""
    meters = [m for m in state.all("billing.meter", status="active") if m["event_name"] == params["event_name"]]
    if not meters:
        raise ApiError(400, f"No active meter found for event_name '{params['event_name']}'.",
                       code="resource_missing", param="event_name")
    meter = meters[0]
    payload = params["payload"] if isinstance(params["payload"], dict) else {}
    customer_key = meter["customer_mapping"]["event_payload_key"]
    value_key = meter["value_settings"]["event_payload_key"]
    customer_id = payload.get(customer_key)
    if not customer_id or state.get(customer_id, "customer") is None:
        raise ApiError(400, f"No such customer: '{customer_id}'", code="resource_missing",
                       param=f"payload[{customer_key}]")
    try:
        value = Decimal(payload.get(value_key, ""))
    except InvalidOperation:
        raise ApiError(400, f"Invalid value: payload[{value_key}] must be a number.",
                       param=f"payload[{value_key}]") from None
    if len(value.as_tuple().digits) > 15:
        raise ApiError(400, "Meter event values may have at most 15 significant digits.",
                       param=f"payload[{value_key}]")
    now = state.now()
    timestamp = int(params.get("timestamp", int(now)))
    if timestamp < now - METER_EVENT_MAX_AGE or timestamp > now + METER_EVENT_MAX_FUTURE:
        raise ApiError(400, "Timestamp must be within the past 35 calendar days or up to 5 minutes in the future.",
                       param="timestamp")
    identifier = params.get("identifier") or state.new_id("mev")
    if len(identifier) > 100:
        raise ApiError(400, "Invalid identifier: must be at most 100 characters.", param="identifier")
    return meter, customer_id, value, timestamp, identifier
