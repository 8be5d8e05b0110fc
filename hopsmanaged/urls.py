from django.urls import include, path

from . import views

handler404 = "hopsmanaged.views.page_not_found"
handler500 = "hopsmanaged.views.server_error"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("teams.urls")),
    path("", include("clusters.urls")),
    path("", include("billing.urls")),
    path("", include("usage.urls")),
    path("admin47392/", include("adminpanel.urls")),
]
