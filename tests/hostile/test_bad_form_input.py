"""Bad input in every form: the form comes back (400) with the reason beside the field, what was
typed is shown escaped, and nothing in the database changes (no invite, no credit, no price...)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

NUL = "\x00"
FIFTY_ONE = ", ".join(f"person{i}@example.com" for i in range(51))
RESEND_HINT = "Nothing was sent"


def signed_in(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def assert_field_error(response, field, message, *, form="form", status=400):
    """The page came back with `status`, the field highlighted and `message` beside it (a hidden
    field has nothing to highlight: its message is shown above the form)."""
    assert response.status_code == status, response.content[:300]
    errors = response.context[form].errors
    assert any(message in error for error in errors.get(field, [])), dict(errors)
    body = response.content.decode()
    assert "has-error" in body or response.context[form][field].is_hidden
    assert escape(next(e for e in errors[field] if message in e)) in body


# ---------------------------------------------------------------- team invitations (owner)

INVITES = {
    "nothing": ("", "This field is required."),
    "only separators": (", ;\n\t", "Enter at least one email address."),
    "not an address": ("not-an-address", "is not a valid email address"),
    "one good and one bad address": ("ok@example.com, bad@@example.com", "is not a valid email address"),
    "HTML in the address": ("<script>alert(1)</script>@example.com", "is not a valid email address"),
    "SQL in the address": ("x'); DELETE FROM team_invites; --@example.com", "is not a valid email address"),
    "a header injection": ("x@example.com\nBcc: victim@example.com", "is not a valid email address"),
    "a Cyrillic look-alike": ("\u0430lice@example.com", "is not a valid email address"),
    "a NUL character": (f"x{NUL}@example.com", "Null characters are not allowed."),
    "51 addresses at once": (FIFTY_ONE, "Enter at most 50 addresses at once (you entered 51)."),
    "20,001 characters": ("a" * 20_001, "at most 20000 characters"),
    "her own address": ("alice@example.com", "That is your own address"),
    "her member's address": ("bob@example.com", "already a member of your team"),
    "another owner's address": ("charlie@example.com", "already has their own Hopsworks Managed account"),
    "an address with a pending invite": ("ada.invitee@example.com", "already has a pending invite"),
}


@pytest.mark.parametrize("case", INVITES)
def test_invite_form_refuses_bad_addresses_and_sends_nothing(case, world, unchanged):
    emails, message = INVITES[case]
    client = signed_in(world.alice)
    with unchanged():
        response = client.post("/team/invites/", {"emails": emails})
    assert_field_error(response, "emails", message)
    assert mail.outbox == []


def test_invite_form_shows_typed_html_escaped_in_the_textarea(world):
    response = signed_in(world.alice).post("/team/invites/", {"emails": "<script>alert(1)</script>@example.com"})
    body = response.content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;@example.com" in body


# ---------------------------------------------------------------- prepaid credits (owner)

CREDITS = {
    "nothing": ("", "This field is required."),
    "blank": ("   ", "Enter an amount in dollars"),
    "letters": ("abc", "Enter an amount in dollars"),
    "NaN": ("NaN", "Enter an amount in dollars"),
    "Infinity": ("Infinity", "Enter an amount in dollars"),
    "SQL": ("50; DROP TABLE users", "Enter an amount in dollars"),
    "a NUL character": (NUL, "Enter an amount in dollars"),
    "negative": ("-5", "Buy at least $10 of credits."),
    "zero": ("0", "Buy at least $10 of credits."),
    "a cent too little": ("9.99", "Buy at least $10 of credits."),
    "a cent too much": ("10000.01", "Buy at most $10,000 of credits at once."),
    "an exponent": ("1e5", "Buy at most $10,000"),
    "a fraction of a cent": ("12.345", "no more than 2 decimal places"),
}


@pytest.mark.parametrize("case", CREDITS)
def test_credit_purchase_refuses_bad_amounts_before_reaching_stripe(case, world, stripe_sandbox, unchanged):
    amount, message = CREDITS[case]
    sessions_before = len(stripe_sandbox.objects("checkout.session"))
    client = signed_in(world.alice)
    with unchanged():
        response = client.post("/billing/credits/", {"amount": amount})
    assert_field_error(response, "amount", message, form="credits_form")
    assert len(stripe_sandbox.objects("checkout.session")) == sessions_before


@pytest.mark.parametrize("mode", ["free", "", "PREPAID", f"prepaid{NUL}", "postpaid' OR '1'='1"])
def test_billing_mode_change_refuses_unknown_modes(mode, world, stripe_sandbox, unchanged):
    """The billing page comes back with 400 and the error as a message."""
    client = signed_in(world.alice)
    with unchanged():
        response = client.post("/billing/mode/", {"mode": mode})
    assert response.status_code == 400
    shown = [str(m) for m in response.context["messages"]]
    assert shown in (["Choose pay as you go or prepaid credits."], ["This field is required."])
    assert escape(shown[0]) in response.content.decode()


# ---------------------------------------------------------------- operator panel forms (admin)

def _future(days=400):
    return (timezone.now().date() + timedelta(days=days)).isoformat()


PRICES = {
    "an unknown resource": ({"resource": "tpu_hour"}, "resource", "Select a valid choice"),
    "a negative price": ({"unit_amount": "-1"}, "unit_amount", "greater than or equal to 0"),
    "NaN": ({"unit_amount": "NaN"}, "unit_amount", "Enter a number."),
    "more digits than stored": ({"unit_amount": "1e20"}, "unit_amount", "no more than 12 digits"),
    "a fraction smaller than stored": ({"unit_amount": "0.0000001"}, "unit_amount", "no more than 6 decimal places"),
    "a day in the past": ({"effective_from": "2020-01-01"}, "effective_from", "Choose a day after today"),
    "today": ({"effective_from": "{today}"}, "effective_from", "Choose a day after today"),
    "30 February": ({"effective_from": "2099-02-30"}, "effective_from", "Enter a valid date."),
    "year 99999": ({"effective_from": "99999-01-01"}, "effective_from", "Enter a valid date."),
    "SQL as a date": ({"effective_from": "' OR 1=1 --"}, "effective_from", "Enter a valid date."),
}


@pytest.mark.parametrize("case", PRICES)
def test_new_price_form_refuses_bad_prices(case, world, unchanged):
    change, field, message = PRICES[case]
    data = {"resource": "cpu_hour", "unit_amount": "0.12", "effective_from": _future(), **change}
    data["effective_from"] = data["effective_from"].format(today=timezone.now().date().isoformat())
    client = signed_in(world.root)
    with unchanged():
        response = client.post("/admin47392/prices/new/", data)
    assert_field_error(response, field, message)


def test_a_second_price_on_the_same_day_is_refused(world, unchanged):
    admin = signed_in(world.root)
    day = _future(500)
    assert admin.post("/admin47392/prices/new/", {"resource": "gpu_hour", "unit_amount": "0.6", "effective_from": day}).status_code == 302
    with unchanged():
        response = admin.post("/admin47392/prices/new/", {"resource": "gpu_hour", "unit_amount": "0.7", "effective_from": day})
    assert_field_error(response, "effective_from", "already starts on that day")


CLUSTER = {"name": "new-cluster-1", "api_url": "https://hopsworks.example.com", "api_key": "hw-key-1", "max_users": "5",
           "status": "active", "owner_label_key": "owner", "region": "eu-west-1"}
CLUSTERS = {
    "no name": ({"name": ""}, "name", "This field is required."),
    "a blank name": ({"name": "   "}, "name", "This field is required."),
    "an existing name in other case": ({"name": "HOSTILE-EU-1"}, "name", "A cluster with this name exists already."),
    "a name of 101 characters": ({"name": "n" * 101}, "name", "at most 100 characters"),
    "a javascript: URL": ({"api_url": "javascript:alert(1)"}, "api_url", "Enter a valid URL."),
    "an ftp:// URL": ({"api_url": "ftp://hopsworks.example.com"}, "api_url", "Enter a valid URL."),
    "words as URL": ({"api_url": "not a url"}, "api_url", "Enter a valid URL."),
    "negative max users": ({"max_users": "-1"}, "max_users", "greater than or equal to 0"),
    "letters as max users": ({"max_users": "abc"}, "max_users", "Enter a whole number."),
    "max users past the limit": ({"max_users": "100001"}, "max_users", "less than or equal to 100000"),
    "max users past bigint": ({"max_users": "99999999999999999999999"}, "max_users", "less than or equal to 100000"),
    "a label key with spaces": ({"owner_label_key": "bad key!"}, "owner_label_key", "Not a Kubernetes label key"),
    "a label key with two slashes": ({"owner_label_key": "a/b/c"}, "owner_label_key", "Not a Kubernetes label key"),
    "an unknown status": ({"status": "deleted"}, "status", "Select a valid choice"),
    "no API key": ({"api_key": ""}, "api_key", "This field is required."),
    "a NUL in the API key": ({"api_key": f"key{NUL}"}, "api_key", "Null characters are not allowed."),
    "a region of 65 characters": ({"region": "r" * 65}, "region", "at most 64 characters"),
}


@pytest.mark.parametrize("case", CLUSTERS)
def test_cluster_form_refuses_bad_fields(case, world, unchanged):
    change, field, message = CLUSTERS[case]
    client = signed_in(world.root)
    with unchanged():
        response = client.post("/admin47392/clusters/new/", {**CLUSTER, **change})
    assert_field_error(response, field, message)


def test_cluster_max_users_cannot_drop_below_the_users_seated_on_it(world, unchanged):
    data = {**CLUSTER, "name": world.cluster.name, "max_users": "1", "api_key": ""}
    client = signed_in(world.root)
    with unchanged():
        response = client.post(f"/admin47392/clusters/{world.cluster.pk}/edit/", data)
    assert_field_error(response, "max_users", "2 users are on this cluster")


@pytest.mark.parametrize("cluster", ["", "abc", "99999999999999999999", "{retired}", "{current}", "1 OR 1=1"])
def test_moving_a_user_to_a_cluster_that_is_not_an_active_other_one_is_refused(cluster, world, unchanged):
    from clusters.models import HopsworksCluster

    retired = HopsworksCluster.objects.create(name="retired-1", api_url="https://old.example.com", max_users=5,
                                              status="retired")
    value = cluster.format(retired=retired.pk, current=world.cluster.pk)
    client = signed_in(world.root)
    with unchanged():
        response = client.post(f"/admin47392/users/{world.alice.pk}/move/", {"cluster": value})
    message = "This field is required." if not value else "Select a valid choice."
    assert_field_error(response, "cluster", message)


GRANT_KEY = "0b7e1f55-5c3b-4a50-9a43-3c0d0d3d1a11"
GRANTS = {
    "NaN": ({"amount": "NaN"}, "amount", "Enter a number."),
    "zero": ({"amount": "0"}, "amount", "greater than or equal to 0.01"),
    "negative": ({"amount": "-5"}, "amount", "greater than or equal to 0.01"),
    "too much": ({"amount": "100000.01"}, "amount", "less than or equal to 100000"),
    "a blank reason": ({"reason": "   "}, "reason", "This field is required."),
    "a NUL in the reason": ({"reason": f"goodwill{NUL}"}, "reason", "Null characters are not allowed."),
    "a reason of 201 characters": ({"reason": "r" * 201}, "reason", "at most 200 characters"),
    "a grant key that is no UUID": ({"grant_key": "' OR 1=1 --"}, "grant_key", "Enter a valid UUID."),
}


@pytest.mark.parametrize("case", GRANTS)
def test_credit_grant_form_refuses_bad_grants(case, world, unchanged):
    change, field, message = GRANTS[case]
    data = {"amount": "5", "reason": "goodwill", "grant_key": GRANT_KEY, **change}
    client = signed_in(world.root)
    with unchanged():
        response = client.post(f"/admin47392/users/{world.alice.pk}/credits/", data)
    assert_field_error(response, field, message)


def test_credits_and_billing_mode_of_a_team_member_are_refused(world, unchanged):
    admin = signed_in(world.root)
    with unchanged():
        credits = admin.post(f"/admin47392/users/{world.bob.pk}/credits/",
                             {"amount": "5", "reason": "goodwill", "grant_key": GRANT_KEY})
        mode = admin.post(f"/admin47392/users/{world.bob.pk}/billing-mode/", {"billing_mode": "prepaid"})
    assert_field_error(credits, "amount", "is a team member")
    assert_field_error(mode, "billing_mode", "is a team member")


@pytest.mark.parametrize("mode", ["postpaid", "free", ""])
def test_billing_mode_form_refuses_the_current_or_an_unknown_mode(mode, world, unchanged):
    message = {"postpaid": "already has this billing mode", "free": "Select a valid choice", "": "required"}[mode]
    client = signed_in(world.root)
    with unchanged():
        response = client.post(f"/admin47392/users/{world.alice.pk}/billing-mode/", {"billing_mode": mode})
    assert_field_error(response, "billing_mode", message)


# ---------------------------------------------------------------- requests too big to read

TOO_BIG = "The request was too large or malformed"


def test_a_form_post_larger_than_the_upload_limit_is_a_400_page(world, settings, unchanged):
    client = signed_in(world.alice)
    with unchanged():
        response = client.post("/team/invites/", {"emails": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    assert response.status_code == 400
    assert TOO_BIG in response.content.decode()


def test_a_form_post_with_more_than_a_thousand_fields_is_a_400_page(world, unchanged):
    client = signed_in(world.alice)
    with unchanged():
        response = client.post("/team/invites/", {f"field{i}": "x" for i in range(1001)})
    assert response.status_code == 400
    assert TOO_BIG in response.content.decode()
