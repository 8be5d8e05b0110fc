"""Kubernetes sandbox (API server + metrics-server subset) for the usage collector."""

from .kubeconfig import kubeconfig_for  # noqa: F401
