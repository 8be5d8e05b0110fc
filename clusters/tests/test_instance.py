"""GET /api/instance and the instance card on the dashboard."""

import pytest

from clusters.models import UserHopsworksAssignment
from clusters.services import assignment_request

State = UserHopsworksAssignment.State


def set_state(user, state, **extra):
    UserHopsworksAssignment.objects.filter(user=user).update(state=state, **extra)


@pytest.fixture
def ready_owner(make_cluster, make_owner):
    make_cluster("eu-1", api_url="https://eu1.hopsworks.example", region="eu-north-1")
    owner = make_owner()
    assignment_request(user=owner)
    set_state(owner, State.READY)
    owner.hopsworks_username = "owner000"
    owner.save()
    return owner


def test_signed_out_gets_401_json(client):
    response = client.get("/api/instance")
    assert response.status_code == 401 and "error" in response.json()
    assert client.get("/instance/card").status_code == 401


def test_an_owner_without_card_is_told_to_add_one(client_for, make_owner):
    owner = make_owner(card=False)
    body = client_for(owner).get("/api/instance").json()
    assert body["state"] == "waiting_for_card" and body["state_label"] == "Waiting for a card"
    assert body["cluster"] is None and body["hopsworks_url"] is None and body["hopsworks_username"] is None


def test_a_ready_owner_sees_cluster_url_and_username(client_for, ready_owner, django_assert_max_num_queries):
    client = client_for(ready_owner)
    with django_assert_max_num_queries(4):  # session, user, assignment with its cluster
        body = client.get("/api/instance").json()
    assert body == {
        "state": "ready", "state_label": "Ready",
        "explanation": "Your Hopsworks account is ready. Open Hopsworks and sign in with the same login.",
        "cluster": {"name": "eu-1", "region": "eu-north-1"},
        "hopsworks_url": "https://eu1.hopsworks.example/", "hopsworks_username": "owner000",
        "settled": True, "is_member": False,
    }


@pytest.mark.parametrize("state,label", [
    ("waiting_for_capacity", "Waiting for capacity"),
    ("pending", "Creating your Hopsworks account"),
    ("provisioning", "Creating your Hopsworks account"),
    ("failed", "Failed — we are on it"),
])
def test_each_state_has_its_human_explanation_on_the_dashboard(client_for, make_owner, make_cluster, state, label):
    make_cluster("eu-1")
    owner = make_owner()
    assignment_request(user=owner)
    if state == "waiting_for_capacity":
        UserHopsworksAssignment.objects.filter(user=owner).update(state=state, cluster=None)
    else:
        set_state(owner, state, last_error="Hopsworks answered 500 (secret details)")
    page = client_for(owner).get("/dashboard/").content.decode()
    assert label in page and "secret details" not in page
    assert "Open Hopsworks" not in page  # only once the account is ready
    assert 'data-refresh-url="/instance/card"' in page or state == "failed"


def test_the_dashboard_card_links_to_hopsworks_once_ready(client_for, ready_owner):
    page = client_for(ready_owner).get("/dashboard/").content.decode()
    assert 'href="https://eu1.hopsworks.example/"' in page and "owner000" in page and "eu-north-1" in page
    assert "data-refresh-url" not in page


def test_a_member_sees_the_owners_cluster_while_waiting(client_for, make_owner, make_cluster, make_user):
    make_cluster("eu-1", max_users=1, region="eu-north-1")
    owner = make_owner()
    assignment_request(user=owner)
    member = make_user("member@example.com", owner=owner)
    assignment_request(user=member)  # the cluster is full: the member waits for a seat there
    body = client_for(member).get("/api/instance").json()
    assert body["state"] == "waiting_for_capacity" and body["cluster"] == {"name": "eu-1", "region": "eu-north-1"}
    assert body["is_member"] is True


def test_a_member_nobody_asked_a_seat_for_is_told_to_confirm_their_address(client_for, make_owner, make_cluster, make_user):
    make_cluster("eu-1", region="eu-north-1")
    owner = make_owner()
    assignment_request(user=owner)
    member = make_user("member@example.com", owner=owner)  # teams asks for no seat until confirmed
    body = client_for(member).get("/api/instance").json()
    assert body["state"] == "awaiting_confirmation" and body["cluster"] is None and body["settled"] is True
    assert "open the invitation link we sent to member@example.com" in body["explanation"]


def test_a_member_whose_owner_has_no_card_is_told_so(client_for, make_owner, make_user):
    owner = make_owner(card=False)
    member = make_user("member@example.com", owner=owner)
    assignment_request(user=member)  # what teams does once the member's address is confirmed
    body = client_for(member).get("/api/instance").json()
    assert body["state"] == "waiting_for_card" and "account owner" in body["explanation"]
    page = client_for(member).get("/dashboard/").content.decode()
    assert ">Add a card</button>" not in page


def test_the_api_only_answers_get(client_for, make_owner):
    assert client_for(make_owner()).post("/api/instance").status_code == 405
