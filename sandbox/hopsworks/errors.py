"""Hopsworks' error answers: `{"errorCode", "usrMsg", "errorMsg"}` with its status."""

from flask import jsonify

API = "/hopsworks-api/api"

# errorCode values as Hopsworks' RESTCodes number them (user 160xxx, project 150xxx, generic 120xxx).
ERRORS = {
    "unauthorized": (401, 200003, "Authorization header not set or API key invalid.", "NOT_AUTHORIZED"),
    "user_exists": (409, 160003, "There is an existing account associated with this email", "USER_EXISTS"),
    "user_not_found": (404, 160002, "User not found", "USER_WAS_NOT_FOUND"),
    "missing": (400, 120004, "Missing or invalid parameter", "ILLEGAL_ARGUMENT"),
    "sort": (400, 120004, "Sort by id is not supported", "ILLEGAL_ARGUMENT"),
    "owns_projects": (400, 160054, "Can not delete a user that owns a project", "ACCOUNT_DELETION_ERROR"),
    "project_not_found": (404, 150004, "Project wasn't found.", "PROJECT_NOT_FOUND"),
    "project_exists": (409, 150001, "Project with the same name already exists.", "PROJECT_EXISTS"),
    "internal": (500, 120000, "A generic error occurred.", "INTERNAL_SERVER_ERROR"),
    "unavailable": (503, 120000, "Service unavailable (sandbox switch).", "SERVICE_UNAVAILABLE"),
}


def error(kind, detail=None, *, status=None):
    code_status, code, usr_msg, error_msg = ERRORS[kind]
    body = {"errorCode": code, "usrMsg": detail or usr_msg, "errorMsg": error_msg}
    return jsonify(body), status or code_status
