from django.urls import include, path
from django.views.generic import RedirectView

from accounts.auth0_login import oidc_callback

from . import views

handler404 = "hopsmanaged.views.page_not_found"
handler500 = "hopsmanaged.views.server_error"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    # allauth's OIDC callback, with the ID token signature always checked (accounts/auth0_login.py).
    path("accounts/oidc/<str:provider_id>/login/callback/", oidc_callback, name="auth0_callback"),
    # allauth's own account pages, shadowed: sign-in and sign-out are ours (they also end the Auth0
    # session), and nobody may unlink their Auth0 identity. The names still reverse for allauth.
    path("accounts/login/", RedirectView.as_view(
        pattern_name="accounts:login", query_string=True, http_method_names=["get", "head"])),
    path("accounts/logout/", views.not_here),
    path("accounts/3rdparty/", views.not_here),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("teams.urls")),
    path("", include("clusters.urls")),
    path("", include("billing.urls")),
    path("", include("usage.urls")),
    path("admin47392/", include("adminpanel.urls")),
]
