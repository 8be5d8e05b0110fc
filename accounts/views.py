import hmac
import json
import logging

from django.conf import settings
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .auth0_client import Auth0Error, logout_url
from .services import AUTH0_PROVIDER_ID, user_sync_from_auth0, user_upsert_from_auth0

logger = logging.getLogger(__name__)


def _safe_next(request):
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return ""


@require_GET
def login(request):
    """Start the Auth0 login (sign-up happens on Auth0's page too)."""
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    url = reverse("openid_connect_login", kwargs={"provider_id": AUTH0_PROVIDER_ID})
    return redirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)


@require_POST
def logout(request):
    """End the Django session, then Auth0's (its logout endpoint sends the browser back home)."""
    auth_logout(request)
    return redirect(logout_url(return_to=settings.AUTH0_BASE_URL.rstrip("/") + "/"))


@require_GET
@login_required
def profile(request):
    return render(request, "accounts/profile.html", {"profile_user": request.user})


def _user_json(user):
    return {
        "id": user.pk, "auth0_sub": user.auth0_sub, "email": user.email,
        "email_verified": user.email_verified, "name": user.name, "is_admin": user.is_admin,
        "status": user.status, "account_owner_id": user.account_owner_id,
        "is_owner": user.is_owner, "hopsworks_username": user.hopsworks_username,
        "billing_mode": user.billing_mode, "card_on_file": user.card_on_file,
    }


def _csrf_rejection(request):
    # Session-authenticated JSON POST: CSRF still applies, but only after "who are you" (401).
    return CsrfViewMiddleware(lambda req: None).process_view(request, None, (), {})


@csrf_exempt
@require_POST
def sync_user(request):
    if not request.user.is_authenticated:
        return JsonResponse({"error": "sign in first"}, status=401)
    rejection = _csrf_rejection(request)
    if rejection is not None:
        return JsonResponse({"error": "CSRF token missing or incorrect"}, status=403)
    try:
        user = user_sync_from_auth0(user=request.user)
    except Auth0Error as exc:
        return JsonResponse({"error": str(exc)}, status=502)
    return JsonResponse({"user": _user_json(user)})


def _webhook_payload(request):
    """(payload, None) or (None, error message) for the Auth0 registration webhook body."""
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, "body is not valid JSON"
    if not isinstance(data, dict):
        return None, "body must be a JSON object"
    sub, email, name = data.get("user_id"), data.get("email"), data.get("name", "")
    if not isinstance(sub, str) or not sub.strip() or len(sub) > 255 or "\x00" in sub:
        return None, "'user_id' is required (the Auth0 user id, e.g. auth0|abc123)"
    if not isinstance(email, str) or not email.strip():
        return None, "'email' is required"
    if len(email.strip()) > 254:  # the users.email column
        return None, "'email' is not a valid email address (at most 254 characters)"
    try:
        validate_email(email.strip())
    except ValidationError:
        return None, "'email' is not a valid email address"
    if name is None:
        name = ""
    if not isinstance(name, str) or len(name) > 255 or "\x00" in name:  # PostgreSQL text has no NUL
        return None, "'name' must be a string of at most 255 characters"
    return {"sub": sub.strip(), "email": email.strip(), "name": name}, None


@csrf_exempt
@require_POST
def auth0_webhook(request):
    """Auth0's post-registration call: the same upsert as the first login, so order never matters."""
    expected = settings.AUTH0_WEBHOOK_SECRET
    given = request.headers.get("x-auth0-secret")
    if not given:
        return JsonResponse({"error": "missing x-auth0-secret header"}, status=401)
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return JsonResponse({"error": "wrong x-auth0-secret"}, status=401)
    payload, error = _webhook_payload(request)
    if error:
        return JsonResponse({"error": error}, status=400)
    user, created = user_upsert_from_auth0(**payload)
    logger.info("Auth0 webhook for user %s (new: %s)", user.pk, created)
    return JsonResponse({"user_id": user.auth0_sub, "created": created})
