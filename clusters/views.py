from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .selectors import instance_for

NOT_SIGNED_IN = "Sign in to see your Hopsworks instance."


@require_GET
@never_cache
def api_instance(request):
    """The caller's cluster, Hopsworks URL and username, and provisioning state (JSON)."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": NOT_SIGNED_IN}, status=401)
    return JsonResponse(instance_for(user=request.user))


@require_GET
@never_cache
def instance_card(request):
    """The instance card alone (HTML): the dashboard's script swaps it in while the state moves."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": NOT_SIGNED_IN}, status=401)
    return render(request, "clusters/instance_card.html", {"instance": instance_for(user=request.user)})
