"""Reads of the audit log."""

from django.db.models import Q

from ..models import AuditEntry


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
