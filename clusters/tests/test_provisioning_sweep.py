"""A lost provisioning message (Redis lost it, a worker died before taking it) does not strand a
seat: the beat's sweep sends it again, and the account is created once on the Hopsworks sandbox."""

import base64
import json
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from clusters.hopsworks_client import HopsworksUnavailable
from clusters.models import UserHopsworksAssignment
from clusters.provisioning import LOCK_CLASS, ProvisioningInFlight, hopsworks_account_provision
from clusters.services import assignment_request, provisioning_stale_requeue
from conftest import wait_for
from hopsmanaged.celery import app

State = UserHopsworksAssignment.State
PROVISION_TASK = "clusters.tasks.provision_hopsworks_account"


def queued(queue):
    """The messages waiting in a Celery queue on Redis, as (task name, args), oldest first."""
    with app.connection_for_write() as conn:
        raw = conn.default_channel.client.lrange(queue, 0, -1)
    messages = []
    for item in reversed(raw):  # kombu pushes to the head and pops from the tail
        message = json.loads(item)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        messages.append((message["headers"]["task"], args))
    return messages


def deliver(queue):
    """What a worker does with the queue: take each message and run its task."""
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        while (item := client.rpop(queue)) is not None:
            message = json.loads(item)
            args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            app.tasks[message["headers"]["task"]].apply(args=args, kwargs=kwargs)


def accounts_of(store, email):
    return [u for u in store.snapshot()["users"] if u["email"] == email]


def creates(store):
    return [r for r in store.snapshot()["requests"] if r["method"] == "POST" and r["path"] == "/admin/users"]


@pytest.fixture
def stuck(hopsworks_cluster, make_user):
    """stuck(email, state, minutes_ago): a seated owner whose provisioning message never reached a
    worker (outside a transactional test, on-commit messages are never sent)."""

    def make(email, state=State.PROVISIONING, minutes_ago=15, **fields):
        user = make_user(email, name="Dana Scully", card_on_file=True)
        assert assignment_request(user=user).cluster == hopsworks_cluster
        UserHopsworksAssignment.objects.filter(user=user).update(
            state=state, last_attempt_at=timezone.now() - timedelta(minutes=minutes_ago), **fields
        )
        return user

    return make


