"""Reads for the users pages: search, filters, state counts, one user's detail."""

from django.db.models import Count, F, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from billing.statements import account_for, credits_for
from clusters.models import UserHopsworksAssignment
from clusters.selectors import assignment_for
from usage.selectors import usage_for_month, usage_users_for

from .audit import audit_for_target

State = UserHopsworksAssignment.State

_STATE = "hopsworks_assignment__state"
USER_FILTERS = {
    "owners": ("Owners", Q(account_owner__isnull=True)),
    "members": ("Members", Q(account_owner__isnull=False)),
    "waiting": ("Waiting (card or capacity)", Q(**{f"{_STATE}__in": UserHopsworksAssignment.WAITING_STATES}) | Q(hopsworks_assignment__isnull=True)),
    "waiting_for_card": ("Waiting for a card", Q(**{_STATE: State.WAITING_FOR_CARD}) | Q(hopsworks_assignment__isnull=True)),
    "waiting_for_capacity": ("Waiting for capacity", Q(**{_STATE: State.WAITING_FOR_CAPACITY})),
    "provisioning": ("Provisioning", Q(**{f"{_STATE}__in": [State.PENDING, State.PROVISIONING]})),
    "ready": ("Ready", Q(**{_STATE: State.READY})),
    "failed": ("Provisioning failed", Q(**{_STATE: State.FAILED})),
    "suspended": ("Suspended", Q(status="suspended")),
    "prepaid": ("Prepaid", Q(billing_mode="prepaid")),
    "admins": ("Admins", Q(is_admin=True)),
}


def user_list(*, q="", status_filter=""):
    """Users matching a search over email, name, Hopsworks username and Stripe customer, newest first."""
    users = (
        User.objects.select_related("account_owner")
        .annotate(assignment_state=F(_STATE), assignment_cluster=F("hopsworks_assignment__cluster__name"))
        .order_by("-date_joined", "-id")
    )
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
    assignment = assignment_for(user=user)
    owner = user.billing_owner
    return {
        "subject": user,
        "credits": credits_for(owner=owner),
        "billing_account": account_for(owner=owner),
        "usage": usage_for_month(users=usage_users_for(user=user), month=timezone.now().date()),
        "members": list(user.team_members.order_by("email")[:100]) if user.is_owner else [],
        "assignment": assignment,
        "queue_position": _queue_position(assignment),
        "audit": audit_for_target(target_type="user", target_id=user.pk),
    }


def _queue_position(assignment):
    if assignment is None or assignment.state != State.WAITING_FOR_CAPACITY or assignment.waiting_since is None:
        return None
    ahead = UserHopsworksAssignment.objects.filter(
        state=State.WAITING_FOR_CAPACITY, waiting_since__lt=assignment.waiting_since
    ).count()
    return ahead + 1


OVERVIEW_STATES = ["waiting_for_card", "waiting_for_capacity", "provisioning", "ready", "failed", "suspended"]


def user_state_counts():
    """How many users are in each state the overview shows, plus totals; one query."""
    counts = User.objects.aggregate(
        users=Count("id"),
        owners=Count("id", filter=USER_FILTERS["owners"][1]),
        members=Count("id", filter=USER_FILTERS["members"][1]),
        prepaid=Count("id", filter=USER_FILTERS["prepaid"][1]),
        **{key: Count("id", filter=USER_FILTERS[key][1]) for key in OVERVIEW_STATES},
    )
    counts["by_state"] = [(key, USER_FILTERS[key][0], counts[key]) for key in OVERVIEW_STATES]
    return counts
