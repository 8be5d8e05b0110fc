"""The registration webhook, sent as an Auth0 Post User Registration Action would send it."""

import time

import requests

WEBHOOK_TIMEOUT = 5


def webhook_send(store, user, *, ip=""):
    """Deliver (or hold) the registration webhook for a new user; returns the log entry."""
    body = {**user.as_dict(), "ip": ip}
    with store.lock:
        if store.switches["webhook"] == "hold":
            store.held_webhooks.append(body)
            return {"user_id": user.sub, "status": "held"}
    return _webhook_post(store, body)


def webhook_release(store):
    """Deliver every held webhook, oldest first; returns their log entries."""
    with store.lock:
        held, store.held_webhooks = store.held_webhooks, []
    return [_webhook_post(store, body) for body in held]


def _webhook_post(store, body):
    entry = {"user_id": body["user_id"], "email": body["email"], "at": time.time()}
    if not store.webhook_url:
        entry["status"] = "not configured"
    else:
        try:
            resp = requests.post(store.webhook_url, json=body, timeout=WEBHOOK_TIMEOUT,
                                 headers={"x-auth0-secret": store.webhook_secret})
            entry["status"] = resp.status_code
        except requests.RequestException as exc:
            entry["status"] = f"error: {exc.__class__.__name__}"
    with store.lock:
        store.webhook_log.append(entry)
    return entry
