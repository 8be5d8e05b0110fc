"""pytest fixtures: Kubernetes sandboxes on free ports (auto-loaded by the root conftest).

The app under test reaches a sandbox only through a cluster's kubeconfig (`kubeconfig_for`), as
in production; tests drive the simulated pods, clock and faults through `.sandbox`.
"""

from datetime import datetime, timedelta, timezone

import pytest

from sandbox.serving import start_in_thread

from .kubeconfig import kubeconfig_for
from .server import create_app


class RunningKubernetes:
    def __init__(self, running, token):
        self.running = running
        self.url = running.url
        self.app = running.app
        self.sandbox = running.app.sandbox
        self.token = token

    def kubeconfig(self, *, token=None):
        return kubeconfig_for(self.url, token or self.token)

    def stop(self):
        self.running.stop()


def current_slot_start():
    now = datetime.now(timezone.utc)
    return now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)


@pytest.fixture
def kubernetes_sandbox_factory():
    """Factory: start a Kubernetes sandbox (frozen clock one minute into the current slot)."""
    started = []

    def start(*, token="sandbox-token", **config):
        config.setdefault("start", current_slot_start() + timedelta(minutes=1))
        running = start_in_thread(create_app(token=token, **config))
        started.append(running)
        return RunningKubernetes(running, token)

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def kubernetes_sandbox(kubernetes_sandbox_factory):
    """One Kubernetes sandbox: `.url`, `.kubeconfig()`, `.sandbox` (pods, clock, faults, ledger)."""
    return kubernetes_sandbox_factory()
