import re

from django import forms
from django.conf import settings

SEPARATORS = re.compile(r"[\s,;]+")


class InviteForm(forms.Form):
    emails = forms.CharField(
        label="Email addresses",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "ada@example.com, grace@example.com"}),
        max_length=20_000,
        help_text="One or more addresses, separated by commas, spaces or new lines.",
    )

    def clean_emails(self):
        addresses = [a for a in SEPARATORS.split(self.cleaned_data["emails"]) if a]
        if not addresses:
            raise forms.ValidationError("Enter at least one email address.")
        limit = settings.TEAM_INVITE_MAX_PENDING
        if len(addresses) > limit:
            raise forms.ValidationError(f"Enter at most {limit} addresses at once (you entered {len(addresses)}).")
        return addresses

    def add_refusals(self, errors):
        """Show a service's refusals ({address or None: why}) on the field, all of them."""
        for message in errors.values():
            self.add_error("emails", message)
        self.add_error("emails", "Nothing was sent: fix or remove the addresses above and send again.")
