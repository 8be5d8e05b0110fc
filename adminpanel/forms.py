"""Forms of the panel's own actions (cluster forms come from clusters.forms)."""

from decimal import Decimal

from django import forms

from accounts.models import User
from billing.models import Price
from clusters.models import HopsworksCluster


class PriceForm(forms.Form):
    """A new price for a resource from a future date on; today's and past prices stay as they are
    (billing.services.price_add enforces that, and one price per resource and day)."""

    resource = forms.ChoiceField(choices=Price.Resource.choices)
    unit_amount = forms.DecimalField(
        label="Price per hour (USD)", min_value=Decimal("0"), max_digits=12, decimal_places=6,
    )
    effective_from = forms.DateField(
        label="Takes effect on", widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The first day (UTC) the price applies; must be after today so no collected usage is repriced.",
    )


class MoveForm(forms.Form):
    """Where to move a user: an active cluster other than the one they are on."""

    cluster = forms.ModelChoiceField(
        queryset=HopsworksCluster.objects.none(), empty_label="Choose a cluster",
        help_text="Only active clusters are listed; the user's Hopsworks account is created there.",
    )

    def __init__(self, *args, current_cluster_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        clusters = HopsworksCluster.objects.filter(status=HopsworksCluster.Status.ACTIVE).order_by("name")
        if current_cluster_id:
            clusters = clusters.exclude(pk=current_cluster_id)
        self.fields["cluster"].queryset = clusters


class CreditGrantForm(forms.Form):
    """Credits an admin grants an owner, with the reason kept in the ledger and the audit log.

    `grant_key` is drawn when the form is shown: submitting the same form twice grants once.
    """

    amount = forms.DecimalField(
        label="Amount (USD)", min_value=Decimal("0.01"), max_value=Decimal("100000"), max_digits=9, decimal_places=2,
    )
    reason = forms.CharField(max_length=200, help_text="Why: shown in the user's credit ledger and the audit log.")
    grant_key = forms.UUIDField(widget=forms.HiddenInput)

    def clean_reason(self):
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError("Say why the credits are granted.")
        return reason


class BillingModeForm(forms.Form):
    billing_mode = forms.ChoiceField(label="Billing mode", choices=User.BillingMode.choices)

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current

    def clean_billing_mode(self):
        mode = self.cleaned_data["billing_mode"]
        if mode == self.current:
            raise forms.ValidationError("The user already has this billing mode.")
        return mode
