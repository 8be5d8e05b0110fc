"""Acceptance 2: a slot is counted once per cluster, whatever happens (real PostgreSQL)."""

import subprocess
import sys
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from billing.models import BillableUsage, UsageSlot
from conftest import ROOT, subprocess_env
from usage.models import CollectionRun, UsageDaily
from usage.services import collection_run_execute, usage_collect

from .conftest import SLOT


def cpu_hours(**filters):
    return UsageDaily.objects.filter(**filters).aggregate(total=Sum("cpu_hours"))["total"] or Decimal(0)


def billed_cpu_hours():
    return BillableUsage.objects.aggregate(total=Sum("cpu_hours"))["total"] or Decimal(0)


def test_the_same_slot_collected_twice_adds_usage_once(kube, cluster, hopsworks_users):
    alice, bob = hopsworks_users("alice", "bob")
    kube.sandbox.pod_add("alice", "alice-a", cpu="2")
    kube.sandbox.pod_add("bob", "bob-a", cpu="1", gpus=1)

    first = collection_run_execute(cluster=cluster, slot=SLOT)
    kube.sandbox.clock_advance(300)  # still the same slot, five minutes later (a retry, a second beat)
    second = collection_run_execute(cluster=cluster, slot=SLOT.replace(minute=14, second=59))

    assert (first.outcome, second.outcome) == ("collected", "already_collected")
    assert second.run.pk == first.run.pk
    assert CollectionRun.objects.count() == 1
    assert cpu_hours(user=alice) == Decimal("0.5") and cpu_hours(user=bob) == Decimal("0.25")
    assert kube.sandbox.calls == {"pods": 1, "metrics": 1}  # the repeat did not even read the cluster
    assert UsageSlot.objects.count() == 1 and billed_cpu_hours() == Decimal("0.75")


def test_the_next_slot_adds_to_the_same_day(kube, cluster, hopsworks_users):
    (alice,) = hopsworks_users("alice")
    kube.sandbox.pod_add("alice", "alice-a", cpu="1")
    collection_run_execute(cluster=cluster, slot=SLOT)
    kube.sandbox.clock_advance(900)
    collection_run_execute(cluster=cluster, slot=SLOT.replace(minute=15))
    row = UsageDaily.objects.get(user=alice)
    assert row.date == SLOT.date() and row.cpu_hours == Decimal("0.5")
    assert CollectionRun.objects.filter(status="succeeded").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_processes_collecting_the_same_slot_at_once_add_usage_once(kube, make_cluster, hopsworks_users):
    make_cluster("eu-1", kube)
    (alice,) = hopsworks_users("alice")
    kube.sandbox.pod_add("alice", "alice-a", cpu="2")
    # The metrics answer waits until both processes asked: both read the cluster before either writes.
    kube.sandbox.faults_set(metrics_barrier=2)
    command = [sys.executable, "manage.py", "collect_usage", "--cluster", "eu-1", "--slot", SLOT.isoformat()]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60)[0] for p in processes]

    assert [p.returncode for p in processes] == [0, 0], outputs
    assert kube.sandbox.calls["metrics"] == 2  # both really raced: both read the cluster
    assert sorted("already collected" in out for out in outputs) == [False, True], outputs
    assert CollectionRun.objects.get().status == "succeeded"
    assert cpu_hours(user=alice) == Decimal("0.5")
    assert UsageSlot.objects.count() == 1 and billed_cpu_hours() == Decimal("0.5")


def test_one_failing_cluster_of_three_is_filled_in_later_without_touching_the_others(
    kubernetes_sandbox_factory, make_cluster, hopsworks_users
):
    users = hopsworks_users("alice", "bob", "carol")
    sandboxes = {}
    for name, user in zip(("eu-1", "eu-2", "us-1"), users):
        sandboxes[name] = kubernetes_sandbox_factory(start=SLOT)
        sandboxes[name].sandbox.pod_add(user.hopsworks_username, f"{user.hopsworks_username}-a", cpu="1")
        make_cluster(name, sandboxes[name])
    sandboxes["eu-2"].sandbox.faults_set(metrics_errors=-1)

    outcomes = usage_collect(slot=SLOT)

    assert {name: o.outcome for name, o in outcomes.items()} == {"eu-1": "collected", "eu-2": "failed", "us-1": "collected"}
    assert "500" in outcomes["eu-2"].run.error
    assert [cpu_hours(user=u) for u in users] == [Decimal("0.25"), 0, Decimal("0.25")]

    sandboxes["eu-2"].sandbox.faults_clear()
    for kube in sandboxes.values():
        kube.sandbox.calls_reset()
    again = usage_collect(slot=SLOT)

    assert {name: o.outcome for name, o in again.items()} == {
        "eu-1": "already_collected", "eu-2": "collected", "us-1": "already_collected",
    }
    assert [cpu_hours(user=u) for u in users] == [Decimal("0.25")] * 3
    assert [k.sandbox.calls.total() for k in sandboxes.values()] == [0, 2, 0]
    refilled = CollectionRun.objects.get(cluster__name="eu-2")
    assert refilled.status == "succeeded" and refilled.attempts == 2 and refilled.error == ""
    assert UsageSlot.objects.count() == 3


def test_the_command_names_failed_clusters_and_exits_non_zero(kube, cluster, capsys):
    kube.sandbox.faults_set(pods_errors=-1)
    with pytest.raises(CommandError, match="1 of 1 cluster"):
        call_command("collect_usage", "--slot", "2026-11-10T09:07:00Z")
    assert "eu-1 2026-11-10 09:00Z: failed" in capsys.readouterr().out


def test_the_command_refuses_a_bad_slot_or_an_unknown_cluster_and_changes_nothing(cluster):
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("collect_usage", "--slot", "yesterday")
    with pytest.raises(CommandError, match="No cluster named nowhere"):
        call_command("collect_usage", "--cluster", "nowhere")
    assert CollectionRun.objects.count() == 0
