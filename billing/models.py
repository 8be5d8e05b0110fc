from django.db import models
from django.db.models import Q


class Price(models.Model):
    """The price of one unit of a resource from a date on; past prices are never edited."""

    class Resource(models.TextChoices):
        CPU_HOUR = "cpu_hour", "CPU hour"
        GPU_HOUR = "gpu_hour", "GPU hour"

    resource = models.CharField(max_length=16, choices=Resource.choices)
    unit_amount = models.DecimalField(max_digits=12, decimal_places=6)
    currency = models.CharField(max_length=3, default="usd")
    effective_from = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "prices"
        ordering = ["resource", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "effective_from"], name="prices_one_per_resource_day"),
            models.CheckConstraint(condition=Q(unit_amount__gte=0), name="prices_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_resource_display()} ${self.unit_amount} from {self.effective_from}"
