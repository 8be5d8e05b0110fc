"""The one place that talks to a cluster's Kubernetes API (official `kubernetes` client).

Per collection: one paginated, cluster-wide list of running pods that carry the owner label
(restarted from the top when a `continue` token expires) and one cluster-wide pod metrics list
with the same selector — API calls grow with clusters and pages, never with users or pods.
Every call has a timeout; answers are read as raw JSON (`_preload_content=False`) for speed.
"""

import json
import logging
from dataclasses import dataclass, field

import urllib3
from django.conf import settings
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

logger = logging.getLogger(__name__)

MAX_LIST_RESTARTS = 3
CONNECT_TIMEOUT = 5.0


class KubernetesError(Exception):
    """The cluster's API could not give us its pods or metrics; the message says why."""


@dataclass
class ClusterLists:
    pods: list = field(default_factory=list)
    metrics: list = field(default_factory=list)
    api_calls: int = 0
    list_restarts: int = 0


def api_client_for(kubeconfig):
    """An ApiClient for one cluster (no global configuration), with urllib3 retries off:
    retries belong to Celery, and a dead cluster must fail within its timeout."""
    configuration = client.Configuration()
    configuration.retries = False
    try:
        return config.new_client_from_config_dict(
            kubeconfig, client_configuration=configuration, persist_config=False
        )
    except (ConfigException, KeyError, TypeError, ValueError) as exc:
        raise KubernetesError(f"The cluster's kubeconfig cannot be used: {exc}") from None


def _timeout():
    read = float(settings.KUBERNETES_REQUEST_TIMEOUT)
    return (min(CONNECT_TIMEOUT, read), read)


def _status_message(exc, what=None):
    try:
        body = json.loads(exc.body or "")
        detail = body.get("message") or exc.reason
    except (ValueError, AttributeError):
        detail = exc.reason
    hint = " — check the kubeconfig's credentials (its token or client certificate)" if exc.status in (401, 403) else ""
    return f"Kubernetes answered {exc.status}{f' to the {what}' if what else ''}: {detail}{hint}"


def _read(call, what, **kwargs):
    """Run one API call and return its JSON body; errors become KubernetesError."""
    try:
        response = call(**kwargs, _request_timeout=_timeout(), _preload_content=False)
        return json.loads(response.data)
    except ApiException:
        raise
    except urllib3.exceptions.NewConnectionError:  # a ConnectTimeoutError subclass, but not a timeout
        raise KubernetesError(f"Kubernetes cannot be reached for the {what} (connection refused or no route).") from None
    except urllib3.exceptions.TimeoutError:
        raise KubernetesError(f"Kubernetes did not answer the {what} within {_timeout()[1]:g}s.") from None
    except urllib3.exceptions.HTTPError as exc:
        raise KubernetesError(f"Kubernetes cannot be reached for the {what} ({type(exc).__name__}).") from None
    except ValueError:
        raise KubernetesError(f"Kubernetes answered the {what} with something that is not JSON.") from None


def _read_checked(call, what, **kwargs):
    """`_read`, with an error answer too turned into KubernetesError naming the call."""
    try:
        return _read(call, what, **kwargs)
    except ApiException as exc:
        raise KubernetesError(_status_message(exc, what)) from None


def _pods_running(core, selector, lists, page_size):
    """Every running pod carrying the owner label, page by page; restart the list on 410."""
    pods, token = [], None
    while True:
        lists.api_calls += 1
        try:
            page = _read(
                core.list_pod_for_all_namespaces, "pod list", label_selector=selector,
                field_selector="status.phase=Running", limit=page_size, _continue=token,
            )
        except ApiException as exc:
            if exc.status != 410 or lists.list_restarts >= MAX_LIST_RESTARTS:
                raise KubernetesError(_status_message(exc)) from None
            lists.list_restarts += 1
            logger.info("pod list continue token expired; restarting the list (%s)", lists.list_restarts)
            pods, token = [], None
            continue
        pods.extend(page.get("items") or [])
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return pods


def cluster_lists(*, kubeconfig, owner_label_key, page_size=None):
    """The running pods with the owner label, and their metrics, from one cluster."""
    api = api_client_for(kubeconfig)
    lists = ClusterLists()
    try:
        page_size = page_size or settings.KUBERNETES_LIST_PAGE_SIZE
        lists.pods = _pods_running(client.CoreV1Api(api), owner_label_key, lists, page_size)
        lists.api_calls += 1
        try:
            metrics = _read(
                client.CustomObjectsApi(api).list_cluster_custom_object, "pod metrics list",
                group="metrics.k8s.io", version="v1beta1", plural="pods", label_selector=owner_label_key,
            )
        except ApiException as exc:
            raise KubernetesError(_status_message(exc) + " (metrics.k8s.io: is metrics-server running?)") from None
        lists.metrics = metrics.get("items") or []
    finally:
        api.close()
    return lists


def connection_check(*, kubeconfig, owner_label_key):
    """The admin "test connection": {"version": the API server's gitVersion, "has_pods": whether any
    pod carries the owner label}; two calls with the collector's timeouts, or KubernetesError."""
    api = api_client_for(kubeconfig)
    try:
        version = _read_checked(client.VersionApi(api).get_code, "version request")
        pods = _read_checked(client.CoreV1Api(api).list_pod_for_all_namespaces, "pod list",
                             label_selector=owner_label_key, limit=1)
    finally:
        api.close()
    return {"version": version.get("gitVersion", ""), "has_pods": bool(pods.get("items"))}
