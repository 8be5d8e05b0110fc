"""Collection slots: every run stands for one 15-minute slot, aligned to the quarter hour (UTC).

This module is the one place slot boundaries are computed.
"""

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.utils import timezone

SLOT_MINUTES = 15
SLOT = timedelta(minutes=SLOT_MINUTES)
SLOT_HOURS = Decimal(SLOT_MINUTES) / Decimal(60)  # what one sample of usage is worth: 0.25 h


class SlotInvalid(ValueError):
    """Not a date-time we can place in a slot; the message says what to send."""


def slot_start(moment=None):
    """The start of the slot containing `moment` (default: now), as an aware UTC datetime."""
    moment = (moment or timezone.now()).astimezone(dt_timezone.utc)
    return moment.replace(minute=moment.minute - moment.minute % SLOT_MINUTES, second=0, microsecond=0)


def slot_parse(text):
    """The slot containing an ISO 8601 date-time (`2026-11-25T10:15Z`; no zone means UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise SlotInvalid(f"{text!r} is not an ISO 8601 date-time such as 2026-11-25T10:15:00Z.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt_timezone.utc)
    return slot_start(moment)


def slot_day(slot):
    """The UTC day a slot's usage is counted on."""
    return slot_start(slot).date()
