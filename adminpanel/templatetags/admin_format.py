from decimal import ROUND_HALF_UP, Decimal

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


@register.filter
def usd(value):
    """Dollars rounded to the cent for display: Decimal("1234.5678") → "$1,234.57"."""
    if value in (None, ""):
        return "—"
    cents = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"-${-cents:,.2f}" if cents < 0 else f"${cents:,.2f}"


@register.filter
def hours(value):
    """Hours with up to four decimals for display (stored with six)."""
    if value in (None, ""):
        return "—"
    return f"{Decimal(value).quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):,.4f}"
