"""The request pipeline every `/v1` route goes through, in Stripe's order: API key, version,
parameters (validated against stripe-python's TypedDicts), rate limit, idempotency, failure
switches, then the handler. Errors come back in Stripe's JSON shape with Stripe's status codes.
"""

import hashlib
import json
import re
import time
from functools import wraps

from flask import Response, request

from .params import ParamError, decode_form, validate

VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")


class ApiError(Exception):
    def __init__(self, status, message, *, type="invalid_request_error", code=None, param=None):
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type, code, param

    def body(self):
        error = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


def not_found(kind, object_id, param="id"):
    return ApiError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def json_response(status, body, *, replayed=False, request_id=None):
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Request-Id"] = request_id or f"req_{hashlib.sha1(str(time.time_ns()).encode()).hexdigest()[:14]}"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def paginate(items, params, url):
    """A Stripe list object: newest first, `limit` (1-100, default 10) and `starting_after`."""
    try:
        limit = int(params.get("limit", 10))
    except ValueError:
        raise ApiError(400, f"Invalid integer: {params.get('limit')}", code="parameter_invalid_integer",
                       param="limit") from None
    if not 1 <= limit <= 100:
        raise ApiError(400, "Invalid limit: must be between 1 and 100", code="parameter_invalid_integer", param="limit")
    items = sorted(items, key=lambda o: (o.get("created", 0), o["id"]), reverse=True)
    after = params.get("starting_after")
    if after:
        ids = [o["id"] for o in items]
        items = items[ids.index(after) + 1:] if after in ids else []
    return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}


class StripeApi:
    """Registers `/v1` routes on a Flask app with the shared pipeline."""

    def __init__(self, app, state):
        self.app, self.state = app, state

    def route(self, method, rule, *, params=None, customers=None, scope="api"):
        """Decorate `handler(params, **path_args) -> dict | (status, dict)`.

        `customers(params, path_args)` names the customers a request touches (failure switches).
        """
        def decorator(handler):
            endpoint = f"stripe_{handler.__name__}_{method.lower()}"

            @wraps(handler)
            def view(**path_args):
                return self._handle(method, rule, handler, params, customers, scope, path_args)

            self.app.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=[method])
            return handler

        return decorator

    def retrieve(self, rule, kind, *, params, noun=None):
        """GET `rule` (one `<object_id>` in it) → the stored `kind` object, or Stripe's 404."""
        state = self.state

        def handler(_params, object_id):
            obj = state.get(object_id, kind)
            if obj is None:
                raise not_found(noun or kind, object_id)
            return obj

        handler.__name__ = f"retrieve_{kind.replace('.', '_')}"
        self.route("GET", rule, params=params)(handler)

    def _handle(self, method, rule, handler, params_class, customers, scope, path_args):
        state = self.state
        with state.lock:
            state.requests[f"{method} {rule}"] += 1
        try:
            self._authenticate()
            params = self._params(method)
            validate(params_class, params)
        except ParamError as exc:
            return json_response(400, ApiError(400, exc.message, code=exc.code, param=exc.param).body())
        except ApiError as exc:
            return json_response(exc.status, exc.body())
        touched = [c for c in (customers(params, path_args) if customers else []) if c]
        if not state.rate_limit_allows(scope):
            return json_response(429, ApiError(
                429, "Request rate limit exceeded. Learn more about rate limits: https://stripe.com/docs/rate-limits.",
                code="rate_limit").body())
        key = request.headers.get("Idempotency-Key") if method == "POST" else None
        if key:
            fingerprint = hashlib.sha256(json.dumps([rule, path_args, params], sort_keys=True).encode()).hexdigest()
            early = self._idempotency_check(key, fingerprint)
            if early is not None:
                return early
        try:
            status, body = self._execute(handler, params, path_args, touched)
        finally:
            if key:
                with state.lock:
                    state.idempotency_busy.discard((state.api_key, key))
        if key and status != 429:
            with state.lock:
                state.idempotency[(state.api_key, key)] = {
                    "fingerprint": fingerprint, "status": status, "body": body, "at": state.now()
                }
        return json_response(status, body)

    def _authenticate(self):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header[7:].strip():
            raise ApiError(401, "You did not provide an API key. You need to provide your API key in the "
                                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
        key = header[7:].strip()
        if key != self.state.api_key:
            masked = f"{key[:8]}{'*' * max(4, len(key) - 12)}{key[-4:]}" if len(key) > 12 else "****"
            raise ApiError(401, f"Invalid API Key provided: {masked}")
        version = request.headers.get("Stripe-Version")
        if version is not None and not VERSION_RE.match(version):
            raise ApiError(400, f"Invalid Stripe API version: {version}", code="api_version_invalid")

    def _params(self, method):
        if method == "POST":
            if request.mimetype not in ("", "application/x-www-form-urlencoded"):
                raise ApiError(400, "Invalid request: the body must be application/x-www-form-urlencoded.")
            return decode_form(request.form.items(multi=True))
        return decode_form(request.args.items(multi=True))

    def _idempotency_check(self, key, fingerprint):
        state = self.state
        with state.lock:
            stored = state.idempotency.get((state.api_key, key))
            if stored is not None and state.now() - stored["at"] >= 24 * 3600:
                stored = None  # pruned, like Stripe's keys after 24 hours
            if stored is not None:
                if stored["fingerprint"] != fingerprint:
                    return json_response(400, ApiError(
                        400, "Keys for idempotent requests can only be used with the same parameters they were "
                             f"first used with. Try using a key other than '{key}' if you meant to execute a "
                             "different request.", type="idempotency_error").body())
                return json_response(stored["status"], stored["body"], replayed=True)
            if (state.api_key, key) in state.idempotency_busy:
                return json_response(409, ApiError(
                    409, "There is currently another in-progress request using this Stripe-Idempotency-Key. "
                         "Please try again later.", type="idempotency_error").body())
            state.idempotency_busy.add((state.api_key, key))
        return None

    def _execute(self, handler, params, path_args, touched):
        switch = self.state.failure_for(touched)
        if switch is not None and switch.mode == "rate_limit":
            return 429, ApiError(429, "Request rate limit exceeded.", code="rate_limit").body()
        if switch is not None and switch.mode == "timeout":
            time.sleep(switch.seconds or 5.0)
        if switch is not None and switch.mode == "error":
            return 500, ApiError(500, "An unknown error occurred.", type="api_error").body()
        try:
            result = handler(params, **path_args)
        except ApiError as exc:
            return exc.status, exc.body()
        return result if isinstance(result, tuple) else (200, result)
