"""PostgreSQL session advisory locks: one holder at a time across processes and machines."""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def advisory_lock_try(*keys):
    """Yields whether this connection took the advisory lock `keys` (one bigint, or two ints)
    without waiting. Held until the block ends, or until the connection dies (a killed worker
    frees it), whatever transaction is open meanwhile."""
    placeholders = ", ".join(["%s"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_try_advisory_lock({placeholders})", list(keys))
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT pg_advisory_unlock({placeholders})", list(keys))
