"""One audit entry per action, written in the action's own transaction, shown on the audit page."""

import pytest
from django.urls import reverse

from accounts.models import User
from adminpanel import services
from adminpanel.models import AuditEntry


def test_action_whose_audit_entry_cannot_be_written_changes_nothing(alice):
    not_saved_admin = User(auth0_sub="auth0|ghost", email="ghost@example.com", is_admin=True)
    with pytest.raises(ValueError):
        services.user_suspend(admin=not_saved_admin, user=alice)
    alice.refresh_from_db()
    assert not alice.is_suspended
    assert AuditEntry.objects.count() == 0


def test_audit_page_lists_who_did_what_to_whom_with_before_and_after(admin_client_for, alice):
    admin_client_for.post(reverse("adminpanel:user_suspend", args=[alice.pk]), follow=True)
    body = admin_client_for.get(reverse("adminpanel:audit_log")).content.decode()
    assert "user.suspend" in body
    assert "root@example.com" in body
    assert "alice@example.com" in body
    assert "active" in body and "suspended" in body


def test_audit_page_filters_by_action_and_searches_targets(admin_client_for, alice, charlie):
    admin_client_for.post(reverse("adminpanel:user_suspend", args=[alice.pk]), follow=True)
    admin_client_for.post(reverse("adminpanel:user_grant_admin", args=[charlie.pk]), follow=True)
    url = reverse("adminpanel:audit_log")
    by_action = admin_client_for.get(url, {"action": "user.admin_grant"}).content.decode()
    assert "charlie@example.com" in by_action and "alice@example.com" not in by_action
    by_search = admin_client_for.get(url, {"q": "alice"}).content.decode()
    assert "alice@example.com" in by_search and "charlie@example.com" not in by_search


def test_audit_page_without_entries_says_so(admin_client_for):
    body = admin_client_for.get(reverse("adminpanel:audit_log")).content.decode()
    assert "No audit entries match" in body


def test_audit_page_query_count_does_not_grow_with_entries(admin_client_for, root, alice, django_assert_max_num_queries):
    for n in range(120):
        services.audit_record(admin=root, action="user.suspend", target_type="user", target_id=alice.pk,
                              target_label=f"entry {n}", before={"n": n}, after={"n": n + 1})
    with django_assert_max_num_queries(6):
        response = admin_client_for.get(reverse("adminpanel:audit_log"), {"page": 2})
    assert "Page 2 of 3" in response.content.decode()
