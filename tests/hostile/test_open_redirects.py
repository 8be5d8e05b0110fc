"""`next` parameters that point elsewhere (another site, a scheme-relative or backslash trick, a
javascript: URL) never send the browser off the site, signed in or not."""

from urllib.parse import unquote, urlsplit

import pytest
from django.test import Client

EVIL = [
    "https://evil.example/phish",
    "//evil.example/phish",
    "/\\evil.example/phish",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(document.cookie)",
    "/\t/evil.example",  # browsers drop tabs: //evil.example
    "http://testserver@evil.example/",
]


def _stays_here(location):
    parts = urlsplit(location)
    decoded = unquote(location)
    return "evil.example" not in parts.netloc and not decoded.lower().startswith(("javascript:", "//", "/\\"))


def _follow_to_idp(client, url):
    """The redirect chain inside the site (sign-in goes on to the IdP, where it stops)."""
    locations = []
    response = client.get(url)
    while response.status_code in (301, 302) and len(locations) < 5:
        locations.append(response["Location"])
        if not response["Location"].startswith("/"):
            break
        response = client.get(response["Location"])
    return locations


@pytest.mark.parametrize("target", EVIL)
def test_sign_in_never_redirects_off_the_site_when_signed_in(target, alice):
    client = Client()
    client.force_login(alice)
    response = client.get("/login/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"


@pytest.mark.parametrize("target", EVIL)
def test_sign_in_drops_a_foreign_next_before_going_to_auth0(target, db, auth0_sandbox):
    locations = _follow_to_idp(Client(), f"/login/?next={target}")
    assert locations, "sign-in should redirect"
    idp = [loc for loc in locations if loc.startswith(auth0_sandbox.url)]
    assert idp, locations
    assert all(_stays_here(loc) for loc in locations if not loc.startswith(auth0_sandbox.url)), locations
    assert "evil.example" not in unquote(idp[0]) and "javascript" not in unquote(idp[0])
