from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Price(models.Model):
    """The price of one unit of a resource from a date on; past prices are never edited."""

    class Resource(models.TextChoices):
        CPU_HOUR = "cpu_hour", "CPU hour"
        GPU_HOUR = "gpu_hour", "GPU hour"

    resource = models.CharField(max_length=16, choices=Resource.choices)
    unit_amount = models.DecimalField(max_digits=12, decimal_places=6)
    currency = models.CharField(max_length=3, default="usd")
    effective_from = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    # This price period in Stripe (`price_periods.py`): its own billing meter and metered price,
    # so the days it applies to are invoiced at its unit amount. Blank until created there.
    stripe_event_name = models.CharField(max_length=100, blank=True)
    stripe_meter_id = models.CharField(max_length=255, blank=True)
    stripe_price_id = models.CharField(max_length=255, blank=True)

    class Meta:
        db_table = "prices"
        ordering = ["resource", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "effective_from"], name="prices_one_per_resource_day"),
            models.CheckConstraint(condition=Q(unit_amount__gte=0), name="prices_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_resource_display()} ${self.unit_amount} from {self.effective_from}"


class Meter(models.TextChoices):
    """The Stripe billing meters: one per billed resource, summed per UTC day."""

    CPU_HOURS = "cpu_hours", "CPU hours"
    GPU_HOURS = "gpu_hours", "GPU hours"


class UsageSlot(models.Model):
    """A collection run whose usage billing has recorded; the unique id makes recording idempotent."""

    collection_run_id = models.CharField(max_length=64, unique=True)
    row_count = models.PositiveIntegerField(default=0)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "billing_usage_slots"

    def __str__(self):
        return f"usage slot of run {self.collection_run_id}"


class BillableUsage(models.Model):
    """Hours billed to an owner per day, per user (owner or member) and project.

    `postpaid_*` is the part not covered by prepaid credits: what the daily Stripe sync sends.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    project = models.CharField(max_length=255, blank=True, default="")
    cpu_hours = models.DecimalField(max_digits=18, decimal_places=6, default=Decimal("0"))
    gpu_hours = models.DecimalField(max_digits=18, decimal_places=6, default=Decimal("0"))
    memory_gb_hours = models.DecimalField(max_digits=18, decimal_places=6, default=Decimal("0"))
    postpaid_cpu_hours = models.DecimalField(max_digits=18, decimal_places=6, default=Decimal("0"))
    postpaid_gpu_hours = models.DecimalField(max_digits=18, decimal_places=6, default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "billable_usage_daily"
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "user", "day", "project"], name="billable_usage_one_per_key"
            ),
            models.CheckConstraint(
                condition=Q(cpu_hours__gte=0, gpu_hours__gte=0, memory_gb_hours__gte=0)
                & Q(postpaid_cpu_hours__gte=0, postpaid_gpu_hours__gte=0),
                name="billable_usage_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["day", "owner"], name="billable_usage_day_owner")]


class BillingAccount(models.Model):
    """Billing state of one account owner beyond the ids on the user row (card, dunning, credits)."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing_account"
    )
    payment_method_id = models.CharField(max_length=255, blank=True)
    card_brand = models.CharField(max_length=32, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_added_at = models.DateTimeField(null=True, blank=True)
    subscription_status = models.CharField(max_length=32, blank=True)
    payment_failed_at = models.DateTimeField(null=True, blank=True)
    payment_failed_invoice = models.CharField(max_length=255, blank=True)
    credits_exhausted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "billing_accounts"

    def __str__(self):
        return f"billing account of user {self.owner_id}"


class CreditLedgerEntry(models.Model):
    """One movement of prepaid credit in USD: top-ups and grants positive, usage debits negative."""

    class Reason(models.TextChoices):
        TOPUP = "topup", "Top-up"
        GRANT = "grant", "Granted"
        USAGE = "usage", "Usage"
        ADJUSTMENT = "adjustment", "Adjustment"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=6)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    reference = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "user_credits_ledger"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "reason", "reference"], name="credit_ledger_once_per_reference"
            ),
        ]
        indexes = [models.Index(fields=["owner", "created_at"], name="credit_ledger_owner_time")]

    def __str__(self):
        return f"{self.reason} {self.amount} for user {self.owner_id} ({self.reference})"


class MeterEventSync(models.Model):
    """One meter event per owner, day and meter: what was (or is to be) sent to Stripe.

    This record, not Stripe's ~24 h identifier window, is what keeps a day from being sent twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    meter = models.CharField(max_length=16, choices=Meter.choices)
    value = models.DecimalField(max_digits=18, decimal_places=6)
    identifier = models.CharField(max_length=100, unique=True)
    # A later, larger total for a sent day goes out again under a new identifier (`-r2`, ...);
    # the meter's daily window keeps Stripe's last event, so the correction replaces the first.
    revision = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "stripe_meter_syncs"
        constraints = [
            models.UniqueConstraint(fields=["owner", "day", "meter"], name="meter_sync_one_per_owner_day_meter"),
        ]
        indexes = [models.Index(fields=["day", "status"], name="meter_sync_day_status")]

    def __str__(self):
        return f"{self.identifier} {self.status}"


class StripeEvent(models.Model):
    """A verified Stripe webhook event, stored raw; the unique id makes processing happen once."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "stripe_events"

    def __str__(self):
        return f"{self.type} {self.event_id}"


class StripeCatalogObject(models.Model):
    """Stripe objects the app creates once (product, meters, prices), keyed by what they are for."""

    key = models.CharField(max_length=64, unique=True)
    stripe_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "stripe_catalog"

    def __str__(self):
        return f"{self.key} = {self.stripe_id}"


class SubscriptionPriceItem(models.Model):
    """An owner's Stripe subscription has an item for this price period (made once per pair)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    price = models.ForeignKey(Price, on_delete=models.PROTECT, related_name="+")
    stripe_subscription_id = models.CharField(max_length=255)
    stripe_item_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    # Removed from the Stripe subscription once the period's usage can no longer change and was
    # invoiced (`price_item_retirement.py`); the row stays: it says the item once was there.
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "stripe_subscription_price_items"
        constraints = [
            models.UniqueConstraint(fields=["stripe_subscription_id", "price"], name="subscription_item_once_per_price"),
        ]

    def __str__(self):
        return f"{self.stripe_item_id} ({self.stripe_subscription_id}, price {self.price_id})"
