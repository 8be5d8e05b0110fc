from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .charts import bar_chart
from .selectors import MonthInvalid, month_parse, usage_for_month, usage_users_for

NOT_SIGNED_IN = "Sign in to see your usage."
HOURS = Decimal("0.0001")
CENTS = Decimal("0.01")
HOUR_FIELDS = ("cpu_hours", "gpu_hours", "memory_gb_hours")


@require_GET
@login_required
def dashboard(request):
    """Instance card, month-to-date hours (and cost for owners), daily charts, per project and
    per member (owners) — a fixed number of queries whatever the amount of usage."""
    user = request.user
    users = usage_users_for(user=user)
    usage = usage_for_month(users=users, month=timezone.now().date())
    charts = [
        bar_chart(usage["days"], field="cpu_hours", label="CPU hours per day", unit="CPU h", color="#1f6feb", chart_id="cpu-chart"),
        bar_chart(usage["days"], field="gpu_hours", label="GPU hours per day", unit="GPU h", color="#8250df", chart_id="gpu-chart"),
    ]
    return render(request, "usage/dashboard.html", {
        "usage": usage,
        "shown": _shown(usage),
        "charts": charts,
        "has_usage": bool(usage["projects"]),
        "show_cost": user.is_owner,
        "show_members": user.is_owner and len(users) > 1,
    })


def _two_places(value):
    """What `floatformat:2` shows, computed once here rather than per value in the template."""
    return str(Decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP))


@lru_cache(maxsize=1024)
def _day_label(day, language):
    """What the `date:"D j M"` filter shows ("Wed 4 Nov") in `language`, worked out once per day."""
    return f"{WEEKDAYS_ABBR[day.weekday()]} {day.day} {MONTHS_3[day.month].title()}"


def _shown(usage):
    """The dashboard's numbers as text: totals, prices, and every row of the day, project and
    member tables."""
    def amounts(values):
        return {field: _two_places(values[field]) for field in (*HOUR_FIELDS, "cost")}

    language = get_language()
    return {
        "totals": amounts(usage["totals"]),
        "prices": {resource: _two_places(amount) for resource, amount in usage["prices"].items()},
        "days": [{"label": _day_label(day["date"], language), **amounts(day)} for day in usage["days"]],
        "projects": [{**project, **amounts(project)} for project in usage["projects"]],
        "users": [{"user": row["user"], **amounts(row)} for row in usage["users"]],
    }


def _hours(value):
    return str(Decimal(value).quantize(HOURS, rounding=ROUND_HALF_UP))


def _amounts(values, show_cost):
    out = {field: _hours(values[field]) for field in HOUR_FIELDS}
    if show_cost:
        out["cost"] = str(Decimal(values["cost"]).quantize(CENTS, rounding=ROUND_HALF_UP))
    return out


@require_GET
@never_cache
def api_usage(request):
    """The caller's usage this month (or `?month=YYYY-MM`): totals, per day, per project; owners
    also get the cost and each team member's usage. Hours to 4 decimals, cost to the cent."""
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"error": NOT_SIGNED_IN}, status=401)
    try:
        month = month_parse(request.GET["month"]) if request.GET.get("month") else timezone.now().date()
    except MonthInvalid as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    usage = usage_for_month(users=usage_users_for(user=user), month=month)
    show_cost = user.is_owner
    body = {
        "month": usage["month"],
        "totals": _amounts(usage["totals"], show_cost),
        "days": [{"date": day["date"].isoformat(), **_amounts(day, show_cost)} for day in usage["days"]],
        "projects": [
            {"namespace": p["namespace"], "cluster": p["cluster"], "days_active": p["days_active"], **_amounts(p, show_cost)}
            for p in usage["projects"]
        ],
    }
    if show_cost:
        body["currency"] = "usd"
        body["prices"] = {resource: str(amount) for resource, amount in usage["prices"].items()}
        body["members"] = [
            {"email": row["user"].email, "name": row["user"].display_name, "is_you": row["user"].pk == user.pk,
             **_amounts(row, show_cost)}
            for row in usage["users"]
        ]
    return JsonResponse(body)
