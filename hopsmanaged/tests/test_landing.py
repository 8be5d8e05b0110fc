from decimal import Decimal

import pytest

from billing.models import Price


@pytest.mark.django_db
def test_landing_page_shows_seeded_prices(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "$0.10 per hour" in body
    assert "$0.50 per hour" in body
    assert "CPU hour" in body and "GPU hour" in body


@pytest.mark.django_db
def test_landing_page_reads_prices_from_the_database(client):
    Price.objects.create(resource="cpu_hour", unit_amount=Decimal("0.12"), effective_from="2026-01-01")
    body = client.get("/").content.decode()
    assert "$0.12 per hour" in body
    assert "$0.10 per hour" not in body


@pytest.mark.django_db
def test_future_price_is_not_shown_before_it_takes_effect(client):
    Price.objects.create(resource="gpu_hour", unit_amount=Decimal("0.70"), effective_from="2099-01-01")
    body = client.get("/").content.decode()
    assert "$0.50 per hour" in body
    assert "$0.70" not in body


@pytest.mark.django_db
def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
