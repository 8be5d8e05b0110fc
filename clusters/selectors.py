"""Reads for clusters: the instance card and /api/instance, clusters with their load, the queue."""

from django.db.models import Count

from .models import HopsworksCluster, UserHopsworksAssignment

State = UserHopsworksAssignment.State

EXPLANATIONS = {
    "waiting_for_card": ("Waiting for a card", "As soon as your card is on file we create your Hopsworks account."),
    "waiting_for_capacity": ("Waiting for capacity", "Every cluster is full right now. You are in the queue and get a seat as soon as one frees up."),
    "pending": ("Creating your Hopsworks account", "You have a seat on a cluster; your Hopsworks account is being created."),
    "provisioning": ("Creating your Hopsworks account", "Your Hopsworks account is being created. This usually takes a few seconds."),
    "ready": ("Ready", "Your Hopsworks account is ready. Open Hopsworks and sign in with the same login."),
    "failed": ("Failed — we are on it", "Creating your Hopsworks account failed. Our team has been told and is on it; nothing for you to do."),
}
MEMBER_WAITING_FOR_CARD = "Your account owner has not added a payment method yet; your Hopsworks account is created once they do."
# A member with no assignment at all: teams asks for their seat only once the invited address is
# proven (teams.membership.member_confirm), so nothing was asked yet.
AWAITING_CONFIRMATION = "awaiting_confirmation"
MEMBER_CONFIRM_ADDRESS = (
    "Confirm your email address: open the invitation link we sent to {email}, or verify your address "
    "with your sign-in provider and sign in again. Your Hopsworks account is created once it is confirmed."
)


def instance_for(*, user):
    """The caller's instance: cluster (name, region), Hopsworks URL and username, state and its
    explanation. Members see their owner's cluster. Two queries at most."""
    assignment = (
        UserHopsworksAssignment.objects.select_related("cluster").filter(user_id=user.pk).first()
    )
    state = assignment.state if assignment else State.WAITING_FOR_CARD
    cluster = assignment.cluster if assignment else None
    if cluster is None and user.account_owner_id:
        owner_seat = (
            UserHopsworksAssignment.objects.select_related("cluster")
            .filter(user_id=user.account_owner_id, cluster__isnull=False).first()
        )
        cluster = owner_seat.cluster if owner_seat else None
    label, explanation = EXPLANATIONS[state]
    if state == State.WAITING_FOR_CARD and user.account_owner_id:
        explanation = MEMBER_WAITING_FOR_CARD
    if assignment is None and user.account_owner_id:
        # Not proven to be the invited person yet: nothing about the owner's cluster either.
        state, label, cluster = AWAITING_CONFIRMATION, "Confirm your email address", None
        explanation = MEMBER_CONFIRM_ADDRESS.format(email=user.email)
    ready = state == State.READY
    return {
        "state": state,
        "state_label": label,
        "explanation": explanation,
        "cluster": {"name": cluster.name, "region": cluster.region} if cluster else None,
        "hopsworks_url": cluster.hopsworks_url if cluster and ready else None,
        "hopsworks_username": user.hopsworks_username if ready else None,
        "settled": state in (State.READY, State.FAILED, State.WAITING_FOR_CARD, AWAITING_CONFIRMATION),
        "is_member": bool(user.account_owner_id),
    }


def clusters_with_load():
    """Every cluster with `seats_taken` (users seated) and `seats_free` annotated; one query."""
    clusters = HopsworksCluster.objects.annotate(seats_taken=Count("assignments")).order_by("name")
    for cluster in clusters:
        cluster.seats_free = max(cluster.max_users - cluster.seats_taken, 0)
    return clusters


def capacity_queue():
    """Users waiting for a seat, oldest first (what admins see as the queue)."""
    return (
        UserHopsworksAssignment.objects.filter(state=State.WAITING_FOR_CAPACITY)
        .select_related("user", "user__account_owner")
        .order_by("waiting_since", "id")
    )


def assignments_on(*, cluster):
    """The users seated on a cluster with their provisioning state."""
    return (
        UserHopsworksAssignment.objects.filter(cluster=cluster)
        .select_related("user")
        .order_by("assigned_at", "id")
    )


def assignment_for(*, user):
    """The user's assignment row (admin detail page: state, attempts, last error) or None."""
    return UserHopsworksAssignment.objects.select_related("cluster").filter(user_id=user.pk).first()


def provisioning_failures():
    """Seated users whose Hopsworks account could not be created, newest first."""
    return (
        UserHopsworksAssignment.objects.filter(state=State.FAILED)
        .select_related("user", "cluster")
        .order_by("-updated_at")
    )


def seats_taken_on(*, cluster):
    """How many users sit on the cluster now."""
    return UserHopsworksAssignment.objects.filter(cluster=cluster).count()
