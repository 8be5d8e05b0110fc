"""The Hopsworks sandbox answers like Hopsworks 4.x for the calls the app makes, quirks included."""

import time

import pytest
import requests

from sandbox.hopsworks.server import create_app
from sandbox.serving import start_in_thread

KEY = "sandbox-test-key-0001"
CREATE = {"accountType": "REMOTE_ACCOUNT_TYPE", "type": "OAUTH2", "email": "ada@example.com", "givenName": "Ada",
          "surname": "Lovelace", "maxNumProjects": "5", "subject": "auth0|ada", "clientId": "client-1"}


@pytest.fixture
def created_users():
    return []


@pytest.fixture
def hopsworks(created_users):
    server = start_in_thread(create_app(api_key=KEY, on_user_created=lambda u, e: created_users.append((u, e))))
    session = requests.Session()
    session.headers["Authorization"] = f"ApiKey {KEY}"
    server.api = lambda method, path, **kw: session.request(method, f"{server.url}/hopsworks-api/api{path}", timeout=5, **kw)
    yield server
    server.stop()


def test_every_api_call_needs_the_admin_api_key(hopsworks):
    for headers in ({}, {"Authorization": "ApiKey wrong"}, {"Authorization": f"Bearer {KEY}"}):
        response = requests.get(f"{hopsworks.url}/hopsworks-api/api/admin/users", headers=headers, timeout=5)
        assert response.status_code == 401
        assert set(response.json()) == {"errorCode", "usrMsg", "errorMsg"}


def test_versions_is_the_health_check(hopsworks):
    response = hopsworks.api("GET", "/variables/versions")
    assert response.status_code == 200 and {"software": "hopsworks", "version": "4.6.0"} in response.json()


def test_creating_a_user_takes_query_parameters_and_answers_without_a_numeric_id(hopsworks, created_users):
    response = hopsworks.api("POST", "/admin/users", params=CREATE)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"uuid", "givenName", "surname", "email", "username"}
    assert body["uuid"] == "client-1.auth0|ada" and body["username"] == "ada000"
    assert created_users == [("ada000", "ada@example.com")]


def test_creation_is_not_idempotent_a_second_post_is_an_error(hopsworks):
    hopsworks.api("POST", "/admin/users", params=CREATE)
    again = hopsworks.api("POST", "/admin/users", params=CREATE)
    assert again.status_code == 409 and again.json()["errorCode"] == 160003
    same_subject = hopsworks.api("POST", "/admin/users", params={**CREATE, "email": "ada@new.example"})
    assert same_subject.status_code == 409


def test_a_json_body_instead_of_query_parameters_is_refused(hopsworks):
    response = hopsworks.api("POST", "/admin/users", json=CREATE)
    assert response.status_code == 400 and "Missing query parameter" in response.json()["usrMsg"]


def test_users_are_listed_with_filter_by_and_paged_but_not_sorted_by_id(hopsworks):
    for n in range(3):
        hopsworks.api("POST", "/admin/users", params={**CREATE, "email": f"u{n}@example.com", "subject": f"auth0|{n}"})
    page = hopsworks.api("GET", "/admin/users", params=[("filter_by", "type:REMOTE_ACCOUNT_TYPE"), ("offset", 1), ("limit", 1), ("sort_by", "email:asc")]).json()
    assert page["count"] == 3 and [u["email"] for u in page["items"]] == ["u1@example.com"]
    assert page["items"][0]["accountType"] == "OAUTH2" and isinstance(page["items"][0]["id"], int)
    assert hopsworks.api("GET", "/admin/users", params={"filter_by": "type:M_ACCOUNT_TYPE"}).json()["count"] == 1  # the admin
    assert hopsworks.api("GET", "/admin/users", params={"sort_by": "id:asc"}).status_code == 400


def test_user_paths_take_numeric_ids_only(hopsworks):
    hopsworks.api("POST", "/admin/users", params=CREATE)
    [user] = hopsworks.api("GET", "/admin/users", params={"filter_by": "type:REMOTE_ACCOUNT_TYPE"}).json()["items"]
    assert hopsworks.api("GET", f"/admin/users/{user['id']}").json()["username"] == "ada000"
    assert hopsworks.api("GET", "/admin/users/ada000").status_code == 404
    assert hopsworks.api("PUT", "/admin/users/ada000", json={"maxNumProjects": 1}).status_code == 404
    updated = hopsworks.api("PUT", f"/admin/users/{user['id']}", json={"maxNumProjects": 0})
    assert updated.status_code == 200 and updated.json()["maxNumProjects"] == 0
    assert hopsworks.api("PUT", f"/admin/users/{user['id']}", json={"maxNumProjects": "many"}).status_code == 400


