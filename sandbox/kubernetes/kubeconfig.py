"""A kubeconfig that points the official client at a (sandbox) API server with a bearer token."""


def kubeconfig_for(url, token="sandbox-token", *, name="sandbox"):
    """The kubeconfig dict an admin would upload for a cluster at `url`."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": url}}],
        "users": [{"name": f"{name}-collector", "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-collector"}}],
        "current-context": name,
        "preferences": {},
    }
