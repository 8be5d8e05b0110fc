"""JSON control endpoints under `/_sandbox/`: drive the Hopsworks sandbox from outside.

GET    /_sandbox/state      users, projects, request log (with the API key each call presented), switches
POST   /_sandbox/failures   {"method"?, "path"?, "status"?: 500, "times"?: 1 (null: until cleared),
                             "delay"?: seconds, "commit"?: do the work, then answer the error}
DELETE /_sandbox/failures   clear every switch
POST   /_sandbox/users      {"email", "givenName"?, "surname"?, "subject"?, "clientId"?}: a user that
                            already exists in Hopsworks (e.g. created by hand)
POST   /_sandbox/reset      back to the initial state (only the admin user)
"""

from flask import Blueprint, current_app, jsonify, request

control = Blueprint("hopsworks_sandbox_control", __name__, url_prefix="/_sandbox")
RULE_FIELDS = {"method": str, "path": str, "status": int, "times": (int, type(None)), "delay": (int, float), "commit": bool}


def _body():
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


@control.get("/state")
def state():
    return jsonify(current_app.hopsworks.snapshot())


@control.post("/failures")
def failures_add():
    body = _body()
    if body is None or set(body) - set(RULE_FIELDS):
        return jsonify({"error": f"a JSON object with some of {sorted(RULE_FIELDS)}"}), 400
    for key, kind in RULE_FIELDS.items():
        if key in body and (not isinstance(body[key], kind) or isinstance(body[key], bool) != (kind is bool)):
            return jsonify({"error": f"{key} has the wrong type"}), 400
    current_app.hopsworks.fail(**body)
    return jsonify(current_app.hopsworks.snapshot()["failures"]), 201


@control.delete("/failures")
def failures_clear():
    current_app.hopsworks.clear_failures()
    return "", 204


@control.post("/users")
def users_add():
    body = _body()
    if body is None or not isinstance(body.get("email"), str) or "@" not in body["email"]:
        return jsonify({"error": "an email is required"}), 400
    user = current_app.hopsworks.user_create(
        email=body["email"], given_name=body.get("givenName", "Existing"), surname=body.get("surname", "User"),
        subject=body.get("subject", ""), client_id=body.get("clientId", ""),
        max_num_projects=int(body.get("maxNumProjects", 0)),
    )
    if user is None:
        return jsonify({"error": "a user with this email exists"}), 409
    return jsonify(user), 201


@control.post("/reset")
def reset():
    current_app.hopsworks.reset()
    return "", 204
