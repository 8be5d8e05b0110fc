"""The one place that talks to a Hopsworks cluster's REST API (plain `requests`).

Every call carries `Authorization: ApiKey <key>` and a timeout; failures become our exceptions
with a message a person can act on. The API key never appears in a message or a log line.
"""

import logging

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

PAGE_SIZE = 200


class HopsworksError(Exception):
    """Hopsworks said no, or could not be reached. `status` is the HTTP status (None: no answer)."""

    def __init__(self, message, *, status=None, error_code=None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class HopsworksUnavailable(HopsworksError):
    """Worth retrying: timeout, connection refused, 5xx."""


class HopsworksRejected(HopsworksError):
    """Retrying the same request will not help: 4xx (bad key, bad input, duplicate)."""


class HopsworksClient:
    def __init__(self, *, api_url, api_key, timeout=None):
        self.base = api_url.rstrip("/") + "/hopsworks-api/api"
        self.timeout = timeout if timeout is not None else settings.HOPSWORKS_REQUEST_TIMEOUT
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"ApiKey {api_key}"
        self.session.headers["Accept"] = "application/json"

    @classmethod
    def for_cluster(cls, cluster):
        return cls(api_url=cluster.api_url, api_key=cluster.api_key)

    def _call(self, method, path, *, params=None, json=None, expect=(200,)):
        url = self.base + path
        try:
            response = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
        except requests.Timeout as exc:
            raise HopsworksUnavailable(f"Hopsworks did not answer {method} {path} within {self.timeout:g}s.") from exc
        except requests.RequestException as exc:
            raise HopsworksUnavailable(f"Hopsworks cannot be reached ({type(exc).__name__}) for {method} {path}.") from exc
        logger.info("hopsworks %s %s -> %s", method, path, response.status_code)
        if response.status_code in expect:
            return response
        raise _error_from(response, method, path)

    @staticmethod
    def _json(response):
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError as exc:
            raise HopsworksUnavailable(f"Hopsworks answered {response.status_code} with a body that is not JSON.") from exc

    # ---------------------------------------------------------------- users

    def user_create(self, *, email, given_name, surname, subject, client_id, max_num_projects):
        """Create an OAuth (remote) user: query parameters, no body; 201 without a numeric id."""
        params = {
            "accountType": "REMOTE_ACCOUNT_TYPE", "type": "OAUTH2", "email": email,
            "givenName": given_name, "surname": surname, "maxNumProjects": max_num_projects,
            "subject": subject, "clientId": client_id,
        }
        return self._json(self._call("POST", "/admin/users", params=params, expect=(200, 201)))

    def users_list(self, *, offset=0, limit=PAGE_SIZE):
        params = [("offset", offset), ("limit", limit), ("filter_by", "type:REMOTE_ACCOUNT_TYPE"), ("sort_by", "email:asc")]
        return self._json(self._call("GET", "/admin/users", params=params))

    def user_find_by_email(self, email):
        """The remote user with this email (listing pages; Hopsworks has no email filter) or None."""
        wanted = email.strip().lower()
        offset = 0
        while True:
            page = self.users_list(offset=offset)
            items = page.get("items") or []
            for item in items:
                if (item.get("email") or "").lower() == wanted:
                    return item
            offset += len(items)
            if not items or offset >= int(page.get("count") or 0):
                return None

    def user_by_uuid(self, *, client_id, subject):
        """The user created for this Auth0 client and subject, or None (minimal data, no id)."""
        try:
            return self._json(self._call("GET", f"/admin/user/{client_id}.{requests.utils.quote(subject, safe='')}"))
        except HopsworksRejected as exc:
            if exc.status == 404:
                return None
            raise

    def user_update(self, user_id, **changes):
        """PUT /admin/users/{numeric id} with e.g. maxNumProjects=5."""
        if not str(user_id).isdigit():
            raise HopsworksRejected(f"Hopsworks user paths take numeric ids only, not {user_id!r}.")
        return self._json(self._call("PUT", f"/admin/users/{user_id}", json=changes, expect=(200, 204)))

    # ---------------------------------------------------------------- projects, health

    def projects_list(self, *, offset=0, limit=PAGE_SIZE):
        params = {"expand": "creator", "offset": offset, "limit": limit}
        return self._json(self._call("GET", "/admin/projects", params=params))

    def version(self):
        """The cluster's versions (the health check)."""
        return self._json(self._call("GET", "/variables/versions"))


def _error_from(response, method, path):
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    detail = body.get("usrMsg") or body.get("errorMsg") or response.reason or "no details"
    code = body.get("errorCode")
    message = f"Hopsworks answered {status} to {method} {path}: {detail}" + (f" (error {code})" if code else "")
    if status == 401 or status == 403:
        message += " — check the cluster's API key (an admin key with the ADMIN scope)."
    error_class = HopsworksUnavailable if status >= 500 or status == 429 else HopsworksRejected
    return error_class(message, status=status, error_code=code)


def project_creators(*, cluster, page_size=PAGE_SIZE):
    """{namespace: {"username", "email", "project"}} for every project on the cluster, from
    `GET /admin/projects?expand=creator` (the fallback way to attribute a pod to a user)."""
    client = HopsworksClient.for_cluster(cluster)
    creators, offset = {}, 0
    while True:
        page = client.projects_list(offset=offset, limit=page_size)
        items = page.get("items") or []
        for item in items:
            creator = item.get("creator") or {}
            namespace = item.get("namespace") or _namespace_for(item.get("name") or "")
            creators[namespace] = {
                "username": creator.get("username") or "",
                "email": creator.get("email") or "",
                "project": item.get("name") or "",
            }
        offset += len(items)
        if not items or offset >= int(page.get("count") or 0):
            return creators


def _namespace_for(project_name):
    """Hopsworks' own rule (KubeClientService.getKubeProjectName), for versions without `namespace`."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch == "-") else "-" for ch in project_name.lower())


def cluster_version(*, cluster):
    """The "test connection" check: the versions answer, or a HopsworksError."""
    return HopsworksClient.for_cluster(cluster).version()
