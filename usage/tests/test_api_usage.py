"""GET /api/usage: the caller's usage this month (owners: with cost and each member's usage)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from usage.models import UsageDaily


@pytest.fixture
def eu1(make_cluster):
    return make_cluster("eu-1")


def today():
    return timezone.now().date()


def test_signed_out_callers_get_401_json(client, db):
    response = client.get("/api/usage")
    assert response.status_code == 401
    assert response.json() == {"error": "Sign in to see your usage."}


def test_a_new_owner_gets_zeros_for_every_day_so_far_and_no_projects(client_for, alice):
    data = client_for(alice).get("/api/usage").json()
    assert data["month"] == today().strftime("%Y-%m")
    assert data["totals"] == {"cpu_hours": "0.0000", "gpu_hours": "0.0000", "memory_gb_hours": "0.0000", "cost": "0.00"}
    assert len(data["days"]) == today().day and data["days"][-1]["date"] == today().isoformat()
    assert data["projects"] == []
    assert data["members"] == [{"email": "alice@example.com", "name": "Alice Owner", "is_you": True,
                                "cpu_hours": "0.0000", "gpu_hours": "0.0000", "memory_gb_hours": "0.0000", "cost": "0.00"}]


def test_an_owner_sees_totals_per_day_per_project_cost_and_members(client_for, alice, bob, charlie, eu1, usage_rows):
    usage_rows(alice, eu1, projects=2, cpu="10", gpu="2")
    usage_rows(bob, eu1, cpu="1.23456", gpu="0")
    usage_rows(charlie, eu1, cpu="99")  # a stranger's usage never shows
    data = client_for(alice).get("/api/usage").json()

    assert data["totals"]["cpu_hours"] == "21.2346"
    assert data["totals"]["gpu_hours"] == "4.0000"
    assert data["totals"]["cost"] == "4.12"  # 21.23456 × $0.10 + 4 × $0.50
    assert data["prices"] == {"cpu_hour": "0.100000", "gpu_hour": "0.500000"} and data["currency"] == "usd"
    assert data["days"][-1]["cpu_hours"] == "21.2346"
    assert [p["namespace"] for p in data["projects"]] == [f"{alice.pk}-project-0", f"{alice.pk}-project-1", f"{bob.pk}-project-0"]
    assert data["projects"][0] == {"namespace": f"{alice.pk}-project-0", "cluster": "eu-1", "days_active": 1,
                                   "cpu_hours": "10.0000", "gpu_hours": "2.0000", "memory_gb_hours": "2.0000", "cost": "2.00"}
    members = {m["email"]: m for m in data["members"]}
    assert members["bob@example.com"]["cpu_hours"] == "1.2346" and members["bob@example.com"]["cost"] == "0.12"
    assert members["alice@example.com"]["is_you"] is True


def test_a_member_sees_only_their_own_hours_and_never_cost(client_for, alice, bob, eu1, usage_rows):
    usage_rows(alice, eu1, cpu="10")
    usage_rows(bob, eu1, cpu="3")
    data = client_for(bob).get("/api/usage").json()
    assert data["totals"] == {"cpu_hours": "3.0000", "gpu_hours": "0.2500", "memory_gb_hours": "2.0000"}
    assert [p["namespace"] for p in data["projects"]] == [f"{bob.pk}-project-0"]
    assert "members" not in data and "prices" not in data
    assert all("cost" not in day for day in data["days"])


def test_another_month_can_be_asked_for_and_a_bad_one_is_refused(client_for, alice, eu1, usage_rows):
    first_of_month = today().replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    usage_rows(alice, eu1, days=3, end=last_month_end, cpu="1")
    client = client_for(alice)

    past = client.get("/api/usage", {"month": last_month_end.strftime("%Y-%m")}).json()
    assert past["totals"]["cpu_hours"] == "3.0000"
    assert len(past["days"]) == last_month_end.day
    assert client.get("/api/usage").json()["totals"]["cpu_hours"] == "0.0000"

    for bad in ("2026-13", "november", "2026-11-01"):
        response = client.get("/api/usage", {"month": bad})
        assert response.status_code == 400
        assert "month must look like 2026-11" in response.json()["error"]
    assert UsageDaily.objects.count() == 3


def test_only_get_is_answered(client_for, alice):
    assert client_for(alice).post("/api/usage").status_code == 405


@pytest.mark.parametrize("days", [1, 100])
def test_the_query_count_does_not_grow_with_days_or_projects(client_for, alice, bob, eu1, usage_rows, days,
                                                            django_assert_max_num_queries):
    usage_rows(alice, eu1, days=days, projects=50)
    usage_rows(bob, eu1, days=days, projects=5)
    client = client_for(alice)
    with django_assert_max_num_queries(6):
        response = client.get("/api/usage")
    assert len(response.json()["projects"]) == 55
