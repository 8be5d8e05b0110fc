"""Forms of the panel's own actions (cluster forms come from clusters.forms)."""

from decimal import Decimal

from django import forms
from django.utils import timezone

from billing.models import Price
from clusters.models import HopsworksCluster


class PriceForm(forms.Form):
    """A new price for a resource from a future date on; today's and past prices stay as they are."""

    resource = forms.ChoiceField(choices=Price.Resource.choices)
    unit_amount = forms.DecimalField(
        label="Price per hour (USD)", min_value=Decimal("0"), max_digits=12, decimal_places=6,
    )
    effective_from = forms.DateField(
        label="Takes effect on", widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The first day (UTC) the price applies; must be after today so no collected usage is repriced.",
    )

    def clean_effective_from(self):
        day = self.cleaned_data["effective_from"]
        if day <= timezone.now().date():
            raise forms.ValidationError("Choose a day after today: prices already in effect cannot change.")
        return day

    def clean(self):
        cleaned = super().clean()
        resource, day = cleaned.get("resource"), cleaned.get("effective_from")
        if resource and day and Price.objects.filter(resource=resource, effective_from=day).exists():
            self.add_error("effective_from", "A price for this resource already starts on that day.")
        return cleaned


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
