from datetime import timedelta

from celery.schedules import crontab
from django.conf import settings

from hopsmanaged.celery import app


def test_beat_runs_heartbeat_collection_every_quarter_hour_daily_stripe_sync_and_provisioning_sweep():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert {entry["task"] for entry in schedule.values()} == {
        "hopsmanaged.tasks.heartbeat",
        "usage.tasks.collect_usage_all",
        "billing.tasks.sync_stripe_usage_daily",
        "clusters.tasks.requeue_stale_provisioning",
    }
    assert schedule["heartbeat"]["schedule"] == timedelta(seconds=60)
    assert schedule["collect-usage"]["schedule"] == crontab(minute="*/15")
    assert schedule["sync-stripe-usage"]["schedule"] == crontab(hour=3, minute=0)
    assert schedule["requeue-stale-provisioning"]["schedule"] == timedelta(minutes=5)


def test_collection_fires_on_the_quarter_hours_and_sync_once_a_day_at_three():
    collect = settings.CELERY_BEAT_SCHEDULE["collect-usage"]["schedule"]
    assert sorted(collect.minute) == [0, 15, 30, 45]
    assert collect.hour == set(range(24))
    sync = settings.CELERY_BEAT_SCHEDULE["sync-stripe-usage"]["schedule"]
    assert sync.hour == {3} and sync.minute == {0}


def test_every_scheduled_task_is_registered_with_the_celery_app():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_celery_uses_the_redis_broker():
    assert app.conf.broker_url == settings.REDIS_URL
    assert app.conf.broker_url.startswith("redis://")
