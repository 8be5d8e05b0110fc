"""The PostgreSQL statements that make a slot count once: conditional upserts on
`collection_runs` (unique per cluster and slot) and an adding bulk upsert on `usage_daily`."""

import json

from django.db import connection

RUN_COLUMNS = (
    "cluster_id", "slot_start", "status", "started_at", "finished_at", "duration_ms", "attempts",
    "pods_counted", "pods_without_metrics", "users_count", "unknown_owner_pods", "api_calls", "report", "error",
)
RUN_UPSERT = f"""
INSERT INTO collection_runs ({", ".join(RUN_COLUMNS)})
VALUES ({", ".join(["%s"] * len(RUN_COLUMNS))})
ON CONFLICT (cluster_id, slot_start) DO UPDATE SET
  {", ".join(f"{c} = EXCLUDED.{c}" for c in RUN_COLUMNS[2:] if c != "attempts")},
  attempts = collection_runs.attempts + 1
WHERE collection_runs.status <> 'succeeded'
RETURNING id
"""
USAGE_DAILY_ADD = """
INSERT INTO usage_daily (user_id, cluster_id, date, namespace, cpu_hours, gpu_hours, memory_gb_hours, updated_at)
SELECT row.user_id, %s, %s, row.namespace, row.cpu, row.gpu, row.memory, %s
FROM unnest(%s::bigint[], %s::text[], %s::numeric[], %s::numeric[], %s::numeric[])
  AS row(user_id, namespace, cpu, gpu, memory)
ON CONFLICT (user_id, cluster_id, date, namespace) DO UPDATE SET
  cpu_hours = usage_daily.cpu_hours + EXCLUDED.cpu_hours,
  gpu_hours = usage_daily.gpu_hours + EXCLUDED.gpu_hours,
  memory_gb_hours = usage_daily.memory_gb_hours + EXCLUDED.memory_gb_hours,
  updated_at = EXCLUDED.updated_at
"""


def run_upsert(**fields):
    """Write the (cluster, slot) run unless a succeeded one exists; its id, or None when the slot
    was already collected. Two writers racing on one slot: PostgreSQL makes the second wait for the
    first's commit, then re-checks the WHERE against the committed row."""
    fields["report"] = json.dumps(fields.get("report") or {})
    with connection.cursor() as cursor:
        cursor.execute(RUN_UPSERT, [fields[c] for c in RUN_COLUMNS])
        row = cursor.fetchone()
    return row[0] if row else None


def usage_daily_add(*, cluster_id, day, now, by_user):
    """Add one slot's hours to `usage_daily` for every (user, namespace): one statement."""
    if not by_user:
        return
    keys = sorted(by_user)
    with connection.cursor() as cursor:
        cursor.execute(USAGE_DAILY_ADD, [
            cluster_id, day, now,
            [user_id for user_id, _ in keys], [namespace for _, namespace in keys],
            [by_user[k].cpu_hours for k in keys], [by_user[k].gpu_hours for k in keys],
            [by_user[k].memory_gb_hours for k in keys],
        ])
