"""Reads of billing data: prices, costs (more selectors for the billing page live in `account.py`)."""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from .models import Price
from .pricing import PriceTable


def prices_current(*, on=None):
    """The price in effect on `on` (default today) for each resource, in display order."""
    on = on or timezone.now().date()
    current = {}
    for price in Price.objects.filter(effective_from__lte=on).order_by("resource", "-effective_from"):
        current.setdefault(price.resource, price)
    return [current[r] for r in Price.Resource.values if r in current]


def price_table(start: date, end: date) -> PriceTable:
    """Prices for every day in [start, end] from one query: `.unit_amount(resource, day)`, `.cost(day, ...)`."""
    return PriceTable.between(start, end)


def price_for(*, resource, day: date) -> Decimal:
    """USD per unit of `resource` ("cpu_hour" / "gpu_hour") in effect on `day`."""
    return price_table(day, day).unit_amount(resource, day)


def cost_of(*, day: date, cpu_hours, gpu_hours) -> Decimal:
    """Exact USD cost of these hours at the prices in effect on `day` (round only for display)."""
    return price_table(day, day).cost(day, cpu_hours=cpu_hours, gpu_hours=gpu_hours)
