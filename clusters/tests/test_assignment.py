"""Who sits on which cluster: owners after their card, members with their owner, the queue."""

import pytest

from clusters.models import UserHopsworksAssignment
from clusters.services import (
    AssignmentError,
    assignment_move,
    assignment_release,
    assignment_request,
    cluster_update,
    waiting_assign,
)

State = UserHopsworksAssignment.State


def state_of(user):
    return UserHopsworksAssignment.objects.get(user=user)


def test_owner_with_card_gets_the_least_loaded_active_cluster(make_cluster, make_owner):
    busy = make_cluster("busy", max_users=10)
    quiet = make_cluster("quiet", max_users=10)
    resting = make_cluster("resting", max_users=10, status="maintenance")
    for _ in range(3):
        assignment_request(user=make_owner())
    # Equal sizes: seats alternate, so after three owners the load is 2 and 1 — never on maintenance.
    loads = sorted([busy.assignments.count(), quiet.assignments.count()])
    assert loads == [1, 2] and resting.assignments.count() == 0
    lighter = busy if busy.assignments.count() == 1 else quiet
    newcomer = assignment_request(user=make_owner())
    assert newcomer.cluster == lighter and newcomer.state == State.PENDING


def test_least_loaded_means_smallest_share_of_seats(make_cluster, make_owner):
    small = make_cluster("small", max_users=2)
    large = make_cluster("large", max_users=100)
    assignment_request(user=make_owner())
    assignment_request(user=make_owner())
    # 1/2 seats used on one of them vs 1/100 on the other: the next goes to the large one.
    assert assignment_request(user=make_owner()).cluster == large
    assert small.assignments.count() + large.assignments.count() == 3


def test_owner_without_card_waits_for_the_card_and_takes_no_seat(make_cluster, make_owner):
    cluster = make_cluster("eu", max_users=1)
    assignment = assignment_request(user=make_owner(card=False))
    assert assignment.state == State.WAITING_FOR_CARD and assignment.cluster is None
    assert cluster.assignments.count() == 0


def test_asking_twice_keeps_the_same_seat(make_cluster, make_owner):
    make_cluster("a", max_users=5)
    make_cluster("b", max_users=5)
    owner = make_owner()
    first = assignment_request(user=owner)
    again = assignment_request(user=owner)
    assert first.cluster == again.cluster
    assert UserHopsworksAssignment.objects.filter(cluster__isnull=False).count() == 1


def test_full_clusters_put_the_owner_in_the_capacity_queue(make_cluster, make_owner):
    make_cluster("tiny", max_users=1)
    make_cluster("retired", max_users=50, status="retired")
    assignment_request(user=make_owner())
    waiting = assignment_request(user=make_owner())
    assert waiting.state == State.WAITING_FOR_CAPACITY and waiting.cluster is None
    assert waiting.waiting_since is not None


def test_a_freed_seat_goes_to_the_oldest_waiting_owner(make_cluster, make_owner):
    cluster = make_cluster("tiny", max_users=1)
    seated = make_owner()
    assignment_request(user=seated)
    first, second = make_owner(), make_owner()
    assignment_request(user=first)
    assignment_request(user=second)
    assignment_release(user=seated)
    assert state_of(first).cluster == cluster
    assert state_of(second).state == State.WAITING_FOR_CAPACITY
    assert state_of(seated).state == State.WAITING_FOR_CARD and state_of(seated).cluster is None


def test_enlarging_a_cluster_seats_the_oldest_waiting_first(make_cluster, make_owner, django_capture_on_commit_callbacks):
    cluster = make_cluster("tiny", max_users=0)
    owners = [make_owner() for _ in range(3)]
    for owner in owners:
        assignment_request(user=owner)
    with django_capture_on_commit_callbacks(execute=True):
        cluster_update(cluster=cluster, max_users=2)
    assert [state_of(o).state for o in owners] == [State.PENDING, State.PENDING, State.WAITING_FOR_CAPACITY]


def test_a_cluster_cannot_shrink_below_its_users(make_cluster, make_owner):
    cluster = make_cluster("eu", max_users=3)
    assignment_request(user=make_owner())
    assignment_request(user=make_owner())
    with pytest.raises(AssignmentError, match="2 users"):
        cluster_update(cluster=cluster, max_users=1)
    cluster.refresh_from_db()
    assert cluster.max_users == 3


def test_member_goes_to_the_owners_cluster(make_cluster, make_owner, make_user):
    make_cluster("a", max_users=5)
    make_cluster("b", max_users=5)
    owner = make_owner()
    seat = assignment_request(user=owner)
    member = make_user("member@example.com", owner=owner)
    assert assignment_request(user=member).cluster == seat.cluster


def test_member_waits_when_the_owners_cluster_is_full_even_if_another_has_room(make_cluster, make_owner, make_user):
    first = make_cluster("first", max_users=1)
    make_cluster("second", max_users=5)
    owner = make_owner()
    assert assignment_request(user=owner).cluster == first
    member = make_user("member@example.com", owner=owner)
    assert assignment_request(user=member).state == State.WAITING_FOR_CAPACITY
    cluster_update(cluster=first, max_users=2)
    waiting_assign()
    assert state_of(member).cluster == first


def test_members_of_an_owner_without_card_follow_once_the_card_is_on_file(make_cluster, make_owner, make_user):
    cluster = make_cluster("eu", max_users=5)
    owner = make_owner(card=False)
    member = make_user("member@example.com", owner=owner)
    assert assignment_request(user=member).state == State.WAITING_FOR_CARD
    owner.card_on_file = True
    owner.save()
    assignment_request(user=owner)
    assert state_of(member).cluster == cluster


def test_admin_moves_a_user_and_the_freed_seat_goes_to_the_queue(make_cluster, make_owner):
    old = make_cluster("old", max_users=1)
    new = make_cluster("new", max_users=0)
    mover, waiter = make_owner(), make_owner()
    assignment_request(user=mover)
    assignment_request(user=waiter)
    cluster_update(cluster=new, max_users=1)
    # The newly enlarged cluster took the waiter already (on commit in real life; by hand here).
    waiting_assign()
    assert state_of(waiter).cluster == new
    with pytest.raises(AssignmentError, match="full"):
        assignment_move(user=mover, cluster=new)
    assert state_of(mover).cluster == old
    cluster_update(cluster=new, max_users=2)
    moved = assignment_move(user=mover, cluster=new)
    assert moved.cluster == new and moved.state == State.PENDING
    assert old.assignments.count() == 0


def test_moving_to_a_cluster_in_maintenance_is_refused(make_cluster, make_owner):
    make_cluster("live", max_users=5)
    closed = make_cluster("closed", max_users=5, status="maintenance")
    owner = make_owner()
    assignment_request(user=owner)
    with pytest.raises(AssignmentError, match="maintenance"):
        assignment_move(user=owner, cluster=closed)
