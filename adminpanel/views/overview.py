from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..selectors import overview as selectors
from ..access import admin_required


@admin_required
@require_GET
def overview(request):
    context = selectors.overview()
    context["section"] = "overview"
    return render(request, "adminpanel/overview.html", context)
