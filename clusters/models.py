import yaml
from django.conf import settings
from django.db import models
from django.db.models import Q

from .encryption import secret_decrypt, secret_encrypt, secret_mask


class HopsworksCluster(models.Model):
    """A shared Hopsworks cluster users are given accounts on; its secrets are encrypted at rest."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        MAINTENANCE = "maintenance", "Maintenance"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=100, unique=True)
    api_url = models.URLField("Hopsworks API URL", max_length=500)
    api_key_encrypted = models.TextField(blank=True, editable=False)
    kubeconfig_encrypted = models.TextField(blank=True, editable=False)
    max_users = models.PositiveIntegerField(default=50)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    region = models.CharField(max_length=64, blank=True)
    # The pod label naming a pod's owner (Hopsworks username); it differs between Hopsworks versions.
    owner_label_key = models.CharField(max_length=253, default="owner")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "hopsworks_clusters"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="hopsworks_clusters_name_not_empty"),
            models.CheckConstraint(condition=~Q(owner_label_key=""), name="hopsworks_clusters_label_not_empty"),
        ]

    def __str__(self):
        return self.name

    # -- secrets: plaintext only in memory, ciphertext in the row

    @property
    def api_key(self):
        """The decrypted Hopsworks admin API key ("" when none is set)."""
        return secret_decrypt(self.api_key_encrypted)

    @api_key.setter
    def api_key(self, value):
        self.api_key_encrypted = secret_encrypt(value or "")

    @property
    def kubeconfig(self):
        """The decrypted kubeconfig YAML text ("" when none is set)."""
        return secret_decrypt(self.kubeconfig_encrypted)

    @kubeconfig.setter
    def kubeconfig(self, value):
        self.kubeconfig_encrypted = secret_encrypt(value or "")

    def kubeconfig_dict(self):
        """The kubeconfig as a dict (what kubernetes.config.load_kube_config_from_dict takes), or None."""
        text = self.kubeconfig
        if not text:
            return None
        return yaml.safe_load(text)

    @property
    def has_kubeconfig(self):
        return bool(self.kubeconfig_encrypted)

    @property
    def api_key_masked(self):
        return secret_mask(self.api_key)

    def kubeconfig_summary(self):
        """What an admin may see of the kubeconfig: context, server and a masked credential."""
        from .kubeconfigs import kubeconfig_describe

        config = self.kubeconfig_dict()
        return kubeconfig_describe(config) if config else None

    @property
    def hopsworks_url(self):
        """Where a user opens Hopsworks in the browser."""
        return self.api_url.rstrip("/") + "/"

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE


class UserHopsworksAssignment(models.Model):
    """Which cluster a user works on, and how far the creation of their Hopsworks account got."""

    class State(models.TextChoices):
        WAITING_FOR_CARD = "waiting_for_card", "Waiting for a card"
        WAITING_FOR_CAPACITY = "waiting_for_capacity", "Waiting for capacity"
        PENDING = "pending", "Pending"
        PROVISIONING = "provisioning", "Provisioning"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    WAITING_STATES = (State.WAITING_FOR_CARD, State.WAITING_FOR_CAPACITY)
    SEATED_STATES = (State.PENDING, State.PROVISIONING, State.READY, State.FAILED)

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hopsworks_assignment"
    )
    cluster = models.ForeignKey(
        HopsworksCluster, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    state = models.CharField(max_length=24, choices=State.choices, default=State.WAITING_FOR_CARD)
    last_error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # When provisioning was last sent to the worker or started, and by when a retry Celery holds is
    # due: the stale-provisioning sweep resends only what neither has seen for a while.
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    retry_due_by = models.DateTimeField(null=True, blank=True)
    # Place in the capacity queue: oldest first.
    waiting_since = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "user_hopsworks_assignments"
        indexes = [models.Index(fields=["state", "waiting_since"], name="assignments_queue_idx")]
        constraints = [
            # A seat on a cluster exactly when the user is past the waiting states.
            models.CheckConstraint(
                condition=(
                    Q(cluster__isnull=True, state__in=["waiting_for_card", "waiting_for_capacity"])
                    | Q(cluster__isnull=False, state__in=["pending", "provisioning", "ready", "failed"])
                ),
                name="assignments_cluster_matches_state",
            ),
        ]

    def __str__(self):
        return f"{self.user_id} → {self.cluster_id or '-'} ({self.state})"

    @property
    def is_seated(self):
        return self.cluster_id is not None
