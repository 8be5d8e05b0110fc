"""Prices by day: which unit price applies to a day, and what hours cost on it.

A `PriceTable` is built from one query and answers for any day in its range, so pages and the
usage engine can price many days without a query per day.
"""

from bisect import bisect_right
from datetime import date
from decimal import Decimal

from .models import Meter, Price

ZERO = Decimal("0")
CENT = Decimal("0.01")

# The Stripe meter each priced resource is reported on.
METER_OF_RESOURCE = {Price.Resource.CPU_HOUR: Meter.CPU_HOURS, Price.Resource.GPU_HOUR: Meter.GPU_HOURS}
RESOURCE_OF_METER = {meter: resource for resource, meter in METER_OF_RESOURCE.items()}
# Meter event names start with these; each price period's meter adds its start day (`price_periods.py`).
EVENT_NAMES = {Meter.CPU_HOURS: "hopsworks_cpu_hours", Meter.GPU_HOURS: "hopsworks_gpu_hours"}


def meter_of_event_name(event_name):
    """The Meter a meter event name reports on (None: not one of ours)."""
    return next((meter for meter, name in EVENT_NAMES.items() if event_name.startswith(name)), None)


class PriceTable:
    """Unit prices per resource, each a list of (effective_from, unit_amount) sorted by date."""

    def __init__(self, prices):
        self._starts = {}
        self._amounts = {}
        for price in sorted(prices, key=lambda p: (p.resource, p.effective_from)):
            self._starts.setdefault(price.resource, []).append(price.effective_from)
            self._amounts.setdefault(price.resource, []).append(price.unit_amount)

    @classmethod
    def between(cls, start: date, end: date):
        """Every price that can apply to a day in [start, end]: one query (the table is tiny)."""
        return cls(list(Price.objects.filter(effective_from__lte=end)))

    def unit_amount(self, resource, day: date) -> Decimal:
        """USD per unit of `resource` on `day`; zero before the first price exists."""
        starts = self._starts.get(resource, [])
        index = bisect_right(starts, day) - 1
        return self._amounts[resource][index] if index >= 0 else ZERO

    def cost(self, day: date, *, cpu_hours=ZERO, gpu_hours=ZERO) -> Decimal:
        """Exact USD cost (not rounded: round at display or at Stripe)."""
        return (
            Decimal(cpu_hours) * self.unit_amount(Price.Resource.CPU_HOUR, day)
            + Decimal(gpu_hours) * self.unit_amount(Price.Resource.GPU_HOUR, day)
        )

    def as_dict(self, day: date):
        """{resource: unit_amount} on `day`, for display and JSON."""
        return {resource: self.unit_amount(resource, day) for resource in Price.Resource.values}
