"""The sandbox clock: frozen (tests move it by hand) or running (wall time plus an offset)."""

from datetime import datetime, timedelta, timezone


class Clock:
    """Frozen (tests move it by hand) or running (wall time plus an offset)."""

    def __init__(self, *, start=None, frozen=True):
        self.frozen = frozen
        self.offset = timedelta(0)
        self.frozen_at = start or datetime.now(timezone.utc)
        if not frozen and start is not None:
            self.offset = start - datetime.now(timezone.utc)

    def now(self):
        return self.frozen_at if self.frozen else datetime.now(timezone.utc) + self.offset

    def advance(self, seconds):
        if self.frozen:
            self.frozen_at += timedelta(seconds=seconds)
        else:
            self.offset += timedelta(seconds=seconds)

    def set(self, moment):
        if self.frozen:
            self.frozen_at = moment
        else:
            self.offset = moment - datetime.now(timezone.utc)
