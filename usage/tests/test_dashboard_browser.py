"""In Chromium: an owner with a month of usage opens the dashboard and reads the charts and tables."""

import pytest
from django.test import Client
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_sees_daily_charts_projects_and_members_on_the_dashboard(
    page, screenshot, live_server, alice, bob, make_cluster, usage_rows
):
    cluster = make_cluster("eu-1")
    usage_rows(alice, cluster, days=10, projects=3, cpu="6.5", gpu="1")
    usage_rows(bob, cluster, days=4, cpu="2", gpu="0")
    client = Client()
    client.force_login(alice)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])

    page.goto(f"{live_server.url}/dashboard/")

    expect(page.get_by_role("heading", name="CPU hours", exact=True)).to_be_visible()
    cpu_chart = page.get_by_role("img", name="CPU hours per day")
    expect(cpu_chart).to_be_visible()
    bars = page.locator("#cpu-chart rect.bar")
    assert bars.count() == page.locator("#days-table tbody tr").count()
    assert max(bars.nth(i).bounding_box()["height"] for i in range(bars.count())) > 50
    expect(page.locator("#projects-table tbody tr")).to_have_count(4)
    expect(page.locator("#members-table")).to_contain_text("Bob Member")
    screenshot(page, "dashboard-with-usage")
