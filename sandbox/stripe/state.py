"""The Stripe sandbox's memory: objects, meter events, idempotency results, failure switches.

All of it sits behind one lock; tests reach it in-process (`app.stripe`) or through `/_sandbox/`.
"""

import os
import pickle
import secrets
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass

IDEMPOTENCY_TTL = 24 * 3600
IDENTIFIER_TTL = 24 * 3600


@dataclass
class FailureSwitch:
    """Answer requests with `mode` (error: 500, rate_limit: 429, timeout: hang `seconds`) `remaining` times."""

    mode: str
    remaining: int | None = None  # None: until cleared
    seconds: float = 0.0

    def take(self):
        """True if this request should fail; counts the use down."""
        if self.remaining is None:
            return True
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True


class RateLimiter:
    """At most `per_second` requests in any one-second window (429 beyond), like Stripe's limiter."""

    def __init__(self, per_second):
        self.per_second = per_second
        self.stamps = deque()

    def allow(self, now):
        while self.stamps and now - self.stamps[0] >= 1.0:
            self.stamps.popleft()
        if len(self.stamps) >= self.per_second:
            return False
        self.stamps.append(now)
        return True


class StripeState:
    def __init__(self, *, api_key, webhook_url=None, webhook_secret=None, clock=None):
        self.lock = threading.RLock()
        self.api_key = api_key
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.clock_offset = 0.0
        self._clock = clock or time.time
        self.reset()

    def reset(self):
        with self.lock:
            self.objects = {}  # id -> object dict (every type)
            self.by_kind = defaultdict(dict)  # "customer" -> {id: object}: lists stay cheap at 10,000s
            self.meter_events = []  # accepted meter events, in the order received
            self.identifiers = {}  # meter event identifier -> time received
            self.idempotency = {}  # (api key, key) -> {"fingerprint", "status", "body", "at"}
            self.idempotency_busy = set()
            self.events = []  # webhook events, oldest first
            self.deliveries = []  # webhook delivery attempts
            self.failures = {}  # "*" or customer id -> FailureSwitch
            self.rate_limiters = {}  # "*" or "meter_events" -> RateLimiter
            self.requests = Counter()  # "POST /v1/customers" -> count
            self.rate_limited = 0

    PERSISTED = ("objects", "by_kind", "meter_events", "identifiers", "idempotency", "events")

    def save(self, path):
        """Write what Stripe would remember across a restart (objects, events, keys) to `path`."""
        with self.lock:
            data = pickle.dumps({name: getattr(self, name) for name in self.PERSISTED})
        tmp = f"{path}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)

    def load(self, path):
        """Read a file written by `save` (our own file: `make run` keeps the sandbox's memory)."""
        with open(path, "rb") as handle:
            data = pickle.load(handle)  # noqa: S301 - written by this sandbox, never taken from outside
        with self.lock:
            for name in self.PERSISTED:
                setattr(self, name, data.get(name, getattr(self, name)))

    def now(self):
        return self._clock() + self.clock_offset

    def new_id(self, prefix):
        return f"{prefix}_{'test_' if prefix == 'cs' else ''}{secrets.token_hex(12)}"

    # ------------------------------------------------------------ objects

    def put(self, obj):
        with self.lock:
            self.objects[obj["id"]] = obj
            self.by_kind[obj["object"]][obj["id"]] = obj
            return obj

    def get(self, object_id, kind):
        obj = self.objects.get(object_id)
        return obj if obj is not None and obj["object"] == kind else None

    def all(self, kind, **match):
        with self.lock:
            return [o for o in self.by_kind[kind].values() if all(o.get(k) == v for k, v in match.items())]

    # ------------------------------------------------------------ failure switches

    def failure_for(self, customers):
        """The switch that applies to a request touching `customers` (per customer first, then global)."""
        with self.lock:
            for key in [*customers, "*"]:
                switch = self.failures.get(key)
                if switch is not None and switch.take():
                    return switch
        return None

    def rate_limit_allows(self, scope):
        with self.lock:
            for key in (scope, "*"):
                limiter = self.rate_limiters.get(key)
                if limiter is not None and not limiter.allow(time.monotonic()):
                    self.rate_limited += 1
                    return False
        return True

    # ------------------------------------------------------------ meter events

    def identifier_seen(self, identifier):
        """True if a meter event with `identifier` arrived within Stripe's ~24 h dedupe window."""
        at = self.identifiers.get(identifier)
        return at is not None and self.now() - at < IDENTIFIER_TTL
