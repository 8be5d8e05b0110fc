from django.db import models


class Heartbeat(models.Model):
    """One row per Celery worker: when beat's heartbeat task last reached it."""

    worker = models.CharField(max_length=255, unique=True)
    last_run_at = models.DateTimeField()
    runs = models.PositiveBigIntegerField(default=0)

    class Meta:
        db_table = "celery_heartbeats"

    def __str__(self):
        return f"{self.worker} at {self.last_run_at:%Y-%m-%d %H:%M:%S}"
