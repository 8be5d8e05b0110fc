"""`/_sandbox/...` JSON control endpoints: drive the Stripe sandbox from outside the process."""

from flask import jsonify, request

from .api import ApiError


def _json():
    return request.get_json(silent=True) or {}


def _plain(value):
    """Decimals as strings, so the JSON says exactly what the sandbox holds."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if value.__class__.__name__ == "Decimal" else value


def register(app, sandbox):
    state = sandbox.state

    @app.get("/_sandbox/state")
    def sandbox_state():
        with state.lock:
            kinds = {}
            for obj in state.objects.values():
                kinds[obj["object"]] = kinds.get(obj["object"], 0) + 1
            return jsonify(objects=kinds, meter_events=len(state.meter_events), events=len(state.events),
                           requests=dict(state.requests), rate_limited=state.rate_limited,
                           failures={k: vars(v) for k, v in state.failures.items()})

    @app.get("/_sandbox/objects/<kind>")
    def sandbox_objects(kind):
        match = {k: v for k, v in request.args.items()}
        return jsonify(_plain(state.all(kind, **match)))

    @app.get("/_sandbox/meter_events")
    def sandbox_meter_events():
        return jsonify(_plain(sandbox.meter_events_for(request.args.get("customer"))))

    @app.post("/_sandbox/failures")
    def sandbox_fail():
        body = _json()
        if body.get("mode") not in ("error", "timeout", "rate_limit"):
            return jsonify(error="mode must be error, timeout or rate_limit"), 400
        sandbox.fail(body["mode"], customer=body.get("customer", "*"), remaining=body.get("remaining"),
                     seconds=float(body.get("seconds", 0)))
        return jsonify(ok=True)

    @app.delete("/_sandbox/failures")
    def sandbox_heal():
        sandbox.heal(request.args.get("customer"))
        return jsonify(ok=True)

    @app.post("/_sandbox/rate_limit")
    def sandbox_rate_limit():
        body = _json()
        sandbox.rate_limit(body.get("per_second"), scope=body.get("scope", "*"))
        return jsonify(ok=True)

    @app.post("/_sandbox/checkout/<session_id>/complete")
    def sandbox_checkout_complete(session_id):
        try:
            session = sandbox.checkout_session_complete(session_id, card_number=_json().get("card", "4242424242424242"))
        except ApiError as exc:
            return jsonify(exc.body()), exc.status
        return jsonify(_plain(session))

    @app.post("/_sandbox/invoices/close")
    def sandbox_period_close():
        body = _json()
        invoices = sandbox.period_close(customer=body.get("customer"), end=body.get("end"), outcome=body.get("outcome"))
        return jsonify(_plain(invoices))

    @app.get("/_sandbox/events")
    def sandbox_events():
        with state.lock:
            return jsonify(events=[{"id": e["id"], "type": e["type"], "created": e["created"]} for e in state.events],
                           deliveries=list(state.deliveries))

    @app.post("/_sandbox/events/<event_id>/resend")
    def sandbox_resend(event_id):
        return jsonify(status=sandbox.resend(event_id))

    @app.post("/_sandbox/clock")
    def sandbox_clock():
        with state.lock:
            state.clock_offset += float(_json().get("advance", 0))
            return jsonify(offset=state.clock_offset, now=state.now())

    @app.post("/_sandbox/reset")
    def sandbox_reset():
        sandbox.reset()
        return jsonify(ok=True)
