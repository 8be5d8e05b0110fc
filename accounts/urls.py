from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("api/auth/sync-user", views.sync_user, name="sync_user"),
    path("api/webhooks/auth0", views.auth0_webhook, name="auth0_webhook"),
]
