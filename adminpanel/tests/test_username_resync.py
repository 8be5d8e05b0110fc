"""Re-sync Hopsworks username: the admin reads a user's renamed Hopsworks username back from their
cluster (the Hopsworks sandbox, over the wire); audited once with before/after, refusals explained."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from adminpanel.models import AuditEntry


@pytest.fixture
def alice_on_hopsworks(alice, hopsworks_cluster, hopsworks_sandbox, seat):
    """Alice seated on the sandbox cluster, with her Hopsworks user there and its username stored here."""
    created = hopsworks_sandbox.store.user_create(
        email=alice.email, given_name="Alice", surname="Owner", subject=alice.auth0_sub,
        client_id=settings.AUTH0_CLIENT_ID, max_num_projects=5,
    )
    User.objects.filter(pk=alice.pk).update(hopsworks_username=created["username"])
    seat(alice, hopsworks_cluster, "ready")
    return created


def resync(client, user):
    return client.post(reverse("adminpanel:user_resync_username", args=[user.pk]), follow=True)


def stored_username(user):
    return User.objects.values_list("hopsworks_username", flat=True).get(pk=user.pk)


def test_a_username_renamed_in_hopsworks_is_stored_with_one_audit_entry(
    admin_client_for, root, alice, alice_on_hopsworks, hopsworks_sandbox
):
    old = alice_on_hopsworks["username"]
    with hopsworks_sandbox.store.lock:
        alice_on_hopsworks["username"] = "alice_ml"

    response = resync(admin_client_for, alice)

    assert stored_username(alice) == "alice_ml"
    body = response.content.decode()
    assert f"{old} \u2192 alice_ml" in body and "alice_ml" in body
    entry = AuditEntry.objects.get()
    assert (entry.admin, entry.action, entry.target_type, entry.target_id) == (
        root, "user.hopsworks_username_resync", "user", str(alice.pk)
    )
    assert entry.before == {"hopsworks_username": old} and entry.after == {"hopsworks_username": "alice_ml"}


def test_a_user_unknown_to_hopsworks_is_refused_with_the_reason_and_nothing_changes(
    admin_client_for, alice, alice_on_hopsworks, hopsworks_sandbox
):
    store = hopsworks_sandbox.store
    with store.lock:
        del store.users[alice_on_hopsworks["id"]]

    response = resync(admin_client_for, alice)

    assert "has no user for alice@example.com" in response.content.decode()
    assert stored_username(alice) == alice_on_hopsworks["username"]
    assert not AuditEntry.objects.exists()


def test_hopsworks_down_is_refused_with_the_reason_and_nothing_changes(
    admin_client_for, alice, alice_on_hopsworks, hopsworks_sandbox
):
    hopsworks_sandbox.store.fail(path="/admin/", status=503, times=None)

    response = resync(admin_client_for, alice)

    assert "Hopsworks answered 503" in response.content.decode()
    assert stored_username(alice) == alice_on_hopsworks["username"]
    assert not AuditEntry.objects.exists()


def test_a_user_without_a_cluster_is_refused(admin_client_for, alice):
    response = resync(admin_client_for, alice)
    assert "has no cluster yet" in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_the_user_page_offers_the_resync_only_to_users_with_a_cluster(admin_client_for, alice, bob, make_cluster, seat):
    seat(alice, make_cluster(), "ready")
    button = "Re-sync Hopsworks username"
    assert button in admin_client_for.get(reverse("adminpanel:user_detail", args=[alice.pk])).content.decode()
    assert button not in admin_client_for.get(reverse("adminpanel:user_detail", args=[bob.pk])).content.decode()
