from django.http import JsonResponse
from django.shortcuts import render

# A suspended person can still finish signing in and sign out; everything else shows the notice.
ALWAYS_OPEN = ("/logout/", "/login/", "/accounts/", "/static/", "/healthz", "/api/webhooks/")


class SuspendedAccountMiddleware:
    """Suspended users see "account suspended" (403) instead of the product, pages and API alike."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_suspended
            and not request.path.startswith(ALWAYS_OPEN)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"error": "account suspended"}, status=403)
            return render(request, "accounts/suspended.html", status=403)
        return self.get_response(request)
