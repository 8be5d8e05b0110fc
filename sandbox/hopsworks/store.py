"""The Hopsworks sandbox's state: users, projects, the request log and the failure switches."""

import json
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from sandbox.state_file import json_read, json_write

FIRST_USER_ID = 10000
FIRST_PROJECT_ID = 100
ADMIN_EMAIL = "admin@hopsworks.ai"


def project_namespace(name):
    """Hopsworks' rule (KubeClientService.getKubeProjectName): lowercase, outside [a-z0-9-] → '-'."""
    return re.sub(r"[^a-z0-9-]", "-", name.lower())


def default_project_name(username):
    """The project every user created in the sandbox gets, so pods and projects have an owner."""
    return f"{username}_demo"


def _now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class FailureRule:
    """Answer matching requests with `status` (after `delay` seconds). `commit`: do the work first,
    then answer the error (the answer was lost). `times` None: until cleared."""

    method: str = ""
    path: str = ""
    status: int = 500
    times: int | None = 1
    delay: float = 0.0
    commit: bool = False
    hits: int = field(default=0)

    def matches(self, method, path):
        return (not self.method or self.method.upper() == method) and path.startswith(self.path)

    @property
    def spent(self):
        return self.times is not None and self.hits >= self.times


class HopsworksStore:
    def __init__(self, *, api_keys, on_user_created=None, default_projects=True, version="4.6.0", state_path=None):
        self.lock = threading.RLock()
        self.api_keys = list(api_keys)
        self.on_user_created = on_user_created
        self.default_projects = default_projects
        self.version = version
        self.state_path = state_path
        self._saved = None  # the JSON last written: a request that changed nothing writes nothing
        self._clear()
        if state_path:
            self._load(state_path)

    def reset(self):
        with self.lock:
            self._clear()
            self.save()

    def _clear(self):
        with self.lock:
            self.users = {}
            self.projects = {}
            self.requests = []
            self.failures = []
            self.next_user_id = FIRST_USER_ID
            self.next_project_id = FIRST_PROJECT_ID
            self._add_user(email=ADMIN_EMAIL, given_name="Admin", surname="Hopsworks",
                           account_type="M_ACCOUNT_TYPE", max_num_projects=100, role="HOPS_ADMIN")

    # ---------------------------------------------------------------- users

    def _username_for(self, email):
        base = re.sub(r"[^a-z]", "", email.split("@", 1)[0].lower())[:8] or "user"
        taken = {u["username"] for u in self.users.values()}
        n = 0
        while f"{base}{n:03d}" in taken:
            n += 1
        return f"{base}{n:03d}"

    def _add_user(self, *, email, given_name, surname, account_type="REMOTE_ACCOUNT_TYPE",
                  subject="", client_id="", max_num_projects=0, role="HOPS_USER"):
        user = {
            "id": self.next_user_id, "username": self._username_for(email), "email": email,
            "firstname": given_name, "lastname": surname, "accountType": account_type,
            "subject": subject, "clientId": client_id, "status": 2, "maxNumProjects": max_num_projects,
            "role": role, "activated": _now(),
        }
        self.users[user["id"]] = user
        self.next_user_id += 1
        return user

    def user_create(self, **fields):
        """Create a remote user and their default project; None when the email or the OAuth uuid
        is taken (Hopsworks refuses duplicates). The hook runs after the lock is released."""
        with self.lock:
            uuid = f"{fields.get('client_id')}.{fields.get('subject')}" if fields.get("subject") else None
            if self.user_by_email(fields["email"]) or (uuid and self.user_by_uuid(uuid)):
                return None
            user = self._add_user(**fields)
            if self.default_projects:
                self.project_create(owner=user, name=default_project_name(user["username"]))
            self.save()
        if self.on_user_created:
            self.on_user_created(user["username"], user["email"])
        return user

    def user_by_email(self, email):
        with self.lock:
            return next((u for u in self.users.values() if u["email"].lower() == email.lower()), None)

    def user_by_uuid(self, uuid):
        with self.lock:
            return next((u for u in self.users.values() if u["clientId"] and f"{u['clientId']}.{u['subject']}" == uuid), None)

    def user_by_name(self, name):
        with self.lock:
            return next((u for u in self.users.values() if name in (u["username"], u["email"])), None)

    # ---------------------------------------------------------------- projects

    def project_create(self, *, owner, name):
        with self.lock:
            project = {
                "id": self.next_project_id, "name": name, "namespace": project_namespace(name),
                "creator_id": owner["id"], "created": _now(), "paymentType": "PREPAID",
                "members": {owner["id"]: "Data owner"},
            }
            self.projects[project["id"]] = project
            self.next_project_id += 1
            self.save()
            return project

    # ---------------------------------------------------------------- kept across restarts (make run)

    def save(self):
        """With a state_path: write users, projects and the id counters (what Hopsworks' database
        keeps) atomically, when they changed. The request log and the switches are not kept."""
        if not self.state_path:
            return
        with self.lock:
            text = json.dumps({
                "users": list(self.users.values()),
                "projects": [{**p, "members": [[k, v] for k, v in p["members"].items()]} for p in self.projects.values()],
                "next_user_id": self.next_user_id, "next_project_id": self.next_project_id,
            })
            if text != self._saved:
                json_write(self.state_path, text)
                self._saved = text

    def _load(self, path):
        data = json_read(path)
        if data is None:
            return
        with self.lock:
            self.users = {u["id"]: u for u in data["users"]}
            self.projects = {p["id"]: {**p, "members": dict(map(tuple, p["members"]))} for p in data["projects"]}
            self.next_user_id, self.next_project_id = data["next_user_id"], data["next_project_id"]

    def usernames_created(self):
        """[(username, email)] of every user created in this Hopsworks (all but the built-in admin)."""
        with self.lock:
            return [(u["username"], u["email"]) for u in self.users.values() if u["email"] != ADMIN_EMAIL]

    # ---------------------------------------------------------------- request log and switches

    def log(self, *, method, path, query, api_key, status):
        with self.lock:
            self.requests.append({
                "method": method, "path": path, "query": query, "api_key": api_key,
                "status": status, "at": time.time(),
            })

    def fail(self, **rule):
        with self.lock:
            self.failures.append(FailureRule(**rule))

    def clear_failures(self):
        with self.lock:
            self.failures = []

    def failure_for(self, method, path):
        """The first live rule matching this request (its hit counted), or None."""
        with self.lock:
            for rule in self.failures:
                if not rule.spent and rule.matches(method, path):
                    rule.hits += 1
                    return rule
        return None

    def snapshot(self):
        with self.lock:
            return {
                "users": [dict(u) for u in self.users.values()],
                "projects": [{**p, "members": {str(k): v for k, v in p["members"].items()}} for p in self.projects.values()],
                "requests": list(self.requests),
                "failures": [asdict(r) for r in self.failures],
            }
