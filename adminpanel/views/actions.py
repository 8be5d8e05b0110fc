"""The confirm-then-do pattern shared by the panel's one-click actions.

GET shows what will happen and a button; POST (with CSRF) does it through a service, which writes
the audit entry, and redirects back with a message. A refused action changes nothing.
"""

from django.contrib import messages
from django.shortcuts import redirect, render

from ..services import ActionRefused


def confirm_action(request, *, title, question, button, back_url, run, done, danger=False, section="users"):
    """Render the confirmation page (GET) or run `run()` and go back to `back_url` (POST).
    `done` is the success message, or a callable making it from what `run()` returned."""
    if request.method == "POST":
        try:
            result = run()
        except ActionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, done(result) if callable(done) else done)
        return redirect(back_url)
    return render(request, "adminpanel/confirm.html", {
        "title": title, "question": question, "button": button, "back_url": back_url, "danger": danger,
        "section": section,
    })
