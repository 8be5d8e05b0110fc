from django.utils import timezone

from .models import Price


def prices_current(*, on=None):
    """The price in effect on `on` (default today) for each resource, in display order."""
    on = on or timezone.now().date()
    current = {}
    for price in Price.objects.filter(effective_from__lte=on).order_by("resource", "-effective_from"):
        current.setdefault(price.resource, price)
    return [current[r] for r in Price.Resource.values if r in current]
