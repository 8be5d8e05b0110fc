"""The dashboard: instance card, month-to-date hours and cost, daily charts, per project and member."""

import re

import pytest

from clusters.services import assignment_request


@pytest.fixture
def eu1(make_cluster):
    return make_cluster("eu-1")


def page(client_for, user):
    response = client_for(user).get("/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_new_owner_sees_the_card_call_to_action_the_instance_card_and_an_empty_state(client_for, alice):
    html = page(client_for, alice)
    assert "Add a card to get your Hopsworks cluster" in html
    assert 'id="instance-card"' in html
    assert "No usage yet this month" in html
    assert 'id="cpu-hours-total">0.00<' in html and 'id="cost-total">$0.00<' in html
    assert "<svg" not in html and 'id="projects-table"' not in html


def test_an_owner_with_usage_sees_totals_cost_charts_projects_and_members(client_for, alice, bob, eu1, usage_rows):
    alice.card_on_file = True
    alice.save()
    usage_rows(alice, eu1, projects=2, cpu="10", gpu="2")
    usage_rows(bob, eu1, cpu="4", gpu="0")
    html = page(client_for, alice)

    assert "Add a card" not in html
    assert 'id="cpu-hours-total">24.00<' in html and 'id="gpu-hours-total">4.00<' in html
    assert 'id="cost-total">$4.40<' in html
    cpu_chart = html.split('id="cpu-chart"')[1].split("</figure>")[0]
    assert len(re.findall(r'<rect class="bar"', cpu_chart)) >= 1
    assert "24.00 CPU h" in cpu_chart
    projects = html.split('id="projects-table"')[1].split("</table>")[0]
    assert projects.count("<tr>") == 1 + 3 and f"{bob.pk}-project-0" in projects
    members = html.split('id="members-table"')[1].split("</table>")[0]
    assert "Bob Member" in members and "Alice Owner" in members and "$0.40" in members


def test_a_member_sees_their_own_hours_without_cost_or_other_members(client_for, alice, bob, eu1, usage_rows):
    usage_rows(alice, eu1, cpu="10")
    usage_rows(bob, eu1, cpu="4")
    html = page(client_for, bob)
    assert 'id="cpu-hours-total">4.00<' in html
    assert "cost-total" not in html and "Cost" not in html and 'id="members-table"' not in html
    assert f"{alice.pk}-project-0" not in html
    assert "Add a card" not in html


def test_a_seated_owner_sees_their_cluster_on_the_instance_card(client_for, alice, eu1):
    alice.card_on_file = True
    alice.save()
    assignment_request(user=alice)
    assert "eu-1" in page(client_for, alice)


@pytest.mark.parametrize("days", [1, 100])
def test_the_query_count_does_not_grow_with_days_or_projects(client_for, alice, bob, eu1, usage_rows, days,
                                                            django_assert_max_num_queries):
    usage_rows(alice, eu1, days=days, projects=50)
    usage_rows(bob, eu1, days=days, projects=3)
    client = client_for(alice)
    with django_assert_max_num_queries(8):
        response = client.get("/dashboard/")
    assert response.content.decode().split("id=\"projects-table\"")[1].split("</table>")[0].count("<tr>") == 1 + 53


def test_the_daily_chart_scales_bars_to_a_round_axis_and_labels_each_day():
    from datetime import date
    from decimal import Decimal

    from usage.charts import bar_chart

    days = [{"date": date(2026, 11, d), "cpu_hours": Decimal(v)} for d, v in ((1, "0"), (2, "21.2"), (3, "10.6"))]
    chart = bar_chart(days, field="cpu_hours", label="CPU hours per day", unit="CPU h", color="#000", chart_id="c")
    assert [line["label"] for line in chart["grid"]] == ["0", "5", "10", "15", "20", "25"]
    heights = [bar["h"] for bar in chart["bars"]]
    assert heights[0] == 0 and heights[1] == pytest.approx(2 * heights[2], abs=0.02)
    assert chart["bars"][1]["title"] == "Nov 2: 21.20 CPU h"
    assert chart["total"] == Decimal("31.8")
