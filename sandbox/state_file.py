"""A sandbox's state kept in a JSON file across `make run` restarts (Hopsworks, Kubernetes).

Written whole to a temporary file beside it, then renamed over it: a reader, or a restart after a
kill, sees the previous state or the new one, never half of one. Callers hold their own lock
while they call `json_write`, so two saves never interleave.
"""

import json
import os
import tempfile


class StateFileError(Exception):
    """The state file cannot be read back: say which file, so the developer can move it away."""


def json_write(path, data):
    """Write `data` as JSON to `path` atomically (temporary file + rename); creates the folder."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(data if isinstance(data, str) else json.dumps(data))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def json_read(path):
    """The data saved in `path`, or None when there is no such file yet (a first start)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StateFileError(f"cannot read the sandbox state file {path}: {exc} (move it away to start empty)") from exc
