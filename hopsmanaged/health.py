"""Health of the parts the app cannot work without: the database, Redis, the Celery schedule."""

import time

import redis
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from .models import Heartbeat

HEARTBEAT_STALE_AFTER_SECONDS = 300


def heartbeat_record(*, worker):
    """Record that the heartbeat task ran on `worker` now (so beat and that worker are alive)."""
    now = timezone.now()
    row, created = Heartbeat.objects.get_or_create(worker=worker, defaults={"last_run_at": now, "runs": 1})
    if not created:
        Heartbeat.objects.filter(pk=row.pk).update(last_run_at=now, runs=F("runs") + 1)
    return now


def check_database():
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down" to an operator
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def check_redis():
    started = time.monotonic()
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def last_heartbeat():
    """The latest heartbeat of any worker, or None; never raises (the database may be down)."""
    try:
        row = Heartbeat.objects.order_by("-last_run_at").first()
    except Exception:
        return None
    if row is None:
        return {"at": None, "worker": None, "stale": True}
    age = (timezone.now() - row.last_run_at).total_seconds()
    return {
        "at": row.last_run_at.isoformat(),
        "worker": row.worker,
        "age_seconds": round(age),
        "stale": age > HEARTBEAT_STALE_AFTER_SECONDS,
    }


def last_collection_run():
    """The latest usage collection run (usage.selectors), or None; never raises."""
    from usage.selectors import collection_run_last

    try:
        return collection_run_last()
    except Exception:
        return None


def health_report():
    """What /healthz answers: each part's state and whether the whole is usable."""
    database = check_database()
    report = {
        "database": database,
        "redis": check_redis(),
        "heartbeat": last_heartbeat() if database["ok"] else None,
        "collection": last_collection_run() if database["ok"] else None,
    }
    down = [name for name in ("database", "redis") if not report[name]["ok"]]
    report["status"] = "ok" if not down else "down"
    report["down"] = down
    return report
