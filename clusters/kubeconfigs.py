"""Kubeconfig checks on save, and what of one an admin may see (never the credential in full)."""

from urllib.parse import urlparse

import yaml

from .addresses import address_refusal
from .encryption import secret_mask

KUBECONFIG_MAX_BYTES = 256 * 1024
# What makes the Kubernetes client run a program, call another service or read a file on this
# server while loading the kubeconfig: refused even beside a usable credential.
UNSAFE_KEYS = {
    "users": ("exec", "auth-provider", "tokenFile", "client-certificate", "client-key"),
    "clusters": ("certificate-authority",),
}


class KubeconfigInvalid(ValueError):
    """The kubeconfig cannot be used; the message says what to fix."""


def _named(section, items, name):
    """The body of the entry called `name` in a kubeconfig list (`clusters`, `users`, `contexts`)."""
    if not isinstance(items, list):
        raise KubeconfigInvalid(f"`{section}` must be a list of entries with a name.")
    for item in items:
        if not isinstance(item, dict):
            raise KubeconfigInvalid(f"Every entry under `{section}` must be a mapping with `name` and details.")
        if item.get("name") == name:
            return item
    return None


def _body(section, entry, key):
    body = entry.get(key)
    if not isinstance(body, dict):
        raise KubeconfigInvalid(f"The `{section}` entry {entry.get('name')!r} needs a `{key}:` mapping.")
    return body


def _refuse_unsafe(section, entry, body):
    found = [key for key in UNSAFE_KEYS[section] if key in body]
    if found:
        raise KubeconfigInvalid(
            f"The `{section}` entry {entry.get('name')!r} uses {', '.join(found)}: a kubeconfig here may not run "
            "programs or read files on this server. Embed the credentials instead (token, "
            "client-certificate-data/client-key-data, certificate-authority-data)."
        )


def _credential(user):
    """What authenticates to the API: a token, a client certificate, or basic auth."""
    if isinstance(user.get("token"), str) and user["token"].strip():
        return "token", user["token"]
    cert, key = user.get("client-certificate-data"), user.get("client-key-data")
    if isinstance(cert, str) and isinstance(key, str) and cert and key:
        return "client certificate", key
    if isinstance(user.get("username"), str) and isinstance(user.get("password"), str) and user["password"]:
        return "password", user["password"]
    return None, None


def kubeconfig_parse(text):
    """The kubeconfig as a dict, or KubeconfigInvalid with a message an admin can act on.

    Checked: it is YAML that parses to a mapping, has a current context that exists, whose cluster
    has an http(s) server URL, and whose user carries credentials that work from this server
    (token, client certificate data, or username/password; file paths and exec plugins do not, and
    are refused even beside one: the client would read those files or run that program here).
    """
    if len(text.encode("utf-8", "replace")) > KUBECONFIG_MAX_BYTES:
        raise KubeconfigInvalid(
            f"The kubeconfig is larger than {KUBECONFIG_MAX_BYTES // 1024} KB; a kubeconfig is a few KB — is this the right file?"
        )
    if not text.strip():
        raise KubeconfigInvalid("The kubeconfig is empty.")
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise KubeconfigInvalid(f"The kubeconfig is not valid YAML{line}.") from None
    if not isinstance(config, dict):
        raise KubeconfigInvalid("The kubeconfig must be a YAML mapping with clusters, users and contexts.")
    contexts = config.get("contexts")
    if not contexts:
        raise KubeconfigInvalid("The kubeconfig has no contexts.")
    current = config.get("current-context")
    if not isinstance(current, str) or not current:
        raise KubeconfigInvalid("The kubeconfig has no `current-context`.")
    context_entry = _named("contexts", contexts, current)
    if context_entry is None:
        raise KubeconfigInvalid(f"The current context {current!r} is not among the kubeconfig's contexts.")
    context = _body("contexts", context_entry, "context")

    cluster_entry = _named("clusters", config.get("clusters") or [], context.get("cluster"))
    if cluster_entry is None:
        raise KubeconfigInvalid(f"The context {current!r} names cluster {context.get('cluster')!r}, which is not defined.")
    cluster = _body("clusters", cluster_entry, "cluster")
    _refuse_unsafe("clusters", cluster_entry, cluster)
    server = cluster.get("server")
    parsed = urlparse(server) if isinstance(server, str) else None
    if not parsed or parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise KubeconfigInvalid(f"The cluster {cluster_entry.get('name')!r} has no server URL (https://host:port).")
    refusal = address_refusal(server)
    if refusal:
        raise KubeconfigInvalid(f"The cluster {cluster_entry.get('name')!r} server: {refusal}")

    user_entry = _named("users", config.get("users") or [], context.get("user"))
    if user_entry is None:
        raise KubeconfigInvalid(f"The context {current!r} names user {context.get('user')!r}, which is not defined.")
    user = _body("users", user_entry, "user")
    kind, _ = _credential(user)
    if kind is None:
        raise KubeconfigInvalid(
            f"The user {user_entry.get('name')!r} has no credentials this server can use: "
            "a token, client-certificate-data with client-key-data, or username and password."
        )
    _refuse_unsafe("users", user_entry, user)
    return config


def kubeconfig_describe(config):
    """{"context", "server", "credential"} with the credential masked (last 4 characters at most)."""
    try:
        current = config["current-context"]
        context = _named("contexts", config["contexts"], current)["context"]
        server = _named("clusters", config["clusters"], context["cluster"])["cluster"]["server"]
        kind, secret = _credential(_named("users", config["users"], context["user"])["user"])
    except (KeyError, TypeError, KubeconfigInvalid):
        return {"context": "", "server": "", "credential": "unreadable"}
    return {"context": current, "server": server, "credential": f"{kind} {secret_mask(secret)}"}


def kubeconfig_build(*, server, token, name="hopsworks"):
    """A one-context kubeconfig with a bearer token (the demo cluster, tests)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server}}],
        "users": [{"name": f"{name}-admin", "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-admin"}}],
        "current-context": name,
    }
    return yaml.safe_dump(config, sort_keys=False)