def test_the_uuid_lookup_gives_minimal_data(hopsworks):
    hopsworks.api("POST", "/admin/users", params=CREATE)
    found = hopsworks.api("GET", "/admin/user/client-1.auth0%7Cada").json()
    assert found == {"uuid": "client-1.auth0|ada", "givenName": "Ada", "surname": "Lovelace", "email": "ada@example.com"}
    assert hopsworks.api("GET", "/admin/user/client-1.auth0%7Cnobody").status_code == 404


def test_projects_carry_namespace_and_expanded_creator(hopsworks):
    hopsworks.api("POST", "/admin/users", params=CREATE)
    assert hopsworks.api("POST", "/admin/projects/createas", json={"owner": "ada000", "projectName": "Fraud_Detection", "services": ["JOBS"]}).content == b""
    expanded = hopsworks.api("GET", "/admin/projects", params={"expand": "creator"}).json()
    assert [(p["name"], p["namespace"], p["creator"]["username"]) for p in expanded["items"]] == [
        ("ada000_demo", "ada000-demo", "ada000"), ("Fraud_Detection", "fraud-detection", "ada000"),
    ]
    plain = hopsworks.api("GET", "/admin/projects").json()["items"][0]["creator"]
    assert set(plain) == {"href"}


def test_deleting_a_user_who_owns_projects_fails_with_160054(hopsworks):
    hopsworks.api("POST", "/admin/users", params=CREATE)
    [user] = hopsworks.api("GET", "/admin/users", params={"filter_by": "type:REMOTE_ACCOUNT_TYPE"}).json()["items"]
    response = hopsworks.api("DELETE", f"/admin/users/{user['id']}")
    assert response.status_code == 400 and response.json()["errorCode"] == 160054


def test_failure_switches_from_outside_answer_500_then_recover(hopsworks):
    switch = requests.post(f"{hopsworks.url}/_sandbox/failures", json={"method": "POST", "path": "/admin/users", "status": 500, "times": 1}, timeout=5)
    assert switch.status_code == 201
    failed = hopsworks.api("POST", "/admin/users", params=CREATE)
    assert failed.status_code == 500 and set(failed.json()) == {"errorCode", "usrMsg", "errorMsg"}
    assert hopsworks.api("POST", "/admin/users", params=CREATE).status_code == 201
    state = requests.get(f"{hopsworks.url}/_sandbox/state", timeout=5).json()
    assert [r["status"] for r in state["requests"]] == [500, 201]
    assert {r["api_key"] for r in state["requests"]} == {KEY}


def test_a_commit_switch_does_the_work_and_loses_the_answer(hopsworks):
    hopsworks.app.hopsworks.fail(method="POST", path="/admin/users", status=500, commit=True)
    assert hopsworks.api("POST", "/admin/users", params=CREATE).status_code == 500
    assert hopsworks.api("GET", "/admin/users", params={"filter_by": "type:REMOTE_ACCOUNT_TYPE"}).json()["count"] == 1


def test_a_slow_switch_delays_the_answer(hopsworks):
    hopsworks.app.hopsworks.fail(path="/variables", status=0, delay=0.5)
    started = time.monotonic()
    assert hopsworks.api("GET", "/variables/versions").status_code == 200
    assert time.monotonic() - started >= 0.5


def test_bad_control_requests_are_refused_and_reset_clears_everything(hopsworks):
    assert requests.post(f"{hopsworks.url}/_sandbox/failures", json={"status": "boom"}, timeout=5).status_code == 400
    assert requests.post(f"{hopsworks.url}/_sandbox/failures", json={"colour": "red"}, timeout=5).status_code == 400
    assert requests.post(f"{hopsworks.url}/_sandbox/users", json={"email": "nope"}, timeout=5).status_code == 400
    assert requests.post(f"{hopsworks.url}/_sandbox/users", json={"email": "pre@example.com"}, timeout=5).status_code == 201
    assert requests.post(f"{hopsworks.url}/_sandbox/reset", timeout=5).status_code == 204
    state = requests.get(f"{hopsworks.url}/_sandbox/state", timeout=5).json()
    assert [u["email"] for u in state["users"]] == ["admin@hopsworks.ai"] and state["projects"] == []


def test_a_broken_on_user_created_hook_does_not_break_creation():
    def broken(username, email):
        raise RuntimeError("kubernetes sandbox is down")

    server = start_in_thread(create_app(api_key=KEY, on_user_created=broken))
    try:
        response = requests.post(f"{server.url}/hopsworks-api/api/admin/users", params=CREATE,
                                 headers={"Authorization": f"ApiKey {KEY}"}, timeout=5)
        assert response.status_code == 201
    finally:
        server.stop()
