import sys

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing.selectors import prices_current

from .database import DATABASE_DOWN
from .health import health_report


@require_GET
def landing(request):
    return render(request, "landing.html", {"prices": prices_current()})


@require_GET
def healthz(request):
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


def not_here(request):
    """A route a library brings along that this product does not offer."""
    raise Http404


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


RETRY_AFTER_SECONDS = 30
API_ERRORS = {
    500: "Something went wrong on our side; nothing was changed twice. Try again in a minute.",
    503: "The service is briefly unavailable (its database is not answering). Try again in a moment.",
}


def server_error(request):
    """An unhandled error: 503 with Retry-After when the database is unreachable (a restart, a
    failover: the request can simply be sent again), else 500; JSON for the API, a page otherwise."""
    status = 503 if isinstance(sys.exc_info()[1], DATABASE_DOWN) else 500
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": API_ERRORS[status]}, status=status)
    else:
        response = render(request, f"{status}.html", status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
