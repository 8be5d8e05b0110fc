"""Billing page, `/api/billing`, the card and credit Checkout round trips, the Stripe webhook."""

import logging

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from teams.permissions import billing_access_required

from . import serializers, services, statements
from .customers import card_checkout_start, credits_checkout_start
from .forms import BillingModeForm, CreditsForm
from .stripe_client import StripeServiceError
from .webhooks import WebhookRejected, stripe_webhook_receive

logger = logging.getLogger(__name__)


def _overview(request):
    owner = request.user
    invoices, invoices_error = statements.invoices_for(owner=owner)
    return {
        "usage": statements.month_to_date(owner=owner),
        "credits": statements.credits_for(owner=owner),
        "account": statements.account_for(owner=owner),
        "invoices": invoices,
        "invoices_error": invoices_error,
    }


def _render_page(request, *, credits_form=None, status=200):
    context = _overview(request)
    context["credits_form"] = credits_form or CreditsForm()
    return render(request, "billing/billing.html", context, status=status)


@require_GET
@billing_access_required
def billing_page(request):
    return _render_page(request)


@require_GET
@billing_access_required
def billing_api(request):
    return JsonResponse(serializers.overview_json(_overview(request)))


@require_POST
@billing_access_required
def card_add(request):
    done = request.build_absolute_uri(reverse("billing:card_done")) + "?session_id={CHECKOUT_SESSION_ID}"
    return _to_checkout(request, card_checkout_start, success_url=done)


def _to_checkout(request, start, **kwargs):
    """Send the person to Stripe Checkout made by `start`; back to billing with a note if Stripe is down."""
    try:
        url = start(owner=request.user, cancel_url=request.build_absolute_uri(reverse("billing:page")), **kwargs)
    except StripeServiceError as exc:
        logger.warning("checkout for user %s failed: %s", request.user.pk, exc)
        messages.error(request, "We could not reach our payment provider. Please try again in a minute.")
        return redirect("billing:page")
    return redirect(url, permanent=False)


@require_GET
@billing_access_required
def card_done(request):
    # The card is marked on file by Stripe's webhook, not by this redirect (which anyone can fake).
    if request.user.card_on_file:
        messages.success(request, "Your card is on file.")
    else:
        messages.info(request, "Stripe is confirming your card; this page shows it as soon as it is done.")
    return redirect("billing:page")


@require_POST
@billing_access_required
def credits_buy(request):
    form = CreditsForm(request.POST)
    if not form.is_valid():
        return _render_page(request, credits_form=form, status=400)
    done = request.build_absolute_uri(reverse("billing:credits_done"))
    return _to_checkout(request, credits_checkout_start, success_url=done, amount=form.cleaned_data["amount"])


@require_GET
@billing_access_required
def credits_done(request):
    messages.success(request, "Thank you. Your credits appear here as soon as Stripe confirms the payment.")
    return redirect("billing:page")


@require_POST
@billing_access_required
def mode_change(request):
    form = BillingModeForm(request.POST)
    if not form.is_valid():  # only a hand-made request gets here: the page posts one of two values
        messages.error(request, form.errors["mode"][0])
        return _render_page(request, status=400)
    services.billing_mode_set(owner=request.user, mode=form.cleaned_data["mode"])
    messages.success(request, "Billing mode updated.")
    return redirect("billing:page")


@csrf_exempt
@require_POST
def stripe_webhook(request):
    try:
        outcome = stripe_webhook_receive(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    except WebhookRejected as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except StripeServiceError as exc:
        # Nothing was recorded: Stripe delivers the event again later.
        logger.warning("Stripe webhook could not be processed now: %s", exc)
        return JsonResponse({"error": "Temporarily unable to process this event."}, status=503)
    return HttpResponse(outcome, content_type="text/plain")
