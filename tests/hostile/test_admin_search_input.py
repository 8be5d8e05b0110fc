"""SQL meta-characters, markup and junk in the operator panel's searches, filters, page numbers and
ids: taken literally (no injection, no 500), echoed escaped, nothing changed; a NUL is a 400."""

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

LISTS = ["users", "clusters", "audit", "billing", "usage"]
SQL = {
    "a quote and OR 1=1": "' OR 1=1 --",
    "a stacked DROP": "'; DROP TABLE users; --",
    "a double-quoted OR": '") OR ("1"="1',
    "a UNION": "' UNION SELECT auth0_sub, email FROM users --",
    "a LIKE wildcard %": "%",
    "a LIKE wildcard _": "_",
    "two percent signs": "%%",
    "a backslash": "\\",
    "an escaped wildcard": "\\%",
    "a comment opener": "/*",
    "a semicolon": ";",
    "a PostgreSQL cast": "1::int; SELECT pg_sleep(5)",
}


@pytest.fixture
def panel(alice, bob, charlie, root):
    """A few rows in every list the panel searches, and an admin's client."""
    from adminpanel.services import audit_record
    from clusters.models import HopsworksCluster
    from usage.models import CollectionRun

    cluster = HopsworksCluster.objects.create(name="search-eu-1", api_url="https://eu.example.com", max_users=5,
                                              region="eu-north-1")
    now = timezone.now()
    CollectionRun.objects.create(cluster=cluster, slot_start=now, status="failed", started_at=now, finished_at=now,
                                 error="connection refused")
    audit_record(admin=root, action="user.suspend", target_type="user", target_id=alice.pk, target_label=alice.email)
    client = Client(raise_request_exception=False)
    client.force_login(root)
    return client


def listed_emails(response):
    return sorted(row.email for row in response.context["rows"])


@pytest.mark.parametrize("case", SQL)
def test_user_search_takes_sql_literally(case, panel, unchanged):
    with unchanged():
        response = panel.get("/admin47392/users/", {"q": SQL[case]})
    assert response.status_code == 200
    assert listed_emails(response) == []
    assert f'value="{escape(SQL[case])}"' in response.content.decode()


def test_user_search_still_finds_by_part_of_an_address_in_any_case(panel):
    assert listed_emails(panel.get("/admin47392/users/", {"q": "ALICE@EXAMPLE"})) == ["alice@example.com"]
    assert len(listed_emails(panel.get("/admin47392/users/", {"q": ""}))) == 4


@pytest.mark.parametrize("page", LISTS)
@pytest.mark.parametrize("case", ["a quote and OR 1=1", "a LIKE wildcard %", "a backslash"])
def test_every_panel_search_takes_sql_literally(page, case, panel, unchanged):
    with unchanged():
        response = panel.get(f"/admin47392/{page}/", {"q": SQL[case]})
    assert response.status_code == 200
    assert len(response.context["rows"]) == 0


@pytest.mark.parametrize("page", LISTS)
def test_markup_in_a_search_is_echoed_escaped(page, panel):
    body = panel.get(f"/admin47392/{page}/", {"q": '"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


@pytest.mark.parametrize("page", LISTS)
@pytest.mark.parametrize("text", ["Ω≈ç√∫ ünïcödé", "🚀" * 50, "x" * 5000])
def test_unicode_and_long_searches_are_answered(page, text, panel):
    response = panel.get(f"/admin47392/{page}/", {"q": text})
    assert response.status_code == 200
    assert len(response.context["rows"]) == 0


NUL_PARAMS = [("users", "q"), ("users", "filter"), ("clusters", "q"), ("clusters", "status"), ("audit", "q"),
              ("audit", "action"), ("billing", "q"), ("billing", "status"), ("usage", "q"), ("usage", "status")]


@pytest.mark.parametrize("page, param", NUL_PARAMS)
def test_a_nul_character_in_a_search_or_filter_is_a_400_page(page, param, panel, unchanged):
    with unchanged():
        response = panel.get(f"/admin47392/{page}/", {param: "alice\x00"})
    assert response.status_code == 400
    assert "too large or malformed" in response.content.decode()


def test_a_nul_character_is_still_a_404_for_non_admins(alice, panel):
    client = Client()
    client.force_login(alice)
    assert client.get("/admin47392/users/", {"q": "\x00"}).status_code == 404


JUNK = {
    "a negative page": ("users", {"page": "-1"}),
    "a page in letters": ("users", {"page": "abc"}),
    "a page past bigint": ("users", {"page": "9" * 30}),
    "a page as an exponent": ("audit", {"page": "1e3"}),
    "an unknown user filter": ("users", {"filter": "admins' --"}),
    "an unknown cluster status": ("clusters", {"status": "gone"}),
    "an unknown sync status": ("billing", {"status": "' OR 1=1"}),
    "30 February": ("billing", {"day": "2026-02-30"}),
    "a day that is SQL": ("usage", {"day": "2026-01-01' OR '1'='1"}),
    "a cluster id past bigint": ("usage", {"cluster": "9" * 30}),
    "a cluster id in Arabic digits": ("usage", {"cluster": "\u0663"}),
    "an unknown run status": ("usage", {"status": "running"}),
    "an unknown audit action": ("audit", {"action": "<b>x</b>"}),
}


@pytest.mark.parametrize("case", JUNK)
def test_junk_in_filters_and_page_numbers_shows_the_list(case, panel, unchanged):
    page, params = JUNK[case]
    with unchanged():
        response = panel.get(f"/admin47392/{page}/", params)
    assert response.status_code == 200


@pytest.mark.parametrize("method, path", [
    ("get", "users/{big}/"), ("get", "clusters/{big}/"), ("get", "usage/runs/{big}/"), ("get", "usage/collect/{big}/"),
    ("post", "users/{big}/suspend/"), ("post", "users/{big}/credits/"), ("post", "clusters/{big}/edit/"),
    ("post", "clusters/{big}/test/"),
])
def test_ids_past_bigint_in_panel_urls_are_404(method, path, panel, unchanged):
    with unchanged():
        response = getattr(panel, method)("/admin47392/" + path.format(big="9" * 30))
    assert response.status_code == 404
