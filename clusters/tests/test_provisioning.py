"""Creating the user's Hopsworks account, against the Hopsworks sandbox (service called directly)."""

import logging

import pytest
from django.db import connection

from accounts.models import User
from clusters.hopsworks_client import HopsworksUnavailable
from clusters.models import UserHopsworksAssignment
from clusters.provisioning import hopsworks_account_provision
from clusters.selectors import instance_for, provisioning_failures
from clusters.services import assignment_request, provisioning_retry

State = UserHopsworksAssignment.State


@pytest.fixture
def seated(hopsworks_cluster, make_user):
    def seat(user):
        assignment = assignment_request(user=user)
        assert assignment.cluster == hopsworks_cluster
        return assignment

    return seat


@pytest.fixture
def owner(make_user):
    return make_user("dana.scully@example.com", name="Dana Scully", card_on_file=True)


def remote_users(store):
    return [u for u in store.snapshot()["users"] if u["accountType"] == "REMOTE_ACCOUNT_TYPE"]


def posts(store):
    return [r for r in store.snapshot()["requests"] if r["method"] == "POST" and r["path"] == "/admin/users"]


def test_success_creates_the_oauth_user_and_stores_its_username(seated, owner, hopsworks_sandbox, settings):
    seated(owner)
    username = hopsworks_account_provision(user_id=owner.pk)

    [created] = remote_users(hopsworks_sandbox.store)
    owner.refresh_from_db()
    assert owner.hopsworks_username == username == created["username"]
    assert created["subject"] == owner.auth0_sub and created["clientId"] == settings.AUTH0_CLIENT_ID
    assert (created["firstname"], created["lastname"]) == ("Dana", "Scully")
    assert created["maxNumProjects"] == settings.HOPSWORKS_OWNER_MAX_PROJECTS == 5
    assignment = UserHopsworksAssignment.objects.get(user=owner)
    assert assignment.state == State.READY and assignment.last_error == "" and assignment.ready_at
    [post] = posts(hopsworks_sandbox.store)
    assert "accountType=REMOTE_ACCOUNT_TYPE" in post["query"] and "subject=auth0%7C" in post["query"]


def test_team_members_get_no_projects_of_their_own(seated, owner, make_user, hopsworks_sandbox):
    seated(owner)
    hopsworks_account_provision(user_id=owner.pk)
    member = make_user("fox.mulder@example.com", name="Fox Mulder", owner=owner)
    seated(member)
    hopsworks_account_provision(user_id=member.pk)

    by_email = {u["email"]: u for u in remote_users(hopsworks_sandbox.store)}
    assert by_email["fox.mulder@example.com"]["maxNumProjects"] == 0
    assert by_email["dana.scully@example.com"]["maxNumProjects"] == 5
    assert instance_for(user=member)["state"] == State.READY


def test_the_api_key_sent_is_the_decrypted_one(seated, owner, hopsworks_sandbox, hopsworks_cluster):
    seated(owner)
    hopsworks_account_provision(user_id=owner.pk)

    keys = {r["api_key"] for r in hopsworks_sandbox.store.snapshot()["requests"]}
    assert keys == {hopsworks_sandbox.api_key}
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key_encrypted FROM hopsworks_clusters WHERE id = %s", [hopsworks_cluster.pk])
        (raw,) = cursor.fetchone()
    assert hopsworks_sandbox.api_key not in raw


def test_a_500_is_retried_and_then_succeeds(seated, owner, hopsworks_sandbox):
    seated(owner)
    hopsworks_sandbox.store.fail(method="POST", path="/admin/users", status=500, times=1)

    with pytest.raises(HopsworksUnavailable):
        hopsworks_account_provision(user_id=owner.pk)
    assignment = UserHopsworksAssignment.objects.get(user=owner)
    assert assignment.state == State.PROVISIONING and "500" in assignment.last_error
    assert instance_for(user=owner)["state_label"] == "Creating your Hopsworks account"

    hopsworks_account_provision(user_id=owner.pk)
    assignment.refresh_from_db()
    assert assignment.state == State.READY and assignment.attempts == 2
    assert len(remote_users(hopsworks_sandbox.store)) == 1


def test_an_answer_lost_after_creation_is_adopted_on_retry_not_created_twice(seated, owner, hopsworks_sandbox):
    seated(owner)
    hopsworks_sandbox.store.fail(method="POST", path="/admin/users", status=500, times=1, commit=True)

    with pytest.raises(HopsworksUnavailable):
        hopsworks_account_provision(user_id=owner.pk)
    assert len(remote_users(hopsworks_sandbox.store)) == 1  # Hopsworks did create it

    username = hopsworks_account_provision(user_id=owner.pk)
    [user] = remote_users(hopsworks_sandbox.store)
    assert username == user["username"] and user["maxNumProjects"] == 5
    assert len(posts(hopsworks_sandbox.store)) == 1  # the retry looked up first


