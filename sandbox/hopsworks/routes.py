"""The Hopsworks admin endpoints the app uses (registered by server.create_app)."""

from flask import Blueprint, current_app, jsonify, request

from .errors import API, error
from .store import project_namespace

api = Blueprint("hopsworks_api", __name__, url_prefix=API)
REQUIRED_CREATE = ("accountType", "type", "email", "givenName", "surname", "subject", "clientId")


def _store():
    return current_app.hopsworks


def _href(path):
    return request.host_url.rstrip("/") + API + path


def _user_dto(user, *, full=True):
    dto = {
        "href": _href(f"/users/{user['id']}"), "id": user["id"], "firstname": user["firstname"],
        "lastname": user["lastname"], "email": user["email"], "username": user["username"],
    }
    if full:
        account_type = "OAUTH2" if user["accountType"] == "REMOTE_ACCOUNT_TYPE" else user["accountType"]
        gid = 1005 if user["role"] == "HOPS_ADMIN" else 1006
        dto.update({
            "accountType": account_type, "twoFactor": False, "status": user["status"],
            "maxNumProjects": user["maxNumProjects"], "activated": user["activated"],
            "numActiveProjects": sum(1 for p in _store().projects.values() if p["creator_id"] == user["id"]),
            "role": [{"groupName": user["role"], "gid": gid}],
        })
    return dto


def _page(items):
    try:
        offset = max(int(request.args.get("offset", 0)), 0)
        limit = int(request.args["limit"]) if request.args.get("limit") else None
    except ValueError:
        return None
    return {"href": _href(request.path[len(API):]), "items": items[offset:offset + limit if limit else None], "count": len(items)}


@api.get("/variables/versions")
def versions():
    version = _store().version
    return jsonify([{"software": "hopsworks", "version": version}, {"software": "kubernetes", "version": "1.30"}])


@api.post("/admin/users")
def user_create():
    args = request.args
    missing = [name for name in REQUIRED_CREATE if not args.get(name)]
    if missing:
        return error("missing", f"Missing query parameter(s): {', '.join(missing)}")
    if args["accountType"] != "REMOTE_ACCOUNT_TYPE" or args["type"] != "OAUTH2":
        return error("missing", "Only accountType=REMOTE_ACCOUNT_TYPE with type=OAUTH2 is supported here")
    if "status" in args:
        return error("missing", "status is not a parameter of remote user creation")
    try:
        max_projects = int(args.get("maxNumProjects", 5))
    except ValueError:
        return error("missing", "maxNumProjects must be a number")
    user = _store().user_create(
        email=args["email"], given_name=args["givenName"], surname=args["surname"],
        subject=args["subject"], client_id=args["clientId"], max_num_projects=max(max_projects, 0),
    )
    if user is None:
        return error("user_exists")
    body = {"uuid": f"{user['clientId']}.{user['subject']}", "givenName": user["firstname"],
            "surname": user["lastname"], "email": user["email"], "username": user["username"]}
    return jsonify(body), 201


def _filters():
    filters = []
    for value in request.args.getlist("filter_by"):
        key, _, wanted = value.partition(":")
        if key == "type":
            filters.append(lambda u, w=wanted: u["accountType"] == w)
        elif key == "status":
            filters.append(lambda u, w=wanted: str(u["status"]) == w)
        elif key == "role":
            filters.append(lambda u, w=wanted: u["role"] == w)
        else:
            return None
    return filters


@api.get("/admin/users")
def users_list():
    filters = _filters()
    if filters is None:
        return error("missing", "Unsupported filter_by")
    sort = request.args.get("sort_by", "")
    if sort.startswith("id"):
        return error("sort")
    store = _store()
    with store.lock:
        users = [u for u in store.users.values() if all(f(u) for f in filters)]
        if sort.startswith("email"):
            users.sort(key=lambda u: u["email"], reverse=sort.endswith(":desc"))
        page = _page([_user_dto(u) for u in users])
    return jsonify(page) if page else error("missing", "offset and limit must be numbers")


