"""Prices: listed with their effective dates; new prices only from a future day; bad input changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from adminpanel.models import AuditEntry
from billing.models import Price


def tomorrow():
    return timezone.now().date() + timedelta(days=1)


def test_price_list_marks_current_and_scheduled_prices(admin_client_for):
    Price.objects.create(resource="cpu_hour", unit_amount=Decimal("0.12"), effective_from=tomorrow())
    body = admin_client_for.get(reverse("adminpanel:prices")).content.decode()
    assert "$0.10" in body and "$0.50" in body and "$0.12" in body
    assert "current" in body and "scheduled" in body


def test_admin_adds_a_future_price_with_one_audit_entry(admin_client_for, root):
    response = admin_client_for.post(reverse("adminpanel:price_add"), {
        "resource": "gpu_hour", "unit_amount": "0.55", "effective_from": tomorrow().isoformat(),
    })
    assert response.status_code == 302
    price = Price.objects.get(resource="gpu_hour", effective_from=tomorrow())
    assert price.unit_amount == Decimal("0.55")
    entry = AuditEntry.objects.get()
    assert (entry.admin, entry.action, entry.target_id) == (root, "price.add", str(price.pk))
    assert entry.after["unit_amount"] == "0.55"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"unit_amount": "-1"}, "unit_amount", "greater than or equal to 0"),
        ({"unit_amount": "abc"}, "unit_amount", "Enter a number"),
        ({"unit_amount": "0.1234567"}, "unit_amount", "decimal places"),
        ({"effective_from": "today"}, "effective_from", "Choose a day after today"),
        ({"effective_from": "2001-01-01"}, "effective_from", "Choose a day after today"),
        ({"effective_from": "not-a-date"}, "effective_from", "Enter a valid date"),
        ({"resource": "tpu_hour"}, "resource", "Select a valid choice"),
        ({"effective_from": "existing"}, "effective_from", "already starts on that day"),
    ],
)
def test_bad_price_is_rerendered_with_the_field_error_and_nothing_changes(admin_client_for, data, field, message):
    existing = Price.objects.create(resource="cpu_hour", unit_amount=Decimal("0.2"), effective_from=tomorrow())
    special = {"today": timezone.now().date().isoformat(), "existing": existing.effective_from.isoformat()}
    payload = {"resource": "cpu_hour", "unit_amount": "0.11", "effective_from": (tomorrow() + timedelta(days=1)).isoformat()}
    payload.update({k: special.get(v, v) for k, v in data.items()})
    before = list(Price.objects.values_list("id", "unit_amount", "effective_from"))

    response = admin_client_for.post(reverse("adminpanel:price_add"), payload)

    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert 'class="field has-error"' in response.content.decode()
    assert list(Price.objects.values_list("id", "unit_amount", "effective_from")) == before
    assert AuditEntry.objects.count() == 0
