"""Concurrent sign-ups on the real PostgreSQL never push a cluster over its seats."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from clusters.models import UserHopsworksAssignment
from clusters.services import assignment_request, cluster_create

State = UserHopsworksAssignment.State


def _request_all_at_once(users):
    barrier = threading.Barrier(len(users))

    def one(user):
        try:
            barrier.wait(timeout=30)
            return assignment_request(user=user).state
        finally:
            connection.close()  # each thread has its own connection; give it back

    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        return list(pool.map(one, users))


@pytest.mark.django_db(transaction=True)
def test_fifty_owners_at_once_fill_forty_seats_and_ten_wait_until_a_cluster_is_added(make_cluster, make_owner):
    first = make_cluster("eu-1", max_users=20)
    second = make_cluster("eu-2", max_users=20)
    owners = [make_owner() for _ in range(50)]

    states = _request_all_at_once(owners)

    assert states.count(State.PENDING) == 40
    assert states.count(State.WAITING_FOR_CAPACITY) == 10
    assert first.assignments.count() == 20
    assert second.assignments.count() == 20
    queue = list(
        UserHopsworksAssignment.objects.filter(state=State.WAITING_FOR_CAPACITY).order_by("waiting_since", "id")
    )
    assert len(queue) == 10

    third = cluster_create(name="eu-3", api_url="http://127.0.0.1:1", api_key="k" * 20, max_users=10)

    seated = list(UserHopsworksAssignment.objects.filter(cluster=third).order_by("assigned_at", "id"))
    assert [a.user_id for a in seated] == [a.user_id for a in queue]  # oldest first
    assert UserHopsworksAssignment.objects.filter(state=State.WAITING_FOR_CAPACITY).count() == 0
    assert UserHopsworksAssignment.objects.filter(cluster__isnull=False).count() == 50


@pytest.mark.django_db(transaction=True)
def test_members_joining_at_once_never_overfill_their_owners_cluster(make_cluster, make_owner, make_user):
    cluster = make_cluster("eu-1", max_users=6)
    owner = make_owner()
    assignment_request(user=owner)
    members = [make_user(f"m{i}@example.com", owner=owner) for i in range(12)]

    states = _request_all_at_once(members)

    assert states.count(State.PENDING) == 5
    assert states.count(State.WAITING_FOR_CAPACITY) == 7
    assert cluster.assignments.count() == 6
