"""Markup in what users, Kubernetes and operators name things (a person's name from Auth0, a project
namespace, a cluster name, a collection error, a credit grant's reason) is shown as text on every
page that shows it, never run as HTML."""

import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

NAME = '<script>alert("name")</script>'
NAMESPACE = '<img src=x onerror=alert("namespace")>'
CLUSTER = '<svg onload=alert("cluster")>'
ERROR = '<iframe src="javascript:alert(\'error\')">'
REASON = '"><script>alert("reason")</script>'
PAYLOADS = {"name": NAME, "namespace": NAMESPACE, "cluster": CLUSTER, "error": ERROR, "reason": REASON}


@pytest.fixture
def marked(world):
    """Alice's world with markup in every name a page shows, each set through its own way in."""
    from accounts.services import user_upsert_from_auth0
    from adminpanel.services import user_credits_grant
    from clusters.models import HopsworksCluster
    from usage.models import CollectionRun, UsageDaily

    user_upsert_from_auth0(sub=world.bob.auth0_sub, email=world.bob.email, name=NAME)  # Auth0 says so
    HopsworksCluster.objects.filter(pk=world.cluster.pk).update(name=CLUSTER)  # an operator typed it
    UsageDaily.objects.create(user=world.alice, cluster=world.cluster, date=timezone.now().date(), namespace=NAMESPACE,
                              cpu_hours=Decimal("3"), gpu_hours=Decimal("0"), memory_gb_hours=Decimal("1"))
    UsageDaily.objects.create(user=world.bob, cluster=world.cluster, date=timezone.now().date(), namespace=NAMESPACE,
                              cpu_hours=Decimal("2"), gpu_hours=Decimal("0"), memory_gb_hours=Decimal("1"))
    CollectionRun.objects.filter(pk=world.run.pk).update(error=ERROR)  # what Kubernetes answered
    user_credits_grant(admin=world.root, user=world.alice, amount=Decimal("5"), reason=REASON, grant_key=uuid.uuid4())
    return world


PAGES = {
    ("owner", "/dashboard/"): ["namespace", "cluster", "name"],
    ("owner", "/team/"): ["name"],
    ("owner", "/team/members/{bob}/remove/"): ["name"],
    ("owner", "/billing/"): [],
    ("owner", "/instance/card"): ["cluster"],
    ("member", "/dashboard/"): ["namespace", "cluster"],
    ("member", "/profile/"): ["name"],
    ("admin", "/admin47392/users/"): ["name"],
    ("admin", "/admin47392/users/{bob}/"): ["name", "cluster"],
    ("admin", "/admin47392/users/{alice}/"): ["cluster"],
    ("admin", "/admin47392/users/{bob}/suspend/"): [],
    ("admin", "/admin47392/clusters/"): ["cluster"],
    ("admin", "/admin47392/clusters/{cluster}/"): ["cluster"],
    ("admin", "/admin47392/clusters/{cluster}/edit/"): ["cluster"],
    ("admin", "/admin47392/usage/"): ["cluster", "error"],
    ("admin", "/admin47392/usage/runs/{run}/"): ["cluster", "error"],
    ("admin", "/admin47392/audit/"): ["reason"],
}


@pytest.mark.parametrize("role, path", PAGES)
def test_markup_in_names_is_shown_as_text(role, path, marked):
    user = {"owner": marked.alice, "member": marked.bob, "admin": marked.root}[role]
    client = Client()
    client.force_login(user)
    url = path.format(bob=marked.bob.pk, alice=marked.alice.pk, cluster=marked.cluster.pk, run=marked.run.pk)
    body = client.get(url).content.decode()
    assert [kind for kind, payload in PAYLOADS.items() if payload in body] == []
    assert [kind for kind in PAGES[role, path] if escape(PAYLOADS[kind]) not in body] == [], "shown escaped"


@pytest.mark.parametrize("path", ["/api/usage", "/api/instance", "/api/billing"])
def test_json_carrying_markup_is_never_sniffed_as_html(path, marked):
    client = Client()
    client.force_login(marked.alice)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
