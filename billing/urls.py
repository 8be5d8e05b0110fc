from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("billing/", views.billing_page, name="page"),
    path("billing/card/", views.card_add, name="card_add"),
    path("billing/card/done/", views.card_done, name="card_done"),
    path("billing/credits/", views.credits_buy, name="credits_buy"),
    path("billing/credits/done/", views.credits_done, name="credits_done"),
    path("billing/mode/", views.mode_change, name="mode_change"),
    path("api/billing", views.billing_api, name="api"),
    path("api/webhooks/stripe", views.stripe_webhook, name="stripe_webhook"),
]