def test_a_user_that_already_exists_in_hopsworks_is_adopted(seated, owner, hopsworks_sandbox):
    existing = hopsworks_sandbox.store.user_create(
        email="dana.scully@example.com", given_name="Dana", surname="Scully", max_num_projects=0,
    )
    seated(owner)

    username = hopsworks_account_provision(user_id=owner.pk)

    assert username == existing["username"]
    assert len(remote_users(hopsworks_sandbox.store)) == 1
    assert remote_users(hopsworks_sandbox.store)[0]["maxNumProjects"] == 5
    owner.refresh_from_db()
    assert owner.hopsworks_username == existing["username"]


def test_an_account_made_under_an_older_email_is_found_by_its_oauth_uuid(seated, owner, hopsworks_sandbox, settings):
    existing = hopsworks_sandbox.store.user_create(
        email="d.scully@fbi.example", given_name="Dana", surname="Scully",
        subject=owner.auth0_sub, client_id=settings.AUTH0_CLIENT_ID,
    )
    seated(owner)  # Hopsworks refuses a second account for the same OAuth subject

    assert hopsworks_account_provision(user_id=owner.pk) == existing["username"]
    assert len(remote_users(hopsworks_sandbox.store)) == 1


def test_a_persistent_failure_ends_failed_with_the_error_for_admins_and_can_be_retried(seated, owner, hopsworks_sandbox):
    seated(owner)
    hopsworks_sandbox.store.fail(path="/admin/users", status=503, times=None)

    with pytest.raises(HopsworksUnavailable):
        hopsworks_account_provision(user_id=owner.pk)
    hopsworks_account_provision(user_id=owner.pk, final_attempt=True)

    [failure] = provisioning_failures()
    assert failure.user == owner and failure.state == State.FAILED
    assert "503" in failure.last_error and "/admin/users" in failure.last_error
    card = instance_for(user=owner)
    assert card["state_label"] == "Failed — we are on it" and "503" not in card["explanation"]

    hopsworks_sandbox.store.clear_failures()
    provisioning_retry(user=owner)
    assert hopsworks_account_provision(user_id=owner.pk)
    assert UserHopsworksAssignment.objects.get(user=owner).state == State.READY


def test_a_wrong_api_key_fails_at_once_with_a_message_to_fix_the_key(seated, owner, hopsworks_cluster):
    hopsworks_cluster.api_key = "not-the-admin-key-1234"
    hopsworks_cluster.save()
    seated(owner)

    hopsworks_account_provision(user_id=owner.pk)  # no exception: retrying cannot help

    assignment = UserHopsworksAssignment.objects.get(user=owner)
    assert assignment.state == State.FAILED
    assert "401" in assignment.last_error and "API key" in assignment.last_error


def test_a_slow_hopsworks_times_out_and_is_retried(seated, owner, hopsworks_sandbox, settings):
    settings.HOPSWORKS_REQUEST_TIMEOUT = 0.3
    seated(owner)
    hopsworks_sandbox.store.fail(method="POST", path="/admin/users", status=0, delay=1.0, times=1)

    with pytest.raises(HopsworksUnavailable, match="did not answer"):
        hopsworks_account_provision(user_id=owner.pk)
    assert UserHopsworksAssignment.objects.get(user=owner).state == State.PROVISIONING


def test_the_api_key_never_appears_in_logs_or_errors(seated, owner, make_user, hopsworks_sandbox, hopsworks_cluster, caplog):
    caplog.set_level(logging.DEBUG)
    seated(owner)
    hopsworks_sandbox.store.fail(method="POST", path="/admin/users", status=500, times=1)
    with pytest.raises(HopsworksUnavailable):
        hopsworks_account_provision(user_id=owner.pk)
    hopsworks_account_provision(user_id=owner.pk)
    hopsworks_cluster.api_key = "wrong-key-but-also-secret-5678"
    hopsworks_cluster.save()
    other = make_user("walter@example.com", name="Walter Skinner", card_on_file=True)
    seated(other)
    hopsworks_account_provision(user_id=other.pk)

    assert "hopsworks POST /admin/users -> 201" in caplog.text  # the calls were logged…
    for secret in (hopsworks_sandbox.api_key, "wrong-key-but-also-secret-5678"):
        assert secret not in caplog.text  # …without the key
        assert not UserHopsworksAssignment.objects.filter(last_error__contains=secret).exists()


def test_a_user_released_meanwhile_is_not_provisioned(seated, owner, hopsworks_sandbox):
    from clusters.services import assignment_release

    seated(owner)
    assignment_release(user=owner)

    assert hopsworks_account_provision(user_id=owner.pk) is None
    assert remote_users(hopsworks_sandbox.store) == []
    assert User.objects.get(pk=owner.pk).hopsworks_username == ""
