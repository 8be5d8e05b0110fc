"""With a state_path (`make run`), the Hopsworks sandbox's users and projects survive a restart."""

import json
import threading

import requests

from sandbox.hopsworks.server import create_app
from sandbox.serving import start_in_thread

KEY = "sandbox-test-key-0001"
CREATE = {"accountType": "REMOTE_ACCOUNT_TYPE", "type": "OAUTH2", "email": "ada@example.com", "givenName": "Ada",
          "surname": "Lovelace", "maxNumProjects": "5", "subject": "auth0|ada", "clientId": "client-1"}


class Hopsworks:
    """One run of the sandbox on a free port, over its API like the app."""

    def __init__(self, state_path, **config):
        self.server = start_in_thread(create_app(api_key=KEY, state_path=state_path, **config))
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"ApiKey {KEY}"

    def api(self, method, path, **kwargs):
        return self.session.request(method, f"{self.server.url}/hopsworks-api/api{path}", timeout=5, **kwargs)

    def control(self, method, path, **kwargs):
        return requests.request(method, f"{self.server.url}/_sandbox/{path}", timeout=5, **kwargs)

    def remote_users(self):
        return self.api("GET", "/admin/users", params={"filter_by": "type:REMOTE_ACCOUNT_TYPE"}).json()["items"]

    def stop(self):
        self.server.stop()


def test_users_projects_and_their_changes_are_there_after_a_restart(tmp_path):
    path = tmp_path / "hopsworks-sandbox.json"
    first = Hopsworks(path)
    assert first.api("POST", "/admin/users", params=CREATE).status_code == 201
    [ada] = first.remote_users()
    assert first.api("PUT", f"/admin/users/{ada['id']}", json={"maxNumProjects": 1, "status": 3}).status_code == 200
    assert first.api("POST", "/admin/projects/createas", json={"owner": "ada000", "projectName": "Fraud_Detection"}).status_code == 200
    assert first.control("POST", "users", json={"email": "pre@example.com"}).status_code == 201
    first.stop()

    created = []
    second = Hopsworks(path, on_user_created=lambda username, email: created.append(username))
    try:
        users = {u["email"]: u for u in second.remote_users()}
        assert set(users) == {"ada@example.com", "pre@example.com"}
        assert (users["ada@example.com"]["id"], users["ada@example.com"]["username"]) == (ada["id"], "ada000")
        assert (users["ada@example.com"]["maxNumProjects"], users["ada@example.com"]["status"]) == (1, 3)
        found = second.api("GET", "/admin/user/client-1.auth0%7Cada").json()
        assert found["email"] == "ada@example.com"  # the adoption lookup by OAuth uuid still finds her
        projects = second.api("GET", "/admin/projects", params={"expand": "creator"}).json()["items"]
        assert [(p["name"], p["namespace"], p["creator"]["username"]) for p in projects] == [
            ("ada000_demo", "ada000-demo", "ada000"), ("Fraud_Detection", "fraud-detection", "ada000"),
            ("pre000_demo", "pre000-demo", "pre000"),
        ]
        assert second.api("POST", "/admin/users", params=CREATE).status_code == 409  # still a duplicate
        assert created == []  # reloading is not creating: no pods are started twice
        newcomer = second.api("POST", "/admin/users", params={**CREATE, "email": "bo@example.com", "subject": "auth0|bo"})
        assert newcomer.status_code == 201 and created == [newcomer.json()["username"]]
        ids = [u["id"] for u in second.remote_users()]
        assert len(set(ids)) == 3 and max(ids) > ada["id"]  # ids go on counting, never reused
        assert second.api("POST", "/admin/projects/add-to-projects",
                          json={"username": "bo000", "projectIds": [projects[1]["id"]], "role": "Data scientist"}).status_code == 200
    finally:
        second.stop()

    state = json.loads(path.read_text())
    members = next(p["members"] for p in state["projects"] if p["name"] == "Fraud_Detection")
    assert sorted(role for _, role in members) == ["Data owner", "Data scientist"]


def test_a_reset_is_kept_too(tmp_path):
    path = tmp_path / "hopsworks-sandbox.json"
    first = Hopsworks(path)
    first.api("POST", "/admin/users", params=CREATE)
    assert first.control("POST", "reset").status_code == 204
    first.stop()
    second = Hopsworks(path)
    try:
        assert second.remote_users() == []
        assert second.api("POST", "/admin/users", params=CREATE).json()["username"] == "ada000"
    finally:
        second.stop()


def test_users_created_at_the_same_time_are_all_kept_and_the_file_is_always_whole(tmp_path):
    path = tmp_path / "hopsworks-sandbox.json"
    first = Hopsworks(path)
    answers, torn = [], []

    def create(n):
        params = {**CREATE, "email": f"u{n}@example.com", "subject": f"auth0|{n}"}
        answers.append(requests.post(f"{first.server.url}/hopsworks-api/api/admin/users", params=params,
                                     headers={"Authorization": f"ApiKey {KEY}"}, timeout=10).status_code)

    def read_while_writing():
        while len(answers) < 16:
            try:
                json.loads(path.read_text())
            except FileNotFoundError:
                pass
            except ValueError:
                torn.append(True)

    reader = threading.Thread(target=read_while_writing)
    reader.start()
    threads = [threading.Thread(target=create, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reader.join()
    first.stop()
    assert answers == [201] * 16 and torn == []
    assert [p.name for p in tmp_path.iterdir()] == ["hopsworks-sandbox.json"]  # no temporary file left behind

    second = Hopsworks(path)
    try:
        assert sorted(u["email"] for u in second.remote_users()) == sorted(f"u{n}@example.com" for n in range(16))
    finally:
        second.stop()
