from importlib import import_module

import pytest


@pytest.fixture
def seeded_prices(transactional_db):
    """Billing's seeded prices, back after an earlier transactional test's flush (a new owner's
    Stripe setup reads them). `serialized_rollback` does not help once a browser test has run in
    the session: the test thread's connection objects no longer carry the serialized contents."""
    from django.apps import apps

    import_module("billing.migrations.0002_seed_prices").seed(apps, None)
