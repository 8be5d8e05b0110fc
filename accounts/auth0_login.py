"""How Auth0 sign-in plugs into django-allauth's `openid_connect` provider (provider_id "auth0").

- `Auth0OAuth2Adapter`: allauth's OIDC adapter, but the ID token's signature is always checked
  against the JWKS (allauth skips it for tokens fetched from the token endpoint; we want a forged
  token refused whatever the path), and userinfo must describe the ID token's subject.
- `SocialAccountAdapter`: every login goes through `user_upsert_from_auth0`, keyed by `sub`, so
  the webhook and the first login meet in one user and email collisions never split or merge people.
"""

import logging

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base.constants import AuthError
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404
from django.shortcuts import render

from .auth0_client import auth0_claims
from .services import user_upsert_from_auth0

logger = logging.getLogger(__name__)


class Auth0OAuth2Adapter(OpenIDConnectOAuth2Adapter):
    def _decode_id_token(self, app, id_token):
        try:
            return jwtkit.verify_and_decode(
                credential=id_token,
                keys_url=self.openid_config["jwks_uri"],
                issuer=self.openid_config["issuer"],
                audience=app.client_id,
                lookup_kid=jwtkit.lookup_kid_jwk,
                verify_signature=True,
            )
        except KeyError as exc:  # no `kid` in the header
            raise OAuth2Error("Invalid id_token") from exc

    def complete_login(self, request, app, token, **kwargs):
        login = super().complete_login(request, app, token, **kwargs)
        data = login.account.extra_data
        id_sub = (data.get("id_token") or {}).get("sub")
        info_sub = (data.get("userinfo") or {}).get("sub")
        if not id_sub or (info_sub and info_sub != id_sub):
            raise OAuth2Error("userinfo and id_token describe different subjects")
        return login


def oidc_callback(request, provider_id):
    """allauth's OIDC callback view, with the strict adapter above."""
    try:
        return OAuth2CallbackView.adapter_view(Auth0OAuth2Adapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request, sociallogin):
        claims = auth0_claims(sociallogin.account.extra_data)
        user, created = user_upsert_from_auth0(
            sub=sociallogin.account.uid,
            email=claims.get("email") or "",
            name=claims.get("name") or "",
            email_verified=claims.get("email_verified"),
        )
        logger.info("Auth0 login of user %s (new: %s)", user.pk, created)
        if not sociallogin.is_existing:
            sociallogin.connect(request, user)
            return
        if sociallogin.account.user_id != user.pk:  # a stale link: the subject decides
            sociallogin.account.user = user
            sociallogin.account.save(update_fields=["user"])
        sociallogin.user = user

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        cancelled = error == AuthError.CANCELLED
        logger.warning("Auth0 sign-in failed: %s %s", error, exception.__class__.__name__ if exception else "")
        raise ImmediateHttpResponse(
            render(request, "accounts/login_error.html", {"cancelled": cancelled}, status=401)
        )
