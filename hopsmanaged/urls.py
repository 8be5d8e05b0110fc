from django.urls import include, path

from accounts.auth0_login import oidc_callback

from . import views

handler404 = "hopsmanaged.views.page_not_found"
handler500 = "hopsmanaged.views.server_error"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    # allauth's OIDC callback, with the ID token signature always checked (accounts/auth0_login.py).
    path("accounts/oidc/<str:provider_id>/login/callback/", oidc_callback, name="auth0_callback"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("teams.urls")),
    path("", include("clusters.urls")),
    path("", include("billing.urls")),
    path("", include("usage.urls")),
    path("admin47392/", include("adminpanel.urls")),
]
