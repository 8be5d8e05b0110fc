import uuid

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.models import User
from clusters.selectors import assignment_for

from .. import services
from ..selectors import users as selectors
from ..access import admin_required
from ..forms import BillingModeForm, CreditGrantForm, MoveForm
from ..listing import page_of
from .actions import confirm_action


@admin_required
@require_GET
def user_list(request):
    q = request.GET.get("q", "").strip()
    status_filter = request.GET.get("filter", "")
    context = page_of(request, selectors.user_list(q=q, status_filter=status_filter))
    context.update({
        "q": q, "filter": status_filter, "filters": selectors.user_filter_choices(), "section": "users",
    })
    return render(request, "adminpanel/user_list.html", context)


@admin_required
@require_GET
def user_detail(request, user_id):
    context = selectors.user_detail(user_id=user_id)
    context["section"] = "users"
    return render(request, "adminpanel/user_detail.html", context)


def _user_back(user):
    return reverse("adminpanel:user_detail", args=[user.pk])


@admin_required
def user_grant_admin(request, user_id):
    user = get_object_or_404(User, pk=user_id)
    return confirm_action(
        request, title="Grant admin rights", button="Grant admin rights", back_url=_user_back(user),
        question=f"{user.email} will be able to open this panel and take every action in it.",
        run=lambda: services.user_admin_set(admin=request.user, user=user, is_admin=True),
        done=f"{user.email} is now an admin.",
    )


@admin_required
def user_revoke_admin(request, user_id):
    user = get_object_or_404(User, pk=user_id)
    return confirm_action(
        request, title="Revoke admin rights", button="Revoke admin rights", back_url=_user_back(user), danger=True,
        question=f"{user.email} will no longer be able to open this panel.",
        run=lambda: services.user_admin_set(admin=request.user, user=user, is_admin=False),
        done=f"{user.email} is no longer an admin.",
    )


@admin_required
def user_suspend(request, user_id):
    user = get_object_or_404(User, pk=user_id)
    return confirm_action(
        request, title="Suspend user", button="Suspend", back_url=_user_back(user), danger=True,
        question=f"{user.email} will see \u201caccount suspended\u201d on every page until reactivated.",
        run=lambda: services.user_suspend(admin=request.user, user=user),
        done=f"{user.email} is suspended.",
    )


@admin_required
def user_reactivate(request, user_id):
    user = get_object_or_404(User, pk=user_id)
    return confirm_action(
        request, title="Reactivate user", button="Reactivate", back_url=_user_back(user),
        question=f"{user.email} will be able to use the service again.",
        run=lambda: services.user_reactivate(admin=request.user, user=user),
        done=f"{user.email} is active again.",
    )


@admin_required
def user_retry_provisioning(request, user_id):
    user = get_object_or_404(User, pk=user_id)
    return confirm_action(
        request, title="Retry provisioning", button="Retry provisioning", back_url=_user_back(user),
        question=f"The creation of {user.email}'s Hopsworks account is queued again.",
        run=lambda: services.user_provisioning_retry(admin=request.user, user=user),
        done=f"Provisioning of {user.email} queued again.",
    )


@admin_required
def user_move(request, user_id):
    user = get_object_or_404(User, pk=user_id)
    assignment = assignment_for(user=user)
    current_id = assignment.cluster_id if assignment else None
    form = MoveForm(request.POST if request.method == "POST" else None, current_cluster_id=current_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_cluster_move(admin=request.user, user=user, cluster=form.cleaned_data["cluster"])
        except services.ActionRefused as exc:
            form.add_error("cluster", str(exc))
        else:
            messages.success(request, f"{user.email} moved to {form.cleaned_data['cluster'].name}.")
            return redirect(_user_back(user))
    return render(request, "adminpanel/user_move.html", {
        "form": form, "subject": user, "assignment": assignment, "section": "users",
    }, status=400 if form.errors else 200)


def _form_page(request, user, template, form, **context):
    return render(request, f"adminpanel/{template}", {
        "form": form, "subject": user, "section": "users", **context,
    }, status=400 if form.errors else 200)


@admin_required
def user_billing_mode(request, user_id):
    user = get_object_or_404(User, pk=user_id)
    posted = request.method == "POST"
    form = BillingModeForm(request.POST if posted else None, current=user.billing_mode,
                           initial={"billing_mode": user.billing_mode})
    if posted and form.is_valid():
        try:
            services.user_billing_mode_change(admin=request.user, user=user, mode=form.cleaned_data["billing_mode"])
        except services.ActionRefused as exc:
            form.add_error("billing_mode", str(exc))
        else:
            messages.success(request, f"{user.email} now pays: {user.get_billing_mode_display().lower()}.")
            return redirect(_user_back(user))
    return _form_page(request, user, "user_billing_mode.html", form)


@admin_required
def user_credits(request, user_id):
    user = get_object_or_404(User, pk=user_id)
    posted = request.method == "POST"
    form = CreditGrantForm(request.POST if posted else None, initial={"grant_key": uuid.uuid4()})
    if posted and form.is_valid():
        try:
            entry = services.user_credits_grant(admin=request.user, user=user, **form.cleaned_data)
        except services.ActionRefused as exc:
            form.add_error("amount", str(exc))
        else:
            if entry is None:
                messages.info(request, "This grant was recorded already; nothing was added.")
            else:
                messages.success(request, f"Granted ${entry.amount:.2f} of credits to {user.email}.")
            return redirect(_user_back(user))
    return _form_page(request, user, "user_credits.html", form)
