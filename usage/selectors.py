"""Reads of usage for pages, the API, teams and admins (query counts independent of data size)."""

import calendar
import hashlib
import logging
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from billing.selectors import price_table
from clusters.models import HopsworksCluster

from .models import CollectionRun
from .slots import SLOT_MINUTES

ZERO = Decimal(0)
COLLECTION_STALE_AFTER = timedelta(minutes=2 * SLOT_MINUTES + 5)


class MonthInvalid(ValueError):
    pass


def month_parse(text):
    """The first day of a `YYYY-MM` month."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except (ValueError, AttributeError):
        raise MonthInvalid(f"month must look like 2026-11, not {text!r}") from None


def _zero():
    return {"cpu_hours": ZERO, "gpu_hours": ZERO, "memory_gb_hours": ZERO, "cost": ZERO}


# What a month's numbers are made of; the cache below is valid while it is unchanged.
# `usage_daily` only ever grows (a collection adds hours to a row or adds a row; rows are never
# moved or deleted), so any change to a month's numbers changes its row count or one of its sums,
# whatever order concurrent collections commit in. The latest row update tells equal sums of
# different databases or user incarnations apart; the latest cluster update catches a renamed
# cluster; the prices that can apply are in it too (billing's tiny table, read here rather than
# through `price_table` to save a query per request, though billing only adds future prices).
MONTH_FINGERPRINT = """
SELECT COUNT(*), SUM(d.cpu_hours), SUM(d.gpu_hours), SUM(d.memory_gb_hours), MAX(d.updated_at),
       (SELECT MAX(c.updated_at) FROM hopsworks_clusters c),
       (SELECT STRING_AGG(CONCAT_WS(' ', p.id, p.resource, p.unit_amount, p.effective_from), ',' ORDER BY p.id)
        FROM prices p WHERE p.effective_from <= %(last)s)
FROM usage_daily d
WHERE d.user_id = ANY(%(user_ids)s::bigint[]) AND d.date BETWEEN %(first)s AND %(last)s
"""
# The month grouped by PostgreSQL three ways in one statement (per day; per project and price
# period; per user and price period): a few dozen rows, so a request builds no model rows and sums
# little in Python. Raw SQL because the ORM has no GROUPING SETS. Within a price period the prices
# are constant, so the cost of a sum is the sum of the costs, exactly. Days active: a bit per day.
MONTH_GROUPS = """
SELECT GROUPING(u.date, u.namespace, u.user_id), u.date, u.namespace, u.cluster_name, u.user_id, u.period,
       SUM(u.cpu_hours), SUM(u.gpu_hours), SUM(u.memory_gb_hours), BIT_OR(1::bigint << EXTRACT(DAY FROM u.date)::int)
