"""The operator's journey in Chromium, against the Hopsworks and Kubernetes sandboxes and a real
Celery worker: add a cluster with a kubeconfig, test its connection (both green), watch a user
who waited for capacity get a seat and an account, collect usage now and see the run appear."""

import pytest
import yaml
from django.test import Client
from playwright.sync_api import expect

from clusters.models import UserHopsworksAssignment
from clusters.services import assignment_request
from sandbox.hopsworks.server import create_app as hopsworks_app
from sandbox.serving import start_in_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

API_KEY = "hw-browser-admin-key-5678"


@pytest.fixture
def hopsworks_with_pods(kubernetes_sandbox):
    """A Hopsworks sandbox whose new users start pods in the Kubernetes sandbox (as sandbox/run.py wires it)."""
    def on_user_created(username, email):
        kubernetes_sandbox.sandbox.workload_add(username, projects=1, pods=2, jobs=0)

    running = start_in_thread(hopsworks_app(api_key=API_KEY, on_user_created=on_user_created))
    yield running
    running.stop()


def sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def test_admin_adds_a_cluster_tests_it_sees_the_waiting_user_assigned_and_collects_now(
    page, screenshot, live_server, root, make_user, kubernetes_sandbox, hopsworks_with_pods,
    celery_processes, celery_queue,
):
    procs = celery_processes()
    procs.start_worker(concurrency=2)
    celery_queue.use(procs.queue)
    wanda = make_user("wanda@example.com", name="Wanda Waiting", card_on_file=True)
    assert assignment_request(user=wanda).state == "waiting_for_capacity"
    admin = f"{live_server.url}/admin47392"
    sign_in(page, live_server, root)

    page.goto(f"{admin}/")
    expect(page.locator('[data-state="waiting_for_capacity"] .stat')).to_have_text("1")
    page.goto(f"{admin}/users/?filter=waiting_for_capacity")
    expect(page.get_by_role("link", name="wanda@example.com")).to_be_visible()
    screenshot(page, "waiting-user")

    page.goto(f"{admin}/clusters/")
    page.get_by_role("link", name="Add a cluster").click()
    page.get_by_label("Name").fill("sandbox-eu-1")
    page.get_by_label("Hopsworks API URL").fill(hopsworks_with_pods.url)
    page.get_by_label("API key").fill(API_KEY)
    page.get_by_label("Region").fill("eu-north-1")
    page.get_by_label("Max users").fill("5")
    page.get_by_label("…or paste the kubeconfig").fill(yaml.safe_dump(kubernetes_sandbox.kubeconfig()))
    screenshot(page, "add-cluster")
    page.get_by_role("button", name="Add cluster").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("sandbox-eu-1")
    expect(page.locator("body")).not_to_contain_text(API_KEY)

    page.get_by_role("button", name="Test connection").click()
    expect(page.locator('[data-check-result="hopsworks"]')).to_have_class("check-ok")
    expect(page.locator('[data-check-result="kubernetes"]')).to_have_class("check-ok")
    expect(page.locator('[data-check-result="hopsworks"]')).to_contain_text(" ms")
    screenshot(page, "connection-tested")

    # The new cluster's seat went to Wanda at once; the worker creates her Hopsworks account.
    seated = page.locator("#seated").locator("xpath=..")
    expect(seated).to_contain_text("wanda@example.com")
    for _ in range(60):
        if UserHopsworksAssignment.objects.get(user=wanda).state == "ready":
            break
        page.wait_for_timeout(500)
    page.reload()
    expect(seated.get_by_role("row", name="wanda@example.com")).to_contain_text("Ready")
    wanda.refresh_from_db()
    expect(seated).to_contain_text(wanda.hopsworks_username)
    screenshot(page, "user-assigned")

    page.get_by_role("link", name="Collection runs").click()
    expect(page.locator("body")).to_contain_text("No collection runs match")
    page.get_by_label("Cluster", exact=True).first.select_option(label="sandbox-eu-1")
    page.get_by_role("button", name="Collect now").click()
    # The progress page refreshes itself until the worker has written the run.
    progress = page.locator('[data-cluster="sandbox-eu-1"]')
    expect(progress).to_have_attribute("data-state", "succeeded", timeout=30_000)
    expect(page.locator("[data-done]")).to_contain_text("Done.")
    screenshot(page, "collected")

    page.get_by_role("link", name="Usage collection").click()
    row = page.locator("table.runs tbody tr").first
    expect(row).to_contain_text("sandbox-eu-1")
    expect(row).to_contain_text("Succeeded")
    cells = row.locator("td")
    expect(cells.nth(3)).to_have_text("2")  # Wanda's two pods
    expect(cells.nth(4)).to_have_text("1")  # one user
    screenshot(page, "run-listed")
