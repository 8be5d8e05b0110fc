import uuid

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.models import User
from clusters.selectors import assignment_for

from .. import services
from ..access import admin_required
from ..forms import BillingModeForm, CreditGrantForm, MoveForm
from ..listing import page_of
from ..selectors import users as selectors
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


def _one_click(*, title, button, question, done, run, danger=False):
    """A user action with a confirmation page (GET) that `run(admin, user)` does on POST.
    `question` and `done` are formatted with the user's email; a callable `done(user, result)`
    makes the message from what `run` returned."""

    @admin_required
    def view(request, user_id):
        user = get_object_or_404(User, pk=user_id)
        return confirm_action(
            request, title=title, button=button, back_url=_user_back(user), danger=danger,
            question=question.format(email=user.email),
            done=(lambda result: done(user, result)) if callable(done) else done.format(email=user.email),
            run=lambda: run(request.user, user),
        )

    return view


user_grant_admin = _one_click(
    title="Grant admin rights", button="Grant admin rights",
    question="{email} will be able to open this panel and take every action in it.",
    done="{email} is now an admin.",
    run=lambda admin, user: services.user_admin_set(admin=admin, user=user, is_admin=True),
)
user_revoke_admin = _one_click(
    title="Revoke admin rights", button="Revoke admin rights", danger=True,
    question="{email} will no longer be able to open this panel.",
    done="{email} is no longer an admin.",
    run=lambda admin, user: services.user_admin_set(admin=admin, user=user, is_admin=False),
)
user_suspend = _one_click(
    title="Suspend user", button="Suspend", danger=True,
    question="{email} will see \u201caccount suspended\u201d on every page until reactivated.",
    done="{email} is suspended.",
    run=lambda admin, user: services.user_suspend(admin=admin, user=user),
)
user_reactivate = _one_click(
    title="Reactivate user", button="Reactivate",
    question="{email} will be able to use the service again.",
    done="{email} is active again.",
    run=lambda admin, user: services.user_reactivate(admin=admin, user=user),
)
user_retry_provisioning = _one_click(
    title="Retry provisioning", button="Retry provisioning",
    question="The creation of {email}'s Hopsworks account is queued again.",
    done="Provisioning of {email} queued again.",
    run=lambda admin, user: services.user_provisioning_retry(admin=admin, user=user),
)


def _resynced(user, names):
    old, new = names
    if old == new:
        return f"Hopsworks username of {user.email} is unchanged ({new})."
    return f"Hopsworks username of {user.email}: {old or '(none)'} \u2192 {new}."


user_resync_username = _one_click(
    title="Re-sync Hopsworks username", button="Re-sync username",
    question="{email}'s username is read again from their Hopsworks cluster (after a rename there) and stored here.",
    done=_resynced,
    run=lambda admin, user: services.user_hopsworks_username_resync(admin=admin, user=user),
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
