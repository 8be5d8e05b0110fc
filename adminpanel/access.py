"""The panel's gate: only users whose `is_admin` is true in the database get past it.

Everyone else, signed in or not, gets the site's ordinary 404 page, whatever the method, so the
panel's existence is not revealed. That is why the gate runs before CSRF (a 403 "CSRF failed"
would reveal a POST URL) and turns off the append-slash redirect (a 301 to `.../` would reveal
that the path with a slash exists).
"""

from functools import wraps

from django.core.exceptions import BadRequest
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from hopsmanaged.views import page_not_found


def is_panel_admin(user):
    """True for a signed-in, active, non-suspended user with the database flag `is_admin`."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_admin", False)
        and user.is_active
        and not user.is_suspended
    )


def admin_required(view):
    """Answer 404 to non-admins before anything else (method checks, CSRF) runs."""
    protected = csrf_protect(view)

    @wraps(view)
    def gated(request, *args, **kwargs):
        if not is_panel_admin(request.user):
            return page_not_found(request, None)
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
            # Searches and filters reach PostgreSQL, whose text cannot hold NUL: a 400, not a 500.
            raise BadRequest("NUL character in the query string")
        return protected(request, *args, **kwargs)

    gated.admin_gate = True
    gated.should_append_slash = False
    return csrf_exempt(gated)
