"""Change billing mode and grant credits: through billing's services, validated, audited once."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from adminpanel.models import AuditEntry
from billing.models import CreditLedgerEntry


def grant(client, user, **data):
    payload = {"amount": "25.00", "reason": "Sorry for the outage on the 3rd", "grant_key": str(uuid.uuid4())}
    payload.update(data)
    return client.post(reverse("adminpanel:user_credits", args=[user.pk]), payload)


def test_admin_grants_credits_with_a_reason_shown_in_ledger_and_audit(admin_client_for, root, alice):
    response = grant(admin_client_for, alice)

    assert response.status_code == 302
    entry = CreditLedgerEntry.objects.get(owner=alice)
    assert entry.amount == Decimal("25.00") and entry.reason == "grant"
    assert "Sorry for the outage" in entry.reference
    audit = AuditEntry.objects.get()
    assert (audit.admin, audit.action, audit.target_id) == (root, "user.credits_grant", str(alice.pk))
    assert Decimal(audit.before["balance"]) == 0 and Decimal(audit.after["balance"]) == Decimal("25")
    assert audit.after["reason"] == "Sorry for the outage on the 3rd"
    page = admin_client_for.get(reverse("adminpanel:user_detail", args=[alice.pk])).content.decode()
    assert "$25.00" in page and "Granted" in page


def test_submitting_the_same_grant_twice_grants_once(admin_client_for, alice):
    key = str(uuid.uuid4())
    grant(admin_client_for, alice, grant_key=key)
    again = admin_client_for.post(
        reverse("adminpanel:user_credits", args=[alice.pk]),
        {"amount": "25.00", "reason": "Sorry for the outage on the 3rd", "grant_key": key}, follow=True,
    )
    assert "recorded already" in again.content.decode()
    assert CreditLedgerEntry.objects.filter(owner=alice).count() == 1
    assert AuditEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "0"}, "amount", "greater than or equal to 0.01"),
        ({"amount": "-5"}, "amount", "greater than or equal to 0.01"),
        ({"amount": "ten"}, "amount", "Enter a number"),
        ({"amount": "1.234"}, "amount", "decimal places"),
        ({"amount": "1000000"}, "amount", "less than or equal to 100000"),
        ({"reason": ""}, "reason", "required"),
        ({"reason": "   "}, "reason", "required"),
        ({"reason": "x" * 201}, "reason", "at most 200"),
        ({"grant_key": "not-a-uuid"}, "grant_key", "valid UUID"),
    ],
)
def test_bad_credit_grant_is_rerendered_with_the_field_error_and_changes_nothing(admin_client_for, alice, data, field, message):
    response = grant(admin_client_for, alice, **data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    body = response.content.decode()
    assert 'class="field has-error"' in body and message in body
    assert not CreditLedgerEntry.objects.exists() and not AuditEntry.objects.exists()


def test_credits_for_a_team_member_are_refused_with_a_pointer_to_the_owner(admin_client_for, bob):
    response = grant(admin_client_for, bob)
    assert response.status_code == 400
    assert "team member" in " ".join(response.context["form"].errors["amount"])
    assert not CreditLedgerEntry.objects.exists() and not AuditEntry.objects.exists()


def test_admin_changes_the_billing_mode_with_one_audit_entry(admin_client_for, root, alice):
    url = reverse("adminpanel:user_billing_mode", args=[alice.pk])
    assert admin_client_for.get(url).status_code == 200
    response = admin_client_for.post(url, {"billing_mode": "prepaid"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.billing_mode == "prepaid"
    audit = AuditEntry.objects.get()
    assert (audit.admin, audit.action) == (root, "user.billing_mode_change")
    assert (audit.before, audit.after) == ({"billing_mode": "postpaid"}, {"billing_mode": "prepaid"})


@pytest.mark.parametrize("mode", ["", "free", "postpaid"])
def test_bad_billing_mode_is_rerendered_with_the_error_and_changes_nothing(admin_client_for, alice, mode):
    response = admin_client_for.post(reverse("adminpanel:user_billing_mode", args=[alice.pk]), {"billing_mode": mode})
    assert response.status_code == 400 and response.context["form"].errors["billing_mode"]
    alice.refresh_from_db()
    assert alice.billing_mode == "postpaid" and not AuditEntry.objects.exists()


def test_billing_mode_of_a_team_member_is_refused(admin_client_for, bob):
    response = admin_client_for.post(reverse("adminpanel:user_billing_mode", args=[bob.pk]), {"billing_mode": "prepaid"})
    assert response.status_code == 400 and "team member" in response.content.decode()
    bob.refresh_from_db()
    assert bob.billing_mode == "postpaid" and not AuditEntry.objects.exists()


def test_user_detail_shows_this_months_usage_by_day(admin_client_for, alice, make_cluster):
    from django.utils import timezone

    from usage.models import UsageDaily

    UsageDaily.objects.create(user=alice, cluster=make_cluster(), date=timezone.now().date(), namespace="proj",
                              cpu_hours=Decimal("12.5"), gpu_hours=Decimal("1"), memory_gb_hours=Decimal("40"))
    body = admin_client_for.get(reverse("adminpanel:user_detail", args=[alice.pk])).content.decode()
    assert "12.5000" in body and "1.0000" in body
    assert "$1.75" in body  # 12.5 × $0.10 + 1 × $0.50
