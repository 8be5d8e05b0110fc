"""A local Hopsworks (4.x enterprise) admin REST API: the parts Hopsworks Managed uses, quirks kept.

Base path `/hopsworks-api/api`; every call needs `Authorization: ApiKey <key>` (401 otherwise).
Quirks reproduced: OAuth users are created from query parameters with no body and the 201 answer
has no numeric id; user paths take numeric ids only (a username is a 404); the user list filters
with `filter_by` and cannot sort by id; `/admin/projects?expand=creator` carries each project's
`namespace`; createas / add-to-projects answer 200 with an empty body; errors are
`{"errorCode", "usrMsg", "errorMsg"}`. Each created user gets a default project, and
`on_user_created(username, email)` is called (the Kubernetes sandbox starts that user's pods).
With `state_path` (only `make run` sets it), users and projects survive a restart (store.save).

Failure switches (500s, slow answers, "did it but lost the answer") are set in-process through
`app.hopsworks.fail(...)` or from outside through `/_sandbox/...` (see control.py).
"""

import logging
import time

from flask import Flask, Response, current_app, g, request

from .control import control
from .errors import API, error
from .routes import api
from .store import HopsworksStore

logger = logging.getLogger(__name__)


def _switch_error(status):
    kind = {500: "internal", 503: "unavailable", 401: "unauthorized"}.get(status, "internal")
    return error(kind, status=status)


def create_app(*, api_key="sandbox-admin-key", api_keys=None, on_user_created=None,
               default_projects=True, version="4.6.0", state_path=None):
    """The sandbox as a Flask app; `app.hopsworks` is its HopsworksStore (state, switches).
    state_path: a JSON file keeping users and projects across restarts (`make run`); None: memory only."""
    app = Flask(__name__)
    keys = list(api_keys) if api_keys else [api_key]

    def hook(username, email):
        if on_user_created is None:
            return
        try:
            on_user_created(username, email)
        except Exception:  # the sandbox keeps serving even if the wiring to another sandbox breaks
            logger.exception("on_user_created hook failed for %s", username)

    app.hopsworks = HopsworksStore(api_keys=keys, on_user_created=hook, default_projects=default_projects, version=version,
                                   state_path=state_path)
    app.register_blueprint(control)
    _guard(app)
    app.register_blueprint(api)

    @app.get("/")
    def home():
        return Response(
            "<!doctype html><title>Hopsworks (sandbox)</title><h1>Hopsworks</h1>"
            "<p>This is the local Hopsworks sandbox. Sign in would continue with Auth0 here.</p>",
            mimetype="text/html",
        )

    return app


def _guard(app):
    """API key check, failure switches and the request log, around every API call."""

    @app.before_request
    def before():
        if not request.path.startswith(API):
            return None
        store = current_app.hopsworks
        path = request.path[len(API):]
        header = request.headers.get("Authorization", "")
        g.api_key = header[len("ApiKey "):] if header.startswith("ApiKey ") else ""
        g.rule = store.failure_for(request.method, path)
        if g.rule and g.rule.delay:
            time.sleep(g.rule.delay)
        if g.api_key not in store.api_keys:
            return error("unauthorized")
        if g.rule and g.rule.status and not g.rule.commit:
            return _switch_error(g.rule.status)
        return None

    @app.after_request
    def keep(response):
        # Routes change users and projects in place (status, role, members): save after any write.
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            current_app.hopsworks.save()
        return response

    @app.after_request
    def after(response):
        if not request.path.startswith(API):
            return response
        rule = g.get("rule")
        if rule and rule.status and rule.commit:
            body, status = _switch_error(rule.status)
            response = body
            response.status_code = status
        current_app.hopsworks.log(
            method=request.method, path=request.path[len(API):], query=request.query_string.decode(),
            api_key=g.get("api_key", ""), status=response.status_code,
        )
        return response
