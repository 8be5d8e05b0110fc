"""Celery tasks: each calls one billing service and nothing else."""

from celery import shared_task
from django.contrib.auth import get_user_model

from .customers import stripe_customer_ensure
from .meter_sync import stripe_usage_sync
from .price_periods import stripe_prices_follow
from .stripe_client import StripeServiceError


@shared_task(acks_late=True)
def sync_stripe_usage_daily():
    """Beat, daily: yesterday's postpaid usage (and any unsent day) to Stripe meter events."""
    return str(stripe_usage_sync())


@shared_task(autoretry_for=(StripeServiceError,), retry_backoff=30, retry_backoff_max=3600, max_retries=12)
def stripe_customer_create(user_id):
    """A new owner's Stripe customer and subscription, when doing it at sign-up failed."""
    owner = get_user_model().objects.filter(pk=user_id).first()
    if owner is not None:
        stripe_customer_ensure(owner=owner)


@shared_task(autoretry_for=(StripeServiceError,), retry_backoff=30, retry_backoff_max=3600, max_retries=12)
def stripe_price_period_create(price_id):
    """A new price: its Stripe meter and price, added to every owner's subscription (the daily sync
    checks again). Raises on errors so Celery retries with backoff."""
    report = stripe_prices_follow(price_id=price_id)
    if report.errors:
        raise StripeServiceError("; ".join(report.errors)[:2000], retryable=True)
    return str(report)
