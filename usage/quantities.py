"""Kubernetes resource quantities (`250m`, `123456789n`, `1Gi`, `524288Ki`) as exact Decimals."""

from decimal import Decimal

from kubernetes.utils import parse_quantity

GPU_RESOURCE = "nvidia.com/gpu"
GIB = Decimal(2**30)


class QuantityInvalid(ValueError):
    """The cluster sent something that is not a Kubernetes quantity."""


def quantity(text):
    """The quantity as a Decimal (cores, bytes, or a count), never a float."""
    try:
        return Decimal(parse_quantity(text))
    except (ValueError, TypeError, ArithmeticError):
        raise QuantityInvalid(f"not a Kubernetes quantity: {text!r}") from None


def container_gpus(container):
    """GPUs a container holds: its `nvidia.com/gpu` request, else its limit (Kubecost's rule)."""
    resources = container.get("resources") or {}
    for section in ("requests", "limits"):
        value = (resources.get(section) or {}).get(GPU_RESOURCE)
        if value is not None:
            return quantity(value)
    return Decimal(0)
