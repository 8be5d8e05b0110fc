"""The two checks behind a cluster's "test connection": the Hopsworks API with the stored key, and
the Kubernetes API through the stored kubeconfig (`/version`, then a one-item pod list with the
owner label, which needs the credentials the collector uses). Each result carries its timing and
an error a person can act on; secrets never appear in it.

The Hopsworks call goes through clusters' client, the Kubernetes calls through usage's
`connection_check` (the collector's client: per-cluster, no retries, same timeouts and errors).
"""

import time
from dataclasses import asdict, dataclass

from clusters.hopsworks_client import HopsworksError, cluster_version
from usage.kubernetes_client import KubernetesError, connection_check


@dataclass
class CheckResult:
    ok: bool
    ms: int
    detail: str = ""
    error: str = ""


def _timed(check):
    started = time.monotonic()
    try:
        detail = check()
    except (HopsworksError, KubernetesError) as exc:
        return CheckResult(ok=False, ms=_ms(started), error=str(exc))
    return CheckResult(ok=True, ms=_ms(started), detail=detail)


def _ms(started):
    return int((time.monotonic() - started) * 1000)


def _hopsworks(cluster):
    versions = cluster_version(cluster=cluster)
    items = versions if isinstance(versions, list) else []
    version = next(
        (item.get("version") for item in items if isinstance(item, dict) and item.get("software") == "hopsworks"), None
    )
    return f"Hopsworks API answered with the admin key (version {version or 'unknown'})."


def _kubernetes(cluster):
    kubeconfig = cluster.kubeconfig_dict()
    if not kubeconfig:
        raise KubernetesError("The cluster has no kubeconfig; upload one to collect its usage.")
    found = connection_check(kubeconfig=kubeconfig, owner_label_key=cluster.owner_label_key)
    listed = "at least one pod" if found["has_pods"] else "no pods yet"
    return f"Kubernetes {found['version'] or '?'}; pods with label {cluster.owner_label_key!r}: {listed}."


def connection_test(*, cluster):
    """{"hopsworks": {...}, "kubernetes": {...}}: each check's ok, ms, detail and error."""
    return {
        "hopsworks": asdict(_timed(lambda: _hopsworks(cluster))),
        "kubernetes": asdict(_timed(lambda: _kubernetes(cluster))),
    }
