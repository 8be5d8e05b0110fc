"""Re-reading a user's Hopsworks username after it was renamed on the cluster (the admin's
"re-sync Hopsworks username"), against the Hopsworks sandbox."""

import pytest

from accounts.models import User
from clusters.hopsworks_client import HopsworksUnavailable
from clusters.provisioning import hopsworks_account_provision
from clusters.services import AssignmentError, assignment_request, hopsworks_username_resync


@pytest.fixture
def ready_owner(make_user, hopsworks_cluster, hopsworks_sandbox):
    """An owner whose Hopsworks account was created on the sandbox cluster."""
    owner = make_user("dana.scully@example.com", name="Dana Scully", card_on_file=True)
    assert assignment_request(user=owner).cluster == hopsworks_cluster
    hopsworks_account_provision(user_id=owner.pk)
    owner.refresh_from_db()
    assert owner.hopsworks_username
    return owner


def rename_in_hopsworks(store, email, username):
    with store.lock:
        store.user_by_email(email)["username"] = username


def stored_username(user):
    return User.objects.values_list("hopsworks_username", flat=True).get(pk=user.pk)


def test_a_username_renamed_in_hopsworks_is_read_back_and_stored(ready_owner, hopsworks_sandbox):
    old = ready_owner.hopsworks_username
    rename_in_hopsworks(hopsworks_sandbox.store, ready_owner.email, "dscully")

    assert hopsworks_username_resync(user=ready_owner) == (old, "dscully")
    assert stored_username(ready_owner) == "dscully"


def test_an_unchanged_username_is_reported_unchanged(ready_owner):
    username = ready_owner.hopsworks_username
    assert hopsworks_username_resync(user=ready_owner) == (username, username)


def test_a_user_whose_email_changed_at_auth0_is_found_by_their_oauth_uuid(ready_owner, hopsworks_sandbox):
    old = ready_owner.hopsworks_username
    rename_in_hopsworks(hopsworks_sandbox.store, ready_owner.email, "dscully")
    User.objects.filter(pk=ready_owner.pk).update(email="dana@fbi.example.com")

    assert hopsworks_username_resync(user=User.objects.get(pk=ready_owner.pk)) == (old, "dscully")


def test_a_user_unknown_to_hopsworks_is_refused_with_a_reason_and_nothing_changes(ready_owner, hopsworks_sandbox):
    store = hopsworks_sandbox.store
    with store.lock:
        del store.users[store.user_by_email(ready_owner.email)["id"]]

    with pytest.raises(AssignmentError, match="has no user for dana.scully@example.com"):
        hopsworks_username_resync(user=ready_owner)
    assert stored_username(ready_owner) == ready_owner.hopsworks_username


def test_a_user_without_a_cluster_is_refused(make_user):
    user = make_user("waiting@example.com")
    with pytest.raises(AssignmentError, match="no cluster yet"):
        hopsworks_username_resync(user=user)


def test_hopsworks_down_is_a_hopsworks_error_and_nothing_changes(ready_owner, hopsworks_sandbox):
    rename_in_hopsworks(hopsworks_sandbox.store, ready_owner.email, "dscully")
    hopsworks_sandbox.store.fail(method="GET", path="/admin/users", status=503, times=None)

    with pytest.raises(HopsworksUnavailable, match="503"):
        hopsworks_username_resync(user=ready_owner)
    assert stored_username(ready_owner) == ready_owner.hopsworks_username


def test_a_username_that_belongs_to_another_user_here_is_refused(ready_owner, hopsworks_sandbox, make_user):
    make_user("fox.mulder@example.com", hopsworks_username="dscully")
    rename_in_hopsworks(hopsworks_sandbox.store, ready_owner.email, "dscully")

    with pytest.raises(AssignmentError, match="already belongs to another user"):
        hopsworks_username_resync(user=ready_owner)
    assert stored_username(ready_owner) == ready_owner.hopsworks_username
