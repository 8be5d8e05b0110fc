"""Whose usage: owner label → user; else the project creator from Hopsworks; else kept for admins."""

from decimal import Decimal

from billing.models import BillableUsage
from usage.models import UsageDaily
from usage.services import collection_run_execute

from .conftest import SLOT


def test_unknown_owners_fall_back_to_the_project_creator_and_the_rest_is_reported(
    kube, make_cluster, hopsworks_sandbox, make_user
):
    created = hopsworks_sandbox.store.user_create(
        email="alice@example.com", given_name="Alice", surname="Owner", subject="auth0|alice", client_id="c",
        max_num_projects=5,
    )
    alice = make_user("alice@example.com", hopsworks_username=created["username"])
    namespace = f"{created['username']}-demo"
    cluster = make_cluster("eu-1", kube, api_url=hopsworks_sandbox.url, api_key=hopsworks_sandbox.api_key)
    kube.sandbox.pod_add(created["username"], namespace, name="own", cpu="1")
    kube.sandbox.pod_add("service-account-x", namespace, name="spark-executor", cpu="2")  # unknown owner, known project
    kube.sandbox.pod_add("ghost", "orphan-project", name="left-behind", cpu="4", gpus=1)

    run = collection_run_execute(cluster=cluster, slot=SLOT).run

    row = UsageDaily.objects.get(user=alice)
    assert (row.namespace, row.cpu_hours) == (namespace, Decimal("0.75"))  # both pods of her project
    assert run.pods_counted == 2 and run.users_count == 1 and run.unknown_owner_pods == 1
    assert run.report["pods_attributed_to_project_creator"] == 1
    assert run.report["unknown_owners"] == {
        "ghost": {"pods": 1, "cpu_hours": "1.00", "gpu_hours": "0.25", "memory_gb_hours": "0.25",
                  "namespaces": ["orphan-project"]},
    }
    assert UsageDaily.objects.count() == 1
    assert BillableUsage.objects.get().cpu_hours == Decimal("0.75")


def test_when_hopsworks_is_down_unknown_owners_are_kept_and_the_run_still_succeeds(
    kube, make_cluster, hopsworks_sandbox, hopsworks_users
):
    (alice,) = hopsworks_users("alice")
    cluster = make_cluster("eu-1", kube, api_url=hopsworks_sandbox.url, api_key=hopsworks_sandbox.api_key)
    hopsworks_sandbox.store.fail(path="/admin/projects", status=503, times=None)
    kube.sandbox.pod_add("alice", "alice-a", cpu="1")
    kube.sandbox.pod_add("ghost", "alice-a", cpu="1")

    run = collection_run_execute(cluster=cluster, slot=SLOT).run

    assert run.succeeded and run.unknown_owner_pods == 1
    assert "503" in run.report["project_creators_error"]
    assert UsageDaily.objects.get(user=alice).cpu_hours == Decimal("0.25")


def test_a_team_members_usage_is_theirs_in_usage_daily_and_their_owners_on_the_bill(kube, cluster, hopsworks_users):
    (alice,) = hopsworks_users("alice")
    (bob,) = hopsworks_users("bob", owner=alice)
    kube.sandbox.pod_add("bob", "alice-shared", cpu="2", gpus=1)

    collection_run_execute(cluster=cluster, slot=SLOT)

    assert UsageDaily.objects.get().user == bob
    billed = BillableUsage.objects.get()
    assert (billed.owner, billed.user, billed.cpu_hours, billed.gpu_hours) == (alice, bob, Decimal("0.5"), Decimal("0.25"))
