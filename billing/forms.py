from decimal import Decimal

from django import forms

MIN_CREDITS = Decimal("10")
MAX_CREDITS = Decimal("10000")


class CreditsForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount (USD)", min_value=MIN_CREDITS, max_value=MAX_CREDITS, max_digits=7, decimal_places=2,
        help_text=f"Between ${MIN_CREDITS} and ${MAX_CREDITS:,}.",
        error_messages={"min_value": f"Buy at least ${MIN_CREDITS} of credits.",
                        "max_value": f"Buy at most ${MAX_CREDITS:,} of credits at once.",
                        "invalid": "Enter an amount in dollars, e.g. 50 or 49.99."},
    )


class BillingModeForm(forms.Form):
    mode = forms.ChoiceField(choices=[("postpaid", "Pay as you go"), ("prepaid", "Prepaid credits")],
                             error_messages={"invalid_choice": "Choose pay as you go or prepaid credits."})
