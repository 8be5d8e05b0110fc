from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import selectors
from .emails import InviteEmailFailed
from .forms import InviteForm
from .membership import MembershipRefused, member_confirm, member_leave, member_remove
from .models import TeamInvite
from .permissions import member_required, owner_required
from .selectors import Outcome
from .services import InviteRefused, invite_create, invite_resend, invite_revoke

SESSION_INVITE_TOKEN = "teams_invite_token"

REFUSAL_STATUS = {
    Outcome.UNKNOWN: 404,
    Outcome.REVOKED: 410,
    Outcome.USED: 410,
    Outcome.EXPIRED: 410,
    Outcome.WRONG_ADDRESS: 403,
    Outcome.OTHER_TEAM: 409,
    Outcome.OWN_ACCOUNT: 409,
}


def _base_url(request):
    return request.build_absolute_uri("/")


def _team_page(request, *, form=None, action_error=None, status=200):
    owner = request.user
    context = {
        "form": form or InviteForm(),
        "action_error": action_error,
        "invites": selectors.invites_pending(owner=owner),
        "max_pending": settings.TEAM_INVITE_MAX_PENDING,
        **selectors.team_usage_this_month(owner=owner),
    }
    return render(request, "teams/team.html", context, status=status)


@require_GET
@owner_required
def team(request):
    return _team_page(request)


@require_POST
@owner_required
def invite_send(request):
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _team_page(request, form=form, status=400)
    try:
        invites = invite_create(owner=request.user, emails=form.cleaned_data["emails"], base_url=_base_url(request))
    except InviteRefused as refused:
        form.add_refusals(refused.errors)
        return _team_page(request, form=form, status=400)
    except InviteEmailFailed as failed:
        return _team_page(request, form=form, action_error=str(failed), status=503)
    addresses = ", ".join(invite.email for invite in invites)
    messages.success(request, f"Invitation sent to {addresses}.")
    return redirect("teams:team")


def _invite_action(request, action, done):
    """Run a resend/revoke service on one of the owner's invites; 404 for anyone else's."""
    try:
        invite = action()
    except TeamInvite.DoesNotExist:
        raise Http404("No such invite.")
    except InviteRefused as refused:
        return _team_page(request, action_error=" ".join(refused.errors.values()), status=400)
    except InviteEmailFailed as failed:
        return _team_page(request, action_error=str(failed), status=503)
    messages.success(request, done.format(email=invite.email))
    return redirect("teams:team")


@require_POST
@owner_required
def invite_resend_view(request, invite_id):
    return _invite_action(
        request,
        lambda: invite_resend(owner=request.user, invite_id=invite_id, base_url=_base_url(request)),
        "Invitation sent again to {email}; the earlier link no longer works.",
    )


@require_POST
@owner_required
def invite_revoke_view(request, invite_id):
    return _invite_action(
        request,
        lambda: invite_revoke(owner=request.user, invite_id=invite_id),
        "Invitation to {email} revoked; its link no longer works.",
    )


@require_http_methods(["GET", "POST"])
@owner_required
def member_remove_view(request, member_id):
    member = next((m for m in selectors.members_of(owner=request.user) if m.pk == member_id), None)
    if member is None:
        raise Http404("No such member.")
    if request.method == "GET":
        return render(request, "teams/member_remove.html", {"member": member})
    try:
        member_remove(owner=request.user, member_id=member.pk)
    except MembershipRefused as refused:
        return _team_page(request, action_error=str(refused), status=400)
    messages.success(request, f"{member.email} was removed from your team and no longer has access to your cluster.")
    return redirect("teams:team")


@require_GET
@member_required
def membership(request):
    return render(request, "teams/membership.html", selectors.membership_of(user=request.user))


@require_http_methods(["GET", "POST"])
@member_required
def leave(request):
    if request.method == "GET":
        return render(request, "teams/leave.html", selectors.membership_of(user=request.user))
    owner = selectors.membership_of(user=request.user)["owner"]
    try:
        member_leave(user=request.user)
    except MembershipRefused as refused:
        return render(request, "403.html", {"reason": str(refused)}, status=400)
    messages.success(request, f"You left {owner.display_name}'s team; your usage is no longer billed to them.")
    return redirect("/dashboard/")


@require_GET
def join(request, token=None):
    """The invitation link (with token) and the return from sign-in (token kept in the session)."""
    if token is None:
        token = request.session.get(SESSION_INVITE_TOKEN)
    invite = selectors.invite_by_token(token)
    outcome = selectors.invite_outcome(invite=invite, user=request.user)
    if outcome == Outcome.SIGN_IN:
        # Kept in the session so it survives the round trip through Auth0; never put in a URL again.
        request.session[SESSION_INVITE_TOKEN] = token
        login_url = f"{resolve_url(settings.LOGIN_URL)}?next={reverse('teams:join_continue')}"
        return render(request, "teams/join.html", {"invite": invite, "login_url": login_url})
    request.session.pop(SESSION_INVITE_TOKEN, None)
    if outcome == Outcome.CONFIRM:
        member_confirm(user=request.user, token_invite=invite)
        messages.success(
            request, f"Your address is confirmed: you are a member of {invite.owner.display_name}'s team "
            "and your Hopsworks account is on its way."
        )
        return redirect("/dashboard/")
    if outcome == Outcome.JOINED:
        messages.success(request, f"You are a member of {invite.owner.display_name}'s team.")
        return redirect("/dashboard/")
    context = {"invite": invite, "outcome": outcome}
    return render(request, "teams/join_refused.html", context, status=REFUSAL_STATUS[outcome])
