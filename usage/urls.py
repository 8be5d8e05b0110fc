from django.urls import path

from . import views

app_name = "usage"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("api/usage", views.api_usage, name="api_usage"),
]
