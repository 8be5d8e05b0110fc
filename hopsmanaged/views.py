from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing.selectors import prices_current

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


def server_error(request):
    return render(request, "500.html", status=500)
