"""Prices live in the database with the date they take effect; a day is priced at that day's price."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Price
from billing.selectors import cost_of, price_for, price_table, prices_current
from billing.services import PriceError, price_add

D = Decimal


@pytest.mark.django_db
def test_the_seeded_prices_are_ten_cents_per_cpu_hour_and_fifty_per_gpu_hour():
    assert [(p.resource, p.unit_amount) for p in prices_current()] == [("cpu_hour", D("0.10")), ("gpu_hour", D("0.50"))]
    assert cost_of(day=date(2026, 11, 1), cpu_hours=D("10"), gpu_hours=D("1.5")) == D("1.75")


@pytest.mark.django_db
def test_a_new_price_applies_from_its_date_and_earlier_days_keep_the_old_one():
    Price.objects.create(resource="gpu_hour", unit_amount=D("0.40"), effective_from=date(2026, 11, 10))

    assert price_for(resource="gpu_hour", day=date(2026, 11, 9)) == D("0.50")
    assert price_for(resource="gpu_hour", day=date(2026, 11, 10)) == D("0.40")
    assert price_for(resource="cpu_hour", day=date(2026, 11, 10)) == D("0.10")
    assert cost_of(day=date(2026, 11, 12), cpu_hours=D("0"), gpu_hours=D("2")) == D("0.80")


@pytest.mark.django_db
def test_a_price_table_for_a_month_is_one_query_whatever_the_number_of_days(django_assert_num_queries):
    Price.objects.create(resource="cpu_hour", unit_amount=D("0.12"), effective_from=date(2026, 11, 15))

    with django_assert_num_queries(1):
        table = price_table(date(2026, 11, 1), date(2026, 11, 30))
    days = [date(2026, 11, d) for d in range(1, 31)]

    assert [table.unit_amount("cpu_hour", d) for d in days] == [D("0.10")] * 14 + [D("0.12")] * 16
    assert table.cost(date(2026, 11, 20), cpu_hours=D("100"), gpu_hours=D("1")) == D("12.50")
    assert table.unit_amount("cpu_hour", date(2024, 1, 1)) == 0  # before any price existed


def _future(days=1):
    return timezone.now().date() + timedelta(days=days)


@pytest.mark.django_db
def test_a_price_added_for_a_future_day_applies_from_that_day_on():
    day = _future(3)
    price = price_add(resource="gpu_hour", unit_amount=D("0.45"), effective_from=day)

    assert (price.resource, price.unit_amount, price.effective_from) == ("gpu_hour", D("0.45"), day)
    assert price_for(resource="gpu_hour", day=day) == D("0.45")
    assert price_for(resource="gpu_hour", day=_future(2)) == D("0.50")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"effective_from": 0}, "effective_from", "Choose a day after today: prices already in effect cannot change."),
        ({"effective_from": -400}, "effective_from", "Choose a day after today: prices already in effect cannot change."),
        ({"effective_from": 5, "existing": True}, "effective_from", "A price for this resource already starts on that day."),
        ({"unit_amount": D("-0.01")}, "unit_amount", "greater than or equal to 0"),
        ({"unit_amount": D("NaN")}, "unit_amount", "greater than or equal to 0"),
        ({"resource": "tpu_hour"}, "resource", "Unknown resource"),
    ],
)
def test_current_past_duplicate_negative_and_unknown_prices_are_refused_and_nothing_changes(change, field, message):
    if change.pop("existing", False):
        price_add(resource="cpu_hour", unit_amount=D("0.2"), effective_from=_future(change["effective_from"]))
    before = list(Price.objects.values_list("id", "resource", "unit_amount", "effective_from"))
    args = {"resource": "cpu_hour", "unit_amount": D("0.11"), "effective_from": 10, **change}
    args["effective_from"] = _future(args["effective_from"])

    with pytest.raises(PriceError, match=message) as refused:
        price_add(**args)

    assert refused.value.field == field
    assert list(Price.objects.values_list("id", "resource", "unit_amount", "effective_from")) == before
