"""Retry provisioning and move to another cluster: done through clusters' services, audited once."""

import pytest
from django.urls import reverse

from adminpanel.models import AuditEntry
from clusters.models import UserHopsworksAssignment


def test_retry_provisioning_requeues_a_failed_account_and_audits_it(admin_client_for, root, alice, make_cluster, seat):
    cluster = make_cluster()
    seat(alice, cluster, "failed", last_error="Hopsworks answered 500", attempts=5)

    response = admin_client_for.post(reverse("adminpanel:user_retry_provisioning", args=[alice.pk]))

    assert response.status_code == 302
    assignment = UserHopsworksAssignment.objects.get(user=alice)
    assert assignment.state == "pending" and assignment.attempts == 0
    entry = AuditEntry.objects.get()
    assert (entry.admin, entry.action, entry.target_id) == (root, "user.provisioning_retry", str(alice.pk))
    assert entry.before == {"cluster": "c1", "state": "failed"}
    assert entry.after == {"cluster": "c1", "state": "pending"}


def test_retry_provisioning_of_a_user_without_a_seat_is_refused_with_a_reason(admin_client_for, alice):
    response = admin_client_for.post(reverse("adminpanel:user_retry_provisioning", args=[alice.pk]), follow=True)
    assert "has no cluster yet" in response.content.decode()
    assert AuditEntry.objects.count() == 0


def test_user_detail_shows_state_cluster_and_last_error(admin_client_for, alice, make_cluster, seat):
    seat(alice, make_cluster("eu-1"), "failed", last_error="Hopsworks answered 401: bad key")
    body = admin_client_for.get(reverse("adminpanel:user_detail", args=[alice.pk])).content.decode()
    assert "eu-1" in body and "Failed" in body
    assert "Hopsworks answered 401: bad key" in body
    assert "Retry provisioning" in body


def test_admin_moves_a_user_to_another_cluster(admin_client_for, root, alice, make_cluster, seat):
    old, new = make_cluster("old"), make_cluster("new")
    seat(alice, old, "ready")
    url = reverse("adminpanel:user_move", args=[alice.pk])

    offered = [c.name for c in admin_client_for.get(url).context["form"].fields["cluster"].queryset]
    assert offered == ["new"], "only other active clusters are offered"
    response = admin_client_for.post(url, {"cluster": new.pk})

    assert response.status_code == 302
    assignment = UserHopsworksAssignment.objects.get(user=alice)
    assert assignment.cluster == new and assignment.state == "pending"
    entry = AuditEntry.objects.get()
    assert entry.action == "user.cluster_move" and entry.admin == root
    assert entry.before["cluster"] == "old" and entry.after["cluster"] == "new"


@pytest.mark.parametrize("choice", ["", "999999", "not-a-number", "full", "maintenance", "current"])
def test_bad_move_is_rerendered_with_the_error_and_changes_nothing(
    admin_client_for, alice, charlie, make_cluster, seat, choice
):
    current = make_cluster("current")
    full = make_cluster("full", max_users=1)
    maintenance = make_cluster("maintenance", status="maintenance")
    seat(alice, current, "ready")
    seat(charlie, full, "ready")
    value = {"full": full.pk, "maintenance": maintenance.pk, "current": current.pk}.get(choice, choice)

    response = admin_client_for.post(reverse("adminpanel:user_move", args=[alice.pk]), {"cluster": value})

    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["cluster"])
    expected = "is full" if choice == "full" else ("required" if choice == "" else "valid choice")
    assert expected in errors
    assert 'class="field has-error"' in response.content.decode()
    assert UserHopsworksAssignment.objects.get(user=alice).cluster == current
    assert AuditEntry.objects.count() == 0
