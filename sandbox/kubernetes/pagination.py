"""`continue` tokens of a paginated list, as the API server hands them out: opaque base64 naming a
consistent snapshot, 410 Expired once the snapshot is too old (or when a fault says so)."""

import base64
import itertools
import json
import threading
from collections import OrderedDict

KEPT_LISTS = 16


class ContinueTokens:
    def __init__(self, *, clock, ttl, error):
        self.clock, self.ttl, self.error = clock, ttl, error  # error(code, reason, message) -> exception
        self.lock = threading.RLock()
        self._lists = OrderedDict()  # list id -> (first page served at, the whole snapshot)
        self._ids = itertools.count(1)

    def issue(self, items, previous_token, offset):
        """A token for the page starting at `offset` of the snapshot `items`."""
        with self.lock:
            list_id = self._decode(previous_token)["rv"] if previous_token else next(self._ids)
            self._lists[list_id] = (self._lists.get(list_id, (self.clock.now(),))[0], items)
            while len(self._lists) > KEPT_LISTS:
                self._lists.popitem(last=False)
        raw = json.dumps({"v": "meta.k8s.io/v1", "rv": list_id, "start": offset}).encode()
        return base64.urlsafe_b64encode(raw).decode()

    def resume(self, token, *, force_expired=False):
        """(the snapshot, the offset) the token names; raises 410 when it is too old."""
        data = self._decode(token)
        with self.lock:
            stored = self._lists.get(data.get("rv"))
            expired = force_expired or stored is None or self.clock.now() - stored[0] > self.ttl
        if expired:
            raise self.error(
                410, "Expired",
                "The provided continue parameter is too old to display a consistent list result. You can start "
                "a new list without the continue parameter.",
            )
        return stored[1], int(data["start"])

    def _decode(self, token):
        try:
            return json.loads(base64.urlsafe_b64decode(token.encode()))
        except ValueError:
            raise self.error(400, "BadRequest", "continue key is not valid: illegal base64 data") from None
