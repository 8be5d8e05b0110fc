"""JSON control endpoints under `/_sandbox/`: drive the IdP from outside (`make run`, integrity suite).

GET  /_sandbox/state              users, switches, webhook deliveries
GET  /_sandbox/users              the IdP's users
POST /_sandbox/users              {"email", "name"}: a sign-up without a browser (fires the webhook)
POST /_sandbox/users/update       {"email", "name"?, "new_email"?}: change a profile at the IdP
POST /_sandbox/switches           partial update, e.g. {"sign_with_unknown_key": true}
POST /_sandbox/webhooks/release   deliver the webhooks held while "webhook" was "hold"
POST /_sandbox/reset              switches back to defaults, webhook log and held calls cleared
"""

from flask import Blueprint, current_app, jsonify, request

from .store import DEFAULT_SWITCHES
from .webhooks import webhook_release, webhook_send

control = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")


def _error(message, status=400):
    return jsonify({"error": message}), status


def _body():
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


@control.get("/state")
def state():
    store = current_app.idp
    with store.lock:
        return jsonify({
            "users": [u.as_dict() for u in store.users.values()],
            "switches": store.switches,
            "webhooks": {"delivered": list(store.webhook_log), "held": len(store.held_webhooks)},
        })


@control.get("/users")
def users_list():
    store = current_app.idp
    with store.lock:
        return jsonify({"users": [u.as_dict() for u in store.users.values()]})


@control.post("/users")
def users_create():
    data = _body()
    if data is None or not isinstance(data.get("email"), str) or "@" not in data["email"]:
        return _error("JSON body with a valid 'email' is required")
    store = current_app.idp
    user, created = store.user_create(email=data["email"], name=str(data.get("name") or data["email"]))
    delivery = webhook_send(store, user, ip=request.remote_addr or "") if created else None
    return jsonify({"user": user.as_dict(), "created": created, "webhook": delivery}), 201 if created else 200


@control.post("/users/update")
def users_update():
    data = _body()
    store = current_app.idp
    user = store.user_get((data or {}).get("email"))
    if user is None:
        return _error("no IdP user with that email", 404)
    with store.lock:
        if data.get("name"):
            user.name = str(data["name"])
        new_email = data.get("new_email")
        if new_email:
            store.users.pop(user.email.lower(), None)
            user.email = str(new_email)
            store.users[user.email.lower()] = user
    return jsonify({"user": user.as_dict()})


@control.post("/switches")
def switches_update():
    data = _body()
    if data is None:
        return _error("JSON object expected")
    unknown = sorted(set(data) - set(DEFAULT_SWITCHES))
    if unknown:
        return _error(f"unknown switches: {', '.join(unknown)}")
    if "webhook" in data and data["webhook"] not in ("deliver", "hold"):
        return _error("'webhook' is 'deliver' or 'hold'")
    if "id_token_claims" in data and not isinstance(data["id_token_claims"], dict):
        return _error("'id_token_claims' is an object")
    store = current_app.idp
    with store.lock:
        store.switches.update(data)
        return jsonify({"switches": store.switches})


@control.post("/webhooks/release")
def webhooks_release():
    return jsonify({"delivered": webhook_release(current_app.idp)})


@control.post("/reset")
def reset():
    store = current_app.idp
    store.switches_reset()
    with store.lock:
        store.webhook_log.clear()
        store.held_webhooks.clear()
    return jsonify({"switches": store.switches})
