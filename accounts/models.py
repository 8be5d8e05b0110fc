from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone


class UserManager(BaseUserManager):
    def create_user(self, auth0_sub, email, name="", **extra):
        user = self.model(auth0_sub=auth0_sub, email=self.normalize_email(email), name=name, **extra)
        user.set_unusable_password()
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A person who signs in through Auth0: an account owner, or a team member of one."""

    class BillingMode(models.TextChoices):
        POSTPAID = "postpaid", "Pay as you go"
        PREPAID = "prepaid", "Prepaid credits"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    auth0_sub = models.CharField("Auth0 subject", max_length=255, unique=True)
    email = models.EmailField(max_length=254, db_index=True)
    name = models.CharField(max_length=255, blank=True)
    email_verified = models.BooleanField(default=False)
    is_admin = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    account_owner = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="team_members"
    )
    hopsworks_username = models.CharField(max_length=255, blank=True, db_index=True)
    billing_mode = models.CharField(max_length=16, choices=BillingMode.choices, default=BillingMode.POSTPAID)
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True)
    card_on_file = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "auth0_sub"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        db_table = "users"
        constraints = [
            models.CheckConstraint(
                condition=~Q(account_owner=models.F("id")), name="users_not_own_account_owner"
            ),
            models.UniqueConstraint(
                fields=["hopsworks_username"],
                condition=~Q(hopsworks_username=""),
                name="users_unique_hopsworks_username",
            ),
        ]

    def __str__(self):
        return self.email or self.auth0_sub

    @property
    def is_owner(self):
        return self.account_owner_id is None

    @property
    def is_member(self):
        return self.account_owner_id is not None

    @property
    def is_suspended(self):
        return self.status == self.Status.SUSPENDED

    @property
    def billing_owner(self):
        """Whose bill this user's usage lands on."""
        return self.account_owner if self.account_owner_id else self

    @property
    def display_name(self):
        return self.name or self.email
