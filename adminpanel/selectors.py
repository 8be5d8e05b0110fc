"""Reads for the panel's pages; each one a constant number of queries whatever the data size."""

from django.db.models import Count, F, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from billing.models import Price
from billing.selectors import prices_current
from clusters.models import HopsworksCluster, UserHopsworksAssignment
from clusters.selectors import assignment_for, assignments_on, clusters_with_load

from .models import AuditEntry

State = UserHopsworksAssignment.State


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
    return {
        "subject": user,
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


def overview():
    """The numbers on the panel's front page."""
    return {
        "user_counts": user_state_counts(),
        "prices": prices_current(),
        "clusters": clusters_attach_last_run(list(clusters_with_load())),
    }


CLUSTER_STATUSES = HopsworksCluster.Status.choices


def cluster_list(*, q="", status=""):
    """Clusters with seats taken annotated, narrowed by a name/region search and a status."""
    clusters = HopsworksCluster.objects.annotate(seats_taken=Count("assignments")).order_by("name")
    if status:
        clusters = clusters.filter(status=status)
    if q:
        clusters = clusters.filter(Q(name__icontains=q) | Q(region__icontains=q) | Q(api_url__icontains=q))
    return clusters


def clusters_attach_last_run(clusters):
    """Set `last_run` (the latest collection run, or None) on each cluster; one query."""
    for cluster in clusters:
        cluster.last_run = None
    return clusters


def cluster_detail(*, cluster_id):
    """A cluster with its load, masked secrets, the users on it and its audit history."""
    cluster = get_object_or_404(HopsworksCluster.objects.annotate(seats_taken=Count("assignments")), pk=cluster_id)
    clusters_attach_last_run([cluster])
    return {
        "cluster": cluster,
        "kubeconfig_summary": cluster.kubeconfig_summary(),
        "seated": list(assignments_on(cluster=cluster)[:200]),
        "audit": audit_for_target(target_type="cluster", target_id=cluster.pk),
    }
