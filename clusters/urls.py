from django.urls import path

from . import views

app_name = "clusters"

urlpatterns = [
    path("api/instance", views.api_instance, name="api_instance"),
    path("instance/card", views.instance_card, name="instance_card"),
]
