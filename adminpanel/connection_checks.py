"""The two checks behind a cluster's "test connection": the Hopsworks API with the stored key, and
the Kubernetes API through the stored kubeconfig (`/version`, then a one-item pod list with the
owner label, which needs the credentials the collector uses). Each result carries its timing and
an error a person can act on; secrets never appear in it.

The Hopsworks call goes through clusters' client. The Kubernetes calls use usage's client factory
(`api_client_for`: per-cluster, no retries) plus the two read calls the check needs.
"""

import json
import time
from dataclasses import asdict, dataclass

import urllib3
from django.conf import settings
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from clusters.hopsworks_client import HopsworksError, cluster_version
from usage.kubernetes_client import KubernetesError, api_client_for

CONNECT_TIMEOUT = 5.0


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


def _kube_timeout():
    read = float(settings.KUBERNETES_REQUEST_TIMEOUT)
    return (min(CONNECT_TIMEOUT, read), read)


def _kube_call(what, call, **kwargs):
    try:
        response = call(**kwargs, _request_timeout=_kube_timeout(), _preload_content=False)
        return json.loads(response.data)
    except ApiException as exc:
        hint = " — check the kubeconfig's credentials" if exc.status in (401, 403) else ""
        raise KubernetesError(f"Kubernetes answered {exc.status} to the {what}: {exc.reason}{hint}") from None
    except urllib3.exceptions.NewConnectionError:
        raise KubernetesError(f"Kubernetes cannot be reached for the {what} (connection refused or no route).") from None
    except urllib3.exceptions.TimeoutError:
        raise KubernetesError(f"Kubernetes did not answer the {what} within {_kube_timeout()[1]:g}s.") from None
    except urllib3.exceptions.HTTPError as exc:
        raise KubernetesError(f"Kubernetes cannot be reached for the {what} ({type(exc).__name__}).") from None
    except ValueError:
        raise KubernetesError(f"Kubernetes answered the {what} with something that is not JSON.") from None


def _kubernetes(cluster):
    kubeconfig = cluster.kubeconfig_dict()
    if not kubeconfig:
        raise KubernetesError("The cluster has no kubeconfig; upload one to collect its usage.")
    api = api_client_for(kubeconfig)
    try:
        version = _kube_call("version request", client.VersionApi(api).get_code)
        pods = _kube_call(
            "pod list", client.CoreV1Api(api).list_pod_for_all_namespaces,
            label_selector=cluster.owner_label_key, limit=1,
        )
    finally:
        api.close()
    listed = "at least one pod" if pods.get("items") else "no pods yet"
    return f"Kubernetes {version.get('gitVersion', '?')}; pods with label {cluster.owner_label_key!r}: {listed}."


def connection_test(*, cluster):
    """{"hopsworks": {...}, "kubernetes": {...}}: each check's ok, ms, detail and error."""
    return {
        "hopsworks": asdict(_timed(lambda: _hopsworks(cluster))),
        "kubernetes": asdict(_timed(lambda: _kubernetes(cluster))),
    }