def _numeric_user(ident):
    if not ident.isdigit():  # Hopsworks' path is {id: [0-9]*}: a username does not match at all
        return None
    return _store().users.get(int(ident))


@api.get("/admin/users/<ident>")
def user_get(ident):
    user = _numeric_user(ident)
    return jsonify(_user_dto(user)) if user else error("user_not_found")


@api.put("/admin/users/<ident>")
def user_update(ident):
    store = _store()
    with store.lock:
        user = _numeric_user(ident)
        if not user:
            return error("user_not_found")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error("missing", "A JSON body is required")
        for key in ("maxNumProjects", "status"):
            if key in body:
                if not isinstance(body[key], int) or body[key] < 0:
                    return error("missing", f"{key} must be a non-negative number")
                user[key] = body[key]
        return jsonify({"id": user["id"], "email": user["email"], "status": user["status"], "maxNumProjects": user["maxNumProjects"]})


@api.put("/admin/users/<ident>/role")
def user_role(ident):
    store = _store()
    with store.lock:
        user = _numeric_user(ident)
        if not user:
            return error("user_not_found")
        role = request.get_data(as_text=True).strip()
        if role not in ("HOPS_ADMIN", "HOPS_USER"):
            return error("missing", "Role must be HOPS_ADMIN or HOPS_USER")
        user["role"] = role
        return jsonify({"id": user["id"], "email": user["email"], "role": [{"groupName": role}]})


@api.delete("/admin/users/<ident>")
def user_delete(ident):
    store = _store()
    with store.lock:
        user = _numeric_user(ident)
        if not user:
            return error("user_not_found")
        if any(p["creator_id"] == user["id"] for p in store.projects.values()):
            return error("owns_projects")
        del store.users[user["id"]]
    return "", 204


@api.get("/admin/user/<path:uuid>")
def user_by_uuid(uuid):
    user = _store().user_by_uuid(uuid)
    if not user:
        return error("user_not_found")
    return jsonify({"uuid": uuid, "givenName": user["firstname"], "surname": user["lastname"], "email": user["email"]})


@api.get("/admin/projects")
def projects_list():
    store = _store()
    expand = "creator" in request.args.get("expand", "").split(",")
    with store.lock:
        items = []
        for project in sorted(store.projects.values(), key=lambda p: p["id"]):
            creator = store.users.get(project["creator_id"])
            creator_dto = _user_dto(creator, full=False) if creator and expand else {"href": _href(f"/users/{project['creator_id']}")}
            if expand and creator:
                del creator_dto["id"]
            items.append({
                "href": _href(f"/admin/projects/{project['id']}"), "id": project["id"], "name": project["name"],
                "namespace": project["namespace"], "creator": creator_dto, "created": project["created"],
                "paymentType": project["paymentType"],
            })
        page = _page(items)
    return jsonify(page) if page else error("missing", "offset and limit must be numbers")


@api.post("/admin/projects/createas")
def project_createas():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body.get("owner") or not body.get("projectName"):
        return error("missing", "owner and projectName are required")
    store = _store()
    with store.lock:
        owner = store.user_by_name(body["owner"])  # the anchor sends a username, CE resolves an email: both
        if not owner:
            return error("user_not_found")
        if any(p["namespace"] == project_namespace(body["projectName"]) for p in store.projects.values()):
            return error("project_exists")
        store.project_create(owner=owner, name=body["projectName"])
    return "", 200


@api.post("/admin/projects/add-to-projects")
def project_add_member():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body.get("username") or not isinstance(body.get("projectIds"), list):
        return error("missing", "username, role and projectIds are required")
    store = _store()
    with store.lock:
        user = store.user_by_name(body["username"])
        if not user:
            return error("user_not_found")
        projects = [store.projects.get(pid) for pid in body["projectIds"]]
        if not all(projects):
            return error("project_not_found")
        for project in projects:
            project["members"][user["id"]] = body.get("role") or "Data scientist"
    return "", 200
