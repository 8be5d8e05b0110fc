from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class TeamInvite(models.Model):
    """An owner's invitation of an email address to their team; only the token's hash is kept."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_invites")
    # Stored lower-cased: addresses are compared case-insensitively everywhere.
    email = models.EmailField(max_length=254)
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    send_count = models.PositiveIntegerField(default=1)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When the member proved the invited address is theirs (opened this invite's link while signed
    # in with it, or Auth0 said `email_verified`); until then they get no seat (teams.membership).
    confirmed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "team_invites"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["email", "status"], name="team_invites_email_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "email"],
                condition=Q(status="pending"),
                name="team_invites_one_pending_per_owner_email",
            ),
            models.CheckConstraint(condition=Q(email=models.functions.Lower("email")), name="team_invites_email_lower"),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(accepted_at__isnull=False),
                name="team_invites_accepted_has_time",
            ),
        ]

    def __str__(self):
        return f"invite {self.pk} {self.email} to {self.owner_id} ({self.status})"

    @property
    def is_expired(self):
        return self.status == self.Status.PENDING and self.expires_at <= timezone.now()

    @property
    def is_usable(self):
        return self.status == self.Status.PENDING and not self.is_expired


class TeamDeparture(models.Model):
    """A member left or was removed from a team; they are told once, on their next visit."""

    class Reason(models.TextChoices):
        REMOVED = "removed", "Removed by the owner"
        LEFT = "left", "Left the team"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_departures")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    joined_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "team_departures"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user"], condition=Q(notified_at__isnull=True), name="team_departures_unnotified"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.reason} team of {self.owner_id}"
