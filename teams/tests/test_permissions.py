"""The one place that decides rights: predicates and the decorators pages and the API share."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from teams import permissions

pytestmark = pytest.mark.django_db


def ok_view(request):
    return HttpResponse("ok")


def call(decorator, user, path):
    request = RequestFactory().get(path)
    request.user = user or AnonymousUser()
    return decorator(ok_view)(request)


def test_owners_may_view_billing_and_manage_their_team(alice):
    assert permissions.can_view_billing(alice)
    assert permissions.can_manage_team(alice)
    assert not permissions.is_admin(alice)


def test_members_may_neither_view_billing_nor_manage_a_team(bob):
    assert not permissions.can_view_billing(bob)
    assert not permissions.can_manage_team(bob)
    assert permissions.can_leave_team(bob)


def test_admin_rights_come_from_the_database_flag(root, alice):
    assert permissions.is_admin(root)
    alice.is_admin = True
    alice.save()
    alice.refresh_from_db()
    assert permissions.is_admin(alice)


def test_anonymous_and_deactivated_users_have_no_rights(make_user):
    gone = make_user("gone@example.com", is_active=False)
    for user in (AnonymousUser(), gone):
        assert not permissions.can_view_billing(user)
        assert not permissions.can_manage_team(user)
        assert not permissions.is_admin(user)


def test_a_member_gets_the_403_page_on_a_billing_page(bob):
    response = call(permissions.billing_access_required, bob, "/billing/")
    assert response.status_code == 403
    assert "Billing is managed by your account owner" in response.content.decode()


def test_a_member_gets_403_json_with_an_error_on_the_billing_api(bob):
    response = call(permissions.billing_access_required, bob, "/api/billing")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "account owner" in json.loads(response.content)["error"]


def test_signed_out_api_calls_get_401_json_and_pages_the_sign_in_redirect():
    api = call(permissions.api_login_required, None, "/api/usage")
    assert api.status_code == 401
    assert json.loads(api.content) == {"error": "Sign in to continue."}
    page = call(permissions.owner_required, None, "/team/")
    assert page.status_code == 302
    assert "next=/team/" in page["Location"]


def test_an_owner_passes_the_owner_and_billing_checks(alice):
    assert call(permissions.owner_required, alice, "/team/").content == b"ok"
    assert call(permissions.billing_access_required, alice, "/api/billing").content == b"ok"


def test_non_admins_get_404_from_operator_views(alice, root):
    from django.http import Http404

    with pytest.raises(Http404):
        call(permissions.admin_required, alice, "/admin47392/")
    assert call(permissions.admin_required, root, "/admin47392/").content == b"ok"
