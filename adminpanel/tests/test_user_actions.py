"""Grant/revoke admin and suspend/reactivate: confirmed, POST-only, one audit entry each."""

import pytest
from django.urls import reverse

from adminpanel.models import AuditEntry


@pytest.mark.parametrize(
    ("url_name", "setup", "field", "before", "after", "action"),
    [
        ("user_grant_admin", {}, "is_admin", False, True, "user.admin_grant"),
        ("user_revoke_admin", {"is_admin": True}, "is_admin", True, False, "user.admin_revoke"),
        ("user_suspend", {}, "status", "active", "suspended", "user.suspend"),
        ("user_reactivate", {"status": "suspended"}, "status", "suspended", "active", "user.reactivate"),
    ],
)
def test_user_flag_action_changes_the_flag_and_writes_one_audit_entry(
    admin_client_for, root, alice, url_name, setup, field, before, after, action
):
    type(alice).objects.filter(pk=alice.pk).update(**setup)
    url = reverse(f"adminpanel:{url_name}", args=[alice.pk])

    confirmation = admin_client_for.get(url)
    alice.refresh_from_db()
    assert confirmation.status_code == 200 and "<form method=\"post\"" in confirmation.content.decode()
    assert getattr(alice, field) == before, "showing the confirmation must not act"

    response = admin_client_for.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("adminpanel:user_detail", args=[alice.pk])
    alice.refresh_from_db()
    assert getattr(alice, field) == after
    entry = AuditEntry.objects.get()
    assert (entry.admin, entry.action, entry.target_type, entry.target_id) == (root, action, "user", str(alice.pk))
    assert entry.before == {field: before} and entry.after == {field: after}


def test_admin_cannot_revoke_their_own_rights_or_suspend_themselves(admin_client_for, root):
    for url_name in ("user_revoke_admin", "user_suspend"):
        response = admin_client_for.post(reverse(f"adminpanel:{url_name}", args=[root.pk]), follow=True)
        assert "You cannot change your own admin rights" in response.content.decode()
    root.refresh_from_db()
    assert root.is_admin and not root.is_suspended
    assert AuditEntry.objects.count() == 0


def test_revoked_admin_loses_the_panel_at_once(client_for, root, make_user):
    other = make_user("ops@example.com", is_admin=True)
    other_client = client_for(other)
    client_for(root).post(reverse("adminpanel:user_revoke_admin", args=[other.pk]))
    assert other_client.get(reverse("adminpanel:overview")).status_code == 404


def test_action_on_unknown_user_is_404_and_audits_nothing(admin_client_for):
    assert admin_client_for.post(reverse("adminpanel:user_suspend", args=[999999])).status_code == 404
    assert AuditEntry.objects.count() == 0
