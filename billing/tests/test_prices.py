"""Prices live in the database with the date they take effect; a day is priced at that day's price."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import Price
from billing.selectors import cost_of, price_for, price_table, prices_current

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
