"""Kubernetes JSON objects as the API server and metrics-server emit them (schema-valid for 37.x)."""

from .workload import cpu_quantity, iso, memory_quantity, noise, pod_uid, slot_start

GPU_RESOURCE = "nvidia.com/gpu"
IMAGES = {
    "jupyter": "docker.hops.works/hopsworks/jupyter:4.2",
    "job": "docker.hops.works/hopsworks/spark:4.2",
    "serving": "docker.hops.works/hopsworks/kserve:4.2",
    "fixed": "docker.hops.works/hopsworks/python:4.2",
}


def container_spec(container, image):
    if container.cpu_text is not None:
        requests = {"cpu": container.cpu_text, "memory": container.memory_text}
        limits = dict(requests)
    else:
        requests = {"cpu": cpu_quantity(container.cpu_nanocores), "memory": memory_quantity(container.memory_bytes)}
        limits = {"cpu": cpu_quantity(container.cpu_nanocores * 2), "memory": memory_quantity(container.memory_bytes * 2)}
    if container.gpus:
        limits[GPU_RESOURCE] = str(container.gpus)
        if container.gpu_in_requests:
            requests[GPU_RESOURCE] = str(container.gpus)
    return {
        "name": container.name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "resources": {"limits": limits, "requests": requests},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def pod_object(*, seed, template, name, phase, started, labels, resource_version):
    namespace = template.namespace
    created = iso(slot_start(started))
    image = IMAGES.get(template.kind, IMAGES["fixed"])
    spec = {
        "containers": [container_spec(c, image) for c in template.containers],
        "restartPolicy": "Never" if template.kind == "job" else "Always",
        "schedulerName": "default-scheduler",
        "serviceAccountName": "default",
        "terminationGracePeriodSeconds": 30,
    }
    status = {"phase": phase, "qosClass": "Burstable"}
    if phase != "Pending":
        node = noise(seed, namespace, name) % 8
        spec["nodeName"] = f"worker-{node}"
        status.update(hostIP=f"10.0.0.{10 + node}", podIP=f"10.244.{node}.{noise(seed, name) % 250 + 2}", startTime=created)
        status["containerStatuses"] = [
            {
                "name": c.name, "image": image, "imageID": "", "ready": phase == "Running",
                "restartCount": 0, "started": phase == "Running",
                "state": {"running": {"startedAt": created}} if phase == "Running"
                else {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": created, "finishedAt": created}},
            }
            for c in template.containers
        ]
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": pod_uid(seed, namespace, name),
            "resourceVersion": str(resource_version),
            "creationTimestamp": created,
            "labels": labels,
        },
        "spec": spec,
        "status": status,
    }


def pod_metrics_object(*, name, namespace, labels, usages, now):
    """A PodMetrics item; metrics-server copies the pod's labels and stamps creationTimestamp now."""
    return {
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": iso(now), "labels": labels},
        "timestamp": iso(now),
        "window": "15.02s",
        "containers": [
            {"name": container_name, "usage": {"cpu": cpu, "memory": memory}}
            for container_name, cpu, memory in usages
        ],
    }


def status_object(code, reason, message, **metadata):
    return {
        "kind": "Status", "apiVersion": "v1", "metadata": metadata, "status": "Failure",
        "message": message, "reason": reason, "code": code,
    }
