from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def rate(value):
    """A unit price with at least two decimals and no trailing zeros beyond: 0.100000 → 0.10."""
    if value in (None, ""):
        return "—"
    value = Decimal(value)
    text = f"{value.normalize():f}"
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


@register.filter
def assignment_label(state):
    """The human label of an assignment state ("waiting_for_capacity" → "Waiting for capacity")."""
    from clusters.models import UserHopsworksAssignment

    return dict(UserHopsworksAssignment.State.choices).get(state, state or "—")
