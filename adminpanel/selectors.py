"""Reads for the panel's pages; each one a constant number of queries whatever the data size."""

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from billing.models import Price
from billing.selectors import prices_current

from .models import AuditEntry


def audit_entries(*, q="", action=""):
    """Audit entries, newest first, optionally narrowed to an action and a search over target/admin."""
    entries = AuditEntry.objects.select_related("admin")
    if action:
        entries = entries.filter(action=action)
    if q:
        entries = entries.filter(
            Q(target_label__icontains=q) | Q(target_id=q) | Q(admin__email__icontains=q) | Q(action__icontains=q)
        )
    return entries


def audit_actions():
    """The distinct action names recorded so far, for the filter menu."""
    return list(AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct())


def audit_for_target(*, target_type, target_id, limit=20):
    """The latest audit entries about one object (shown on its detail page)."""
    return list(
        AuditEntry.objects.filter(target_type=target_type, target_id=str(target_id)).select_related("admin")[:limit]
    )


USER_FILTERS = {
    "owners": ("Owners", Q(account_owner__isnull=True)),
    "members": ("Members", Q(account_owner__isnull=False)),
    "suspended": ("Suspended", Q(status="suspended")),
    "prepaid": ("Prepaid", Q(billing_mode="prepaid")),
    "admins": ("Admins", Q(is_admin=True)),
}


def user_list(*, q="", status_filter=""):
    """Users matching a search over email, name, Hopsworks username and Stripe customer, newest first."""
    users = User.objects.select_related("account_owner").order_by("-date_joined", "-id")
    if status_filter in USER_FILTERS:
        users = users.filter(USER_FILTERS[status_filter][1])
    if q:
        users = users.filter(
            Q(email__icontains=q) | Q(name__icontains=q) | Q(hopsworks_username__icontains=q)
            | Q(stripe_customer_id__icontains=q) | Q(auth0_sub=q)
        )
    return users


def user_filter_choices():
    return [(key, label) for key, (label, _) in USER_FILTERS.items()]


def user_detail(*, user_id):
    """Everything the user page shows about one user (404 when there is no such user)."""
    user = get_object_or_404(User.objects.select_related("account_owner"), pk=user_id)
    return {
        "subject": user,
        "members": list(user.team_members.order_by("email")[:100]) if user.is_owner else [],
        "audit": audit_for_target(target_type="user", target_id=user.pk),
    }


def price_rows(*, today=None):
    """Every price with whether it is past, current or scheduled (the current one per resource)."""
    today = today or timezone.now().date()
    current_ids = {price.pk for price in prices_current(on=today)}
    rows = []
    for price in Price.objects.order_by("resource", "-effective_from"):
        if price.pk in current_ids:
            state = "current"
        elif price.effective_from > today:
            state = "scheduled"
        else:
            state = "past"
        rows.append({"price": price, "state": state})
    return rows


def overview():
    """The numbers on the panel's front page."""
    counts = User.objects.aggregate(
        users=Count("id"),
        owners=Count("id", filter=Q(account_owner__isnull=True)),
        members=Count("id", filter=Q(account_owner__isnull=False)),
        suspended=Count("id", filter=Q(status=User.Status.SUSPENDED)),
        prepaid=Count("id", filter=Q(billing_mode=User.BillingMode.PREPAID)),
    )
    return {"user_counts": counts, "prices": prices_current()}
