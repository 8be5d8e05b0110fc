from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..access import admin_required
from ..listing import page_of
from ..selectors.audit import audit_actions, audit_entries


@admin_required
@require_GET
def audit_log(request):
    q = request.GET.get("q", "").strip()
    action = request.GET.get("action", "")
    context = page_of(request, audit_entries(q=q, action=action))
    context.update({"q": q, "action": action, "actions": audit_actions(), "section": "audit"})
    return render(request, "adminpanel/audit_log.html", context)