FROM (
  SELECT d.date, d.namespace, c.name AS cluster_name, d.user_id, d.cpu_hours, d.gpu_hours, d.memory_gb_hours,
         WIDTH_BUCKET(d.date, %(period_starts)s::date[]) AS period
  FROM usage_daily d JOIN hopsworks_clusters c ON c.id = d.cluster_id
  WHERE d.user_id = ANY(%(user_ids)s::bigint[]) AND d.date BETWEEN %(first)s AND %(last)s
) u
GROUP BY GROUPING SETS ((u.date), (u.namespace, u.cluster_name, u.period), (u.user_id, u.period))
"""
# GROUPING(date, namespace, user_id): a 1 bit for each column a row is summed over.
PER_DAY, PER_PROJECT = 0b011, 0b101
MONTH_CACHE_SECONDS = 3600
MONTH_CACHE_FORMAT = 1  # part of the key: change it when the cached numbers change shape

logger = logging.getLogger(__name__)


def _price_periods(prices, first, last):
    """The first day of each run of days in [first, last] with the same prices."""
    starts, previous = [], None
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        current = prices.as_dict(day)
        if current != previous:
            starts.append(day)
            previous = current
    return starts


def _add(bucket, cpu, gpu, memory, cost):
    bucket["cpu_hours"] += cpu
    bucket["gpu_hours"] += gpu
    bucket["memory_gb_hours"] += memory
    bucket["cost"] += cost


def _month_compute(*, user_ids, first, last, through):
    """The month's numbers per day, project and user id, with the cost at each day's prices."""
    prices = price_table(first, last)
    period_starts = _price_periods(prices, first, last)
    with connection.cursor() as cursor:
        cursor.execute(MONTH_GROUPS, {"user_ids": user_ids, "first": first, "last": last, "period_starts": period_starts})
        groups = cursor.fetchall()
    totals = _zero()
    days = {first + timedelta(days=n): _zero() for n in range((through - first).days + 1)}
    projects = defaultdict(lambda: [0, _zero()])  # (a bit per day active, numbers)
    per_user = {user_id: _zero() for user_id in user_ids}
    for grouping, day, namespace, cluster, user_id, period, cpu, gpu, memory, day_bits in groups:
        cost = prices.cost(day or period_starts[period - 1], cpu_hours=cpu, gpu_hours=gpu)
        if grouping == PER_DAY:
            _add(days.setdefault(day, _zero()), cpu, gpu, memory, cost)
            _add(totals, cpu, gpu, memory, cost)
        elif grouping == PER_PROJECT:
            project = projects[namespace, cluster]
            project[0] |= day_bits
            _add(project[1], cpu, gpu, memory, cost)
        else:
            _add(per_user[user_id], cpu, gpu, memory, cost)
    return {
        "totals": totals,
        "days": [{"date": day, **values} for day, values in sorted(days.items())],
        "projects": sorted(
            ({"namespace": ns, "cluster": cluster, "days_active": days_bits.bit_count(), **values}
             for (ns, cluster), (days_bits, values) in projects.items()),
            key=lambda p: (-p["cost"], -p["cpu_hours"], p["namespace"]),
        ),
        "per_user": per_user,
        "prices": prices.as_dict(through if through >= first else first),
    }


def _month_cache_key(users, first, today):
    # Who (each user's id and creation time: ids come back in a recreated test database), which
    # database, which month and which day (the days listed and today's prices depend on it).
    who = [(user.pk, user.date_joined.isoformat()) for user in users]
    raw = repr((connection.settings_dict["NAME"], who, first.isoformat(), today.isoformat()))
    return f"usage-month:{MONTH_CACHE_FORMAT}:" + hashlib.sha256(raw.encode()).hexdigest()


def _month_cached(*, users, user_ids, first, last, through, today):
    """The month's numbers from the cache (Redis) while their fingerprint is still the database's,
    else computed and cached. A cache that is down only costs the computation."""
    key = _month_cache_key(users, first, today)
    with connection.cursor() as cursor:
        cursor.execute(MONTH_FINGERPRINT, {"user_ids": user_ids, "first": first, "last": last})
        current = cursor.fetchone()
    try:
        entry = cache.get(key)
    except Exception as exc:  # Redis down or restarting: serve from the database
        logger.warning("usage cache unavailable for reading: %s", exc.__class__.__name__)
        entry = None
    if entry is not None and entry[0] == current:
        return entry[1]
    # Computed after the fingerprint was read, so never older than what it describes.
    month_usage = _month_compute(user_ids=user_ids, first=first, last=last, through=through)
    try:
        cache.set(key, (current, month_usage), MONTH_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("usage cache unavailable for writing: %s", exc.__class__.__name__)
    return month_usage


def usage_for_month(*, users, month):
    """Usage of `users` (user objects) in the month containing `month`: totals, per day (every day
    so far), per project namespace and per user, with the cost at each day's prices. One query and
    a cache read while nothing changed; three queries when it did."""
    users = list(users)
    user_ids = list(dict.fromkeys(user.pk for user in users))
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    today = timezone.now().date()
    through = min(last, today)
    month_usage = _month_cached(users=users, user_ids=user_ids, first=first, last=last, through=through, today=today)
    per_user = month_usage.pop("per_user")
    return {
        "month": first.strftime("%Y-%m"),
        "start": first,
        "end": last,
        **month_usage,
        "users": [{"user": user, **per_user[user.pk]} for user in users],
    }


def usage_users_for(*, user):
    """Whose usage a user sees: an owner sees themself and their team members; a member, themself."""
    if user.account_owner_id:
        return [user]
    return [user, *user.team_members.order_by("email")]


def clusters_to_collect():
    """Ids of the clusters a scheduled collection reads: active, with a kubeconfig."""
    return list(
        HopsworksCluster.objects.filter(status=HopsworksCluster.Status.ACTIVE)
        .exclude(kubeconfig_encrypted="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def collection_runs_recent(*, cluster=None, status=None, limit=100):
    """The latest collection runs (newest slot first), with their cluster loaded."""
    runs = CollectionRun.objects.select_related("cluster").order_by("-slot_start", "cluster__name")
    if cluster is not None:
        runs = runs.filter(cluster=cluster)
    if status:
        runs = runs.filter(status=status)
    return list(runs[:limit])


def collection_run_last():
    """The latest finished collection run, for /healthz: when, which cluster and slot, its status,
    and whether it is stale (no run for two slots). None when nothing was ever collected."""
    run = CollectionRun.objects.select_related("cluster").order_by("-finished_at").first()
    if run is None:
        return None
    age = (timezone.now() - run.finished_at).total_seconds()
    return {
        "at": run.finished_at.isoformat(),
        "cluster": run.cluster.name,
        "slot": run.slot_start.isoformat(),
        "status": run.status,
        "age_seconds": round(age),
        "stale": age > COLLECTION_STALE_AFTER.total_seconds(),
    }
