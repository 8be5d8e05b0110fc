"""The invitation email: plain text and HTML, rendered from templates/emails/."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse


class InviteEmailFailed(Exception):
    """The mail server did not take the invitation; nothing was saved."""


def invite_accept_url(*, base_url, token):
    return base_url.rstrip("/") + reverse("teams:join", kwargs={"token": token})


def invite_emails_send(*, sends, base_url):
    """Send one email per (invite, token) over one connection; raise InviteEmailFailed on failure."""
    messages = [_invite_message(invite=invite, token=token, base_url=base_url) for invite, token in sends]
    try:
        get_connection(fail_silently=False).send_messages(messages)
    except (OSError, ConnectionError) as exc:
        # smtplib errors are OSError subclasses; the message names the server problem, no secrets.
        raise InviteEmailFailed(f"The invitation email could not be sent ({exc.__class__.__name__}). Try again in a minute.") from exc


def _invite_message(*, invite, token, base_url):
    owner = invite.owner
    context = {
        "owner_name": owner.display_name,
        "owner_email": owner.email,
        "invitee_email": invite.email,
        "accept_url": invite_accept_url(base_url=base_url, token=token),
        "expires_at": invite.expires_at,
        "expiry_days": settings.TEAM_INVITE_EXPIRY_DAYS,
    }
    # One line whatever the owner's name holds (a header must not carry a line break).
    subject = " ".join(render_to_string("emails/team_invite_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/team_invite.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invite.email],
        reply_to=[owner.email],
    )
    message.attach_alternative(render_to_string("emails/team_invite.html", context), "text/html")
    return message
