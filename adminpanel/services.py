"""Writes done from the panel. Every action is one transaction that also writes one audit entry.

Actions on other apps' data call those apps' services; only the User flags that accounts
offers no service for (admin, suspended) are set here.
"""

from django.db import IntegrityError, transaction

from accounts.models import User
from billing.models import Price

from .models import AuditEntry


class ActionRefused(Exception):
    """An action the panel will not do (e.g. an admin suspending themselves); the message says why."""


def audit_record(*, admin, action, target_type, target_id="", target_label="", before=None, after=None):
    """Write the audit entry of one panel action; call it inside the action's transaction."""
    return AuditEntry.objects.create(
        admin=admin,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        target_label=str(target_label)[:255],
        before=before,
        after=after,
    )


def _user_locked(user):
    return User.objects.select_for_update().get(pk=user.pk)


def _user_flag_set(*, admin, user, action, field, value):
    if user.pk == admin.pk:
        # An operator locking themselves out is always a slip; another admin can do it.
        raise ActionRefused("You cannot change your own admin rights or suspend yourself.")
    with transaction.atomic():
        locked = _user_locked(user)
        before = {field: getattr(locked, field)}
        setattr(locked, field, value)
        locked.save(update_fields=[field, "updated_at"])
        audit_record(
            admin=admin, action=action, target_type="user", target_id=locked.pk, target_label=locked.email,
            before=before, after={field: value},
        )
    return locked


def user_admin_set(*, admin, user, is_admin):
    """Grant (True) or revoke (False) the operator flag `is_admin` of `user`."""
    action = "user.admin_grant" if is_admin else "user.admin_revoke"
    return _user_flag_set(admin=admin, user=user, action=action, field="is_admin", value=is_admin)


def user_suspend(*, admin, user):
    """Suspend `user`: accounts' middleware then shows them "account suspended" on every page."""
    return _user_flag_set(admin=admin, user=user, action="user.suspend", field="status", value=User.Status.SUSPENDED)


def user_reactivate(*, admin, user):
    """Lift a suspension of `user`."""
    return _user_flag_set(admin=admin, user=user, action="user.reactivate", field="status", value=User.Status.ACTIVE)


def price_add(*, admin, resource, unit_amount, effective_from):
    """Schedule a new price for `resource` from `effective_from` (a future day) on."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                price = Price.objects.create(resource=resource, unit_amount=unit_amount, effective_from=effective_from)
        except IntegrityError:
            raise ActionRefused("A price for this resource already starts on that day.") from None
        audit_record(
            admin=admin, action="price.add", target_type="price", target_id=price.pk, target_label=str(price),
            after={"resource": resource, "unit_amount": unit_amount, "effective_from": effective_from},
        )
    return price
