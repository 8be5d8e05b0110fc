"""The one place that decides who may do what: owners, team members, admins.

Predicates take a user (possibly anonymous) and answer True/False. Decorators wrap views, pages
and JSON API alike: a request under `/api/` gets JSON (`401 {"error": ...}` when signed out,
`403 {"error": ...}` when not allowed); a page gets the sign-in redirect or the `403.html` page.

    from teams.permissions import billing_access_required, api_login_required

    @billing_access_required
    def billing_page(request): ...

Admin rights come from the `is_admin` flag on the user row (loaded from the database on every
request by the authentication middleware), never from Django's staff/superuser flags.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, JsonResponse
from django.shortcuts import render

NOT_SIGNED_IN = "Sign in to continue."
BILLING_FORBIDDEN = "Billing is managed by your account owner; team members cannot see it."
TEAM_FORBIDDEN = "Only the account owner can manage the team."
MEMBER_ONLY = "Only team members can do this."


# ---------------------------------------------------------------- predicates


def is_signed_in(user):
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_admin(user):
    """An operator: the `is_admin` flag in the database."""
    return is_signed_in(user) and bool(user.is_admin)


def is_owner(user):
    """An account owner: pays their own bill (not anyone's team member)."""
    return is_signed_in(user) and user.account_owner_id is None


def is_member(user):
    """A team member: their usage lands on their account owner's bill."""
    return is_signed_in(user) and user.account_owner_id is not None


def can_view_billing(user):
    """Billing page and `/api/billing`: owners only (admins too, for their own account)."""
    return is_owner(user)


def can_manage_team(user):
    """Team page, invitations, removing members: owners only."""
    return is_owner(user)


def can_leave_team(user):
    return is_member(user)


# ---------------------------------------------------------------- responses


def is_api_request(request):
    return request.path.startswith("/api/")


def unauthorized(request):
    """Signed out: 401 JSON for the API, the sign-in page (with `next`) for pages."""
    if is_api_request(request):
        return JsonResponse({"error": NOT_SIGNED_IN}, status=401)
    return redirect_to_login(request.get_full_path())


def forbidden(request, reason):
    """Signed in but not allowed: 403 JSON for the API, the 403 page otherwise."""
    if is_api_request(request):
        return JsonResponse({"error": reason}, status=403)
    return render(request, "403.html", {"reason": reason}, status=403)


# ---------------------------------------------------------------- decorators


def allowed_if(predicate, reason):
    """Decorator factory: signed-in users for whom `predicate(user)` holds; others 401/403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not is_signed_in(request.user):
                return unauthorized(request)
            if not predicate(request.user):
                return forbidden(request, reason)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def login_required(view):
    """Any signed-in user; pages redirect to sign-in, the API answers 401 JSON."""
    return allowed_if(is_signed_in, NOT_SIGNED_IN)(view)


# The same check; the name says what an API view expects.
api_login_required = login_required
billing_access_required = allowed_if(can_view_billing, BILLING_FORBIDDEN)
owner_required = allowed_if(can_manage_team, TEAM_FORBIDDEN)
member_required = allowed_if(can_leave_team, MEMBER_ONLY)


def admin_required(view):
    """Operator pages: everyone who is not an admin gets 404 (the panel's existence is not shown)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_admin(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped
