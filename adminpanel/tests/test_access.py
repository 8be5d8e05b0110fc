"""Only database admins see the panel; everyone else gets the site's ordinary 404, for every URL."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

# Pages that only read: an admin's POST to them is refused with 405. Every other panel URL is an
# action: GET shows its form or confirmation, POST does it (302) or re-renders the form (400).
READ_ONLY = {
    "overview", "users", "user_detail", "prices", "audit_log", "clusters", "cluster_detail", "billing", "usage", "run_detail", "collect_progress",
}


def _walk(patterns):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            yield entry


def admin_patterns():
    _, resolver = get_resolver().namespace_dict["adminpanel"]
    return list(_walk(resolver.url_patterns))


def admin_url_names():
    return [p.name for p in admin_patterns()]


@pytest.fixture
def url_kwargs(alice, root, make_cluster):
    """A real object for every kind of id a panel URL takes."""
    from adminpanel.services import audit_record
    from billing.models import MeterEventSync
    from usage.models import CollectionRun

    cluster = make_cluster()
    now = timezone.now()
    run = CollectionRun.objects.create(cluster=cluster, slot_start=now, status="failed", started_at=now, finished_at=now)
    request = audit_record(admin=root, action="usage.collect_now", target_type="cluster", target_id=cluster.pk,
                           after={"slot": now.isoformat(), "clusters": [[cluster.pk, cluster.name]]})
    sync = MeterEventSync.objects.create(owner=alice, day=now.date(), meter="cpu_hours", value=1, identifier="x",
                                         status="failed")
    return {"user_id": alice.pk, "cluster_id": cluster.pk, "run_id": run.pk, "request_id": request.pk,
            "sync_id": sync.pk}


def admin_url(name, url_kwargs):
    pattern = next(p for p in admin_patterns() if p.name == name)
    wanted = list(pattern.pattern.converters)
    missing = [k for k in wanted if k not in url_kwargs]
    assert not missing, f"add a value for {missing} to the url_kwargs fixture"
    return reverse(f"adminpanel:{name}", kwargs={k: url_kwargs[k] for k in wanted})


def assert_ordinary_404(response):
    assert response.status_code == 404
    assert [t.name for t in response.templates][:1] == ["404.html"]
    assert "Page not found" in response.content.decode()


def test_every_admin_url_has_a_name_and_the_gate():
    patterns = admin_patterns()
    assert len(patterns) >= len(READ_ONLY)
    for pattern in patterns:
        assert pattern.name, f"unnamed admin URL {pattern.pattern}"
        assert getattr(pattern.callback, "admin_gate", False), f"{pattern.name} is not wrapped in admin_required"


@pytest.mark.parametrize("name", admin_url_names())
def test_admin_url_answers_404_to_anonymous_member_and_owner(name, url_kwargs, alice, bob, charlie):
    url = admin_url(name, url_kwargs)
    for user in (None, bob, alice, charlie):
        client = Client(enforce_csrf_checks=True)
        if user is not None:
            client.force_login(user)
        for method in (client.get, client.post):
            assert_ordinary_404(method(url))
            assert_ordinary_404(method(url.rstrip("/")))


@pytest.mark.parametrize("name", admin_url_names())
def test_admin_url_answers_an_admin(name, url_kwargs, admin_client_for):
    url = admin_url(name, url_kwargs)
    assert admin_client_for.get(url).status_code == 200
    posted = admin_client_for.post(url).status_code
    if name in READ_ONLY:
        assert posted == 405
    else:
        assert posted in (302, 400)


def test_admin_post_without_csrf_token_is_refused(root, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(root)
    response = client.post(reverse("adminpanel:user_suspend", args=[alice.pk]))
    assert response.status_code == 403
    alice.refresh_from_db()
    assert not alice.is_suspended


def test_flag_in_the_database_decides_not_the_session(client_for, make_user):
    operator = make_user("ops@example.com", is_admin=True)
    client = client_for(operator)
    assert client.get(reverse("adminpanel:overview")).status_code == 200
    type(operator).objects.filter(pk=operator.pk).update(is_admin=False)
    assert_ordinary_404(client.get(reverse("adminpanel:overview")))


def test_suspended_admin_sees_the_suspended_notice_not_the_panel(client_for, make_user):
    operator = make_user("ops@example.com", is_admin=True, status="suspended")
    client = client_for(operator)
    panel = client.get(reverse("adminpanel:overview"))
    elsewhere = client.get("/no-such-page/")
    assert panel.status_code == elsewhere.status_code != 200
    assert "Operator panel" not in panel.content.decode()


def test_admin_sees_the_panel_link_others_do_not(client_for, root, alice):
    assert "/admin47392/" in client_for(root).get(reverse("adminpanel:overview")).content.decode()
    assert 'href="/admin47392/"' not in client_for(alice).get("/").content.decode()


@pytest.mark.parametrize("name", ["users", "audit_log", "usage", "billing", "clusters"])
def test_a_nul_character_in_a_search_is_a_400_not_a_server_error(name, admin_client_for, url_kwargs):
    response = admin_client_for.get(admin_url(name, url_kwargs), {"q": "alice\x00", "status": "x\x00"})
    assert response.status_code == 400


def test_a_nul_character_sent_by_a_stranger_still_gets_the_ordinary_404(client_for, alice):
    assert_ordinary_404(client_for(alice).get(reverse("adminpanel:users"), {"q": "\x00"}))
