"""Reads of usage for pages, the API, teams and admins (query counts independent of data size)."""

import calendar
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from billing.selectors import price_table
from clusters.models import HopsworksCluster

from .models import CollectionRun, UsageDaily
from .slots import SLOT_MINUTES

ZERO = Decimal(0)
ZERO_HOURS = ("cpu_hours", "gpu_hours", "memory_gb_hours")
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


def _add(bucket, row, cost):
    for field in ZERO_HOURS:
        bucket[field] += row[field]
    bucket["cost"] += cost


def usage_for_month(*, users, month):
    """Usage of `users` (user objects) in the month containing `month`: totals, per day (every day
    so far), per project namespace and per user, with the cost at each day's prices. Two queries."""
    users = list(users)
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    through = min(last, timezone.now().date())
    rows = (
        UsageDaily.objects.filter(user_id__in=[u.pk for u in users], date__range=(first, last))
        .values("user_id", "date", "namespace", "cluster__name")
        .annotate(**{field: Sum(field) for field in ZERO_HOURS})
        .order_by()
    )
    prices = price_table(first, last)
    totals = _zero()
    days = {first + timedelta(days=n): _zero() for n in range((through - first).days + 1)}
    projects = defaultdict(_zero)
    per_user = {u.pk: _zero() for u in users}
    project_days = defaultdict(set)
    for row in rows:
        cost = prices.cost(row["date"], cpu_hours=row["cpu_hours"], gpu_hours=row["gpu_hours"])
        key = (row["namespace"], row["cluster__name"])
        for bucket in (totals, days.setdefault(row["date"], _zero()), projects[key], per_user[row["user_id"]]):
            _add(bucket, row, cost)
        project_days[key].add(row["date"])
    return {
        "month": first.strftime("%Y-%m"),
        "start": first,
        "end": last,
        "totals": totals,
        "days": [{"date": day, **values} for day, values in sorted(days.items())],
        "projects": sorted(
            ({"namespace": ns, "cluster": cluster, "days_active": len(project_days[(ns, cluster)]), **values}
             for (ns, cluster), values in projects.items()),
            key=lambda p: (-p["cost"], -p["cpu_hours"], p["namespace"]),
        ),
        "users": [{"user": u, **per_user[u.pk]} for u in users],
        "prices": prices.as_dict(through if through >= first else first),
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
