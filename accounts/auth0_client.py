"""The one place that talks to Auth0 outside allauth's login flow: userinfo and the logout URL.

Auth0's paths (`/userinfo`, `/v2/logout`) under `AUTH0_ISSUER_BASE_URL`; the sandbox serves the same.
"""

from urllib.parse import urlencode

import requests
from django.conf import settings

TIMEOUT_SECONDS = 10


class Auth0Error(Exception):
    """Auth0 could not be reached or refused the call; the message says what to do."""


class Auth0TokenRejected(Auth0Error):
    """The access token is expired or revoked: the person has to sign in again."""


def _base():
    return settings.AUTH0_ISSUER_BASE_URL.rstrip("/")


def auth0_claims(extra_data):
    """An allauth SocialAccount's `extra_data` as one dict: ID token claims, then userinfo."""
    return {**(extra_data.get("id_token") or {}), **(extra_data.get("userinfo") or {})}


def logout_url(*, return_to):
    """Auth0's logout endpoint: ends the Auth0 session, then sends the browser to `return_to`."""
    query = urlencode({"returnTo": return_to, "client_id": settings.AUTH0_CLIENT_ID})
    return f"{_base()}/v2/logout?{query}"


def userinfo_fetch(*, access_token):
    """The person's current Auth0 profile (`sub`, `email`, `email_verified`, `name`, ...)."""
    try:
        resp = requests.get(
            f"{_base()}/userinfo",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as exc:
        raise Auth0Error(f"Auth0 could not be reached ({exc.__class__.__name__}); try again later.") from exc
    if resp.status_code == 401:
        raise Auth0TokenRejected("Auth0 no longer accepts this sign-in; sign in again.")
    if resp.status_code != 200:
        raise Auth0Error(f"Auth0 answered {resp.status_code} to the profile request; try again later.")
    try:
        profile = resp.json()
    except ValueError as exc:
        raise Auth0Error("Auth0 answered the profile request with something that is not JSON.") from exc
    if not isinstance(profile, dict) or not profile.get("sub"):
        raise Auth0Error("Auth0's profile answer has no subject.")
    return profile
