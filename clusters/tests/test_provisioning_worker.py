"""The provisioning task on a real Celery worker: retries with backoff, then ready or failed."""

import pytest

from clusters.models import UserHopsworksAssignment
from clusters.services import assignment_request
from conftest import wait_for


def wait_state(procs, user, state):
    try:
        return wait_for(lambda: UserHopsworksAssignment.objects.filter(user=user, state=state).first(), timeout=60, message=state)
    except BaseException:
        print(procs.log("worker")[-3000:])
        raise

State = UserHopsworksAssignment.State


@pytest.mark.django_db(transaction=True)
def test_the_worker_retries_hopsworks_errors_with_backoff_until_ready_or_failed(
    celery_processes, celery_queue, hopsworks_sandbox, hopsworks_cluster, make_user
):
    procs = celery_processes(HOPSWORKS_PROVISION_RETRY_BACKOFF=1, HOPSWORKS_PROVISION_MAX_RETRIES=2)
    procs.start_worker(concurrency=1)
    celery_queue.use(procs.queue)  # what this test sends, that worker takes
    store = hopsworks_sandbox.store

    # Two 500s, then Hopsworks recovers: the third attempt creates the account.
    store.fail(method="POST", path="/admin/users", status=500, times=2)
    owner = make_user("ripley@example.com", name="Ellen Ripley", card_on_file=True)
    assignment_request(user=owner)

    assignment = wait_state(procs, owner, State.READY)
    owner.refresh_from_db()
    assert assignment.attempts == 3 and assignment.last_error == ""
    assert owner.hopsworks_username and [u["username"] for u in store.snapshot()["users"] if u["email"] == owner.email] == [owner.hopsworks_username]

    # Hopsworks stays down: after max_retries the assignment ends "failed" with the last error.
    store.fail(method="POST", path="/admin/users", status=503, times=None)
    other = make_user("hicks@example.com", name="Dwayne Hicks", card_on_file=True)
    assignment_request(user=other)

    failed = wait_state(procs, other, State.FAILED)
    assert failed.attempts == 3 and "503" in failed.last_error
    assert hopsworks_sandbox.api_key not in procs.log("worker")
