"""What "nothing changed" means for a refused request: every table's rows, to the byte.

One query (a UNION ALL over all tables of the installed models) gives each table its row count and
an md5 of its rows in a stable order, so an UPDATE that leaves the count alone is caught too.
Sessions are left out: signing in and the invitation link legitimately write them.
"""

from django.apps import apps
from django.db import connection

IGNORED_TABLES = {"django_session"}


def _tables():
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(tables - IGNORED_TABLES)


def database_fingerprint():
    """{table: (row count, md5 of all rows)} for every application table."""
    quote = connection.ops.quote_name
    parts = [
        f"SELECT %s, count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {quote(table)} t"
        for table in _tables()
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), _tables())
        return {table: (count, digest) for table, count, digest in cursor.fetchall()}


def tables_changed(before, after):
    """The tables whose rows differ between two fingerprints, with their row counts."""
    return [
        f"{table}: {before.get(table, (0,))[0]} -> {after.get(table, (0,))[0]} rows"
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table)
    ]
