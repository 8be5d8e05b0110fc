from datetime import date
from decimal import Decimal

from django.db import migrations

DEFAULT_PRICES = {"cpu_hour": Decimal("0.10"), "gpu_hour": Decimal("0.50")}


def seed(apps, schema_editor):
    Price = apps.get_model("billing", "Price")
    for resource, amount in DEFAULT_PRICES.items():
        Price.objects.get_or_create(
            resource=resource, effective_from=date(2025, 1, 1), defaults={"unit_amount": amount}
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
