"""The Celery app: Redis broker, tasks discovered in each app's tasks.py, schedule in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopsmanaged.settings")

app = Celery("hopsmanaged")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