def run_at_work(user):
    """A provisioning run holds this user's lock (in any process)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s",
                       [LOCK_CLASS, user.pk])
        return cursor.fetchone()[0] == 1


def sweep(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return provisioning_stale_requeue(**kwargs)


@pytest.mark.parametrize("state", [State.PENDING, State.PROVISIONING])
def test_a_seat_whose_provisioning_message_was_lost_ends_ready_with_one_hopsworks_account_after_the_sweep(
    stuck, state, hopsworks_sandbox, celery_queue, django_capture_on_commit_callbacks
):
    user = stuck("dana@example.com", state=state, attempts=1 if state == State.PROVISIONING else 0)

    assert sweep(django_capture_on_commit_callbacks) == [user.pk]
    assert queued(celery_queue.name) == [(PROVISION_TASK, [user.pk])]
    deliver(celery_queue.name)

    assignment = UserHopsworksAssignment.objects.get(user=user)
    [account] = accounts_of(hopsworks_sandbox.store, "dana@example.com")
    user.refresh_from_db()
    assert assignment.state == State.READY and assignment.last_error == ""
    assert user.hopsworks_username == account["username"]
    assert len(creates(hopsworks_sandbox.store)) == 1


def test_an_account_the_lost_run_already_made_on_hopsworks_is_adopted_not_created_twice(
    stuck, hopsworks_sandbox, celery_queue, django_capture_on_commit_callbacks, settings
):
    user = stuck("dana@example.com", state=State.PENDING, attempts=0)
    # The lost run got as far as Hopsworks; its outcome never reached our database.
    existing = hopsworks_sandbox.store.user_create(
        email="dana@example.com", given_name="Dana", surname="Scully", subject=user.auth0_sub,
        client_id=settings.AUTH0_CLIENT_ID, max_num_projects=0,
    )

    sweep(django_capture_on_commit_callbacks)
    deliver(celery_queue.name)

    assert UserHopsworksAssignment.objects.get(user=user).state == State.READY
    [account] = accounts_of(hopsworks_sandbox.store, "dana@example.com")
    assert account["username"] == existing["username"] and account["maxNumProjects"] == 5
    user.refresh_from_db()
    assert user.hopsworks_username == existing["username"]


def test_the_sweep_leaves_fresh_ready_failed_waiting_and_retry_scheduled_assignments_alone(
    stuck, make_user, hopsworks_sandbox, celery_queue, django_capture_on_commit_callbacks
):
    now = timezone.now()
    fresh = stuck("fresh@example.com", minutes_ago=3)
    ready = stuck("ready@example.com", state=State.READY, minutes_ago=60)
    failed = stuck("failed@example.com", state=State.FAILED, minutes_ago=60, last_error="Hopsworks answered 401")
    retrying = stuck("retrying@example.com", minutes_ago=30, retry_due_by=now + timedelta(minutes=20))
    waiting = make_user("waiting@example.com", card_on_file=False)
    assignment_request(user=waiting)
    before = {a.user_id: (a.state, a.last_attempt_at) for a in UserHopsworksAssignment.objects.all()}

    assert sweep(django_capture_on_commit_callbacks) == []

    assert queued(celery_queue.name) == []
    assert {a.user_id: (a.state, a.last_attempt_at) for a in UserHopsworksAssignment.objects.all()} == before
    assert before[fresh.pk][0] == State.PROVISIONING and before[retrying.pk][0] == State.PROVISIONING
    assert (before[ready.pk][0], before[failed.pk][0]) == (State.READY, State.FAILED)
    assert before[waiting.pk] == (State.WAITING_FOR_CARD, None)
    assert hopsworks_sandbox.store.snapshot()["requests"] == []


def test_a_resent_provisioning_is_not_resent_at_every_sweep_only_when_it_goes_stale_again(
    stuck, celery_queue, django_capture_on_commit_callbacks
):
    user = stuck("dana@example.com")
    now = timezone.now()

    assert sweep(django_capture_on_commit_callbacks, now=now) == [user.pk]
    assert sweep(django_capture_on_commit_callbacks, now=now + timedelta(minutes=5)) == []
    assert UserHopsworksAssignment.objects.get(user=user).last_attempt_at == now
    # Lost again: the next sweep after the threshold sends it once more.
    assert sweep(django_capture_on_commit_callbacks, now=now + timedelta(minutes=11)) == [user.pk]
    assert queued(celery_queue.name) == [(PROVISION_TASK, [user.pk])] * 2


def test_a_retry_celery_holds_is_waited_for_and_resent_only_if_it_never_came(
    stuck, hopsworks_sandbox, celery_queue, django_capture_on_commit_callbacks
):
    user = stuck("dana@example.com", state=State.PENDING, minutes_ago=0)
    hopsworks_sandbox.store.fail(method="POST", path="/admin/users", status=503, times=1)
    with pytest.raises(HopsworksUnavailable, match="503"):
        hopsworks_account_provision(user_id=user.pk, retry_within=1800)  # Celery's next retry: ≤ 30 min
    assignment = UserHopsworksAssignment.objects.get(user=user)
    assert assignment.state == State.PROVISIONING
    assert timedelta(minutes=29) < assignment.retry_due_by - timezone.now() <= timedelta(minutes=30)

    later = timezone.now()
    assert sweep(django_capture_on_commit_callbacks, now=later + timedelta(minutes=25)) == []
    assert sweep(django_capture_on_commit_callbacks, now=later + timedelta(minutes=41)) == [user.pk]
    deliver(celery_queue.name)
    assert UserHopsworksAssignment.objects.get(user=user).state == State.READY
    assert len(accounts_of(hopsworks_sandbox.store, "dana@example.com")) == 1


@pytest.mark.django_db(transaction=True)
def test_two_provisioning_runs_for_the_same_user_at_once_create_one_account(stuck, hopsworks_sandbox):
    user = stuck("dana@example.com", state=State.PENDING)
    hopsworks_sandbox.store.fail(method="POST", path="/admin/users", status=0, delay=1.5, times=1)  # slow create
    outcome = {}

    def first_run():
        try:
            outcome["username"] = hopsworks_account_provision(user_id=user.pk)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_run)
    thread.start()
    try:
        wait_for(lambda: run_at_work(user), timeout=10, message="the first run to be at work")
        # A resent message arriving meanwhile: it is put off (Celery retries it later) …
        with pytest.raises(ProvisioningInFlight):
            hopsworks_account_provision(user_id=user.pk)
        # … or, on its last attempt, leaves the outcome to the run at work.
        assert hopsworks_account_provision(user_id=user.pk, final_attempt=True) is None
    finally:
        thread.join(timeout=30)

    assert hopsworks_account_provision(user_id=user.pk) is None  # the retry: nothing left to do
    assignment = UserHopsworksAssignment.objects.get(user=user)
    assert assignment.state == State.READY and assignment.attempts == 1
    [account] = accounts_of(hopsworks_sandbox.store, "dana@example.com")
    assert outcome["username"] == account["username"]
    assert len(creates(hopsworks_sandbox.store)) == 1


@pytest.mark.django_db(transaction=True)
def test_the_beat_sweep_on_a_real_worker_provisions_a_seat_whose_message_was_lost(
    celery_processes, hopsworks_sandbox, hopsworks_cluster, make_user
):
    lost = make_user("ripley@example.com", name="Ellen Ripley", card_on_file=True)
    recent = make_user("hicks@example.com", name="Dwayne Hicks", card_on_file=True)
    # Both messages go to this test's own queue, which no worker reads: lost.
    assignment_request(user=lost)
    assignment_request(user=recent)
    UserHopsworksAssignment.objects.filter(user=lost).update(last_attempt_at=timezone.now() - timedelta(minutes=30))
    procs = celery_processes(PROVISIONING_SWEEP_SECONDS=2)
    procs.start_worker(concurrency=1)
    procs.start_beat()

    try:
        assignment = wait_for(
            lambda: UserHopsworksAssignment.objects.filter(user=lost, state=State.READY).first(),
            timeout=30, message="the swept seat to be ready",
        )
    except BaseException:
        print(procs.log("beat")[-2000:], procs.log("worker")[-3000:])
        raise
    procs.stop("beat")

    lost.refresh_from_db()
    assert [u["username"] for u in accounts_of(hopsworks_sandbox.store, lost.email)] == [lost.hopsworks_username]
    assert assignment.attempts == 1
    # The seat taken a moment ago is not resent: its message may still be on its way.
    assert UserHopsworksAssignment.objects.get(user=recent).state == State.PENDING
    assert accounts_of(hopsworks_sandbox.store, recent.email) == []
    assert "Sending due task requeue-stale-provisioning" in procs.log("beat")
    assert "clusters.tasks.requeue_stale_provisioning" in procs.log("worker")
