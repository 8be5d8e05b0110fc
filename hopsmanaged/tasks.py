from celery import shared_task

from .health import heartbeat_record


@shared_task(name="hopsmanaged.tasks.heartbeat", ignore_result=True)
def heartbeat():
    """Sent by beat; running it proves beat and a worker are alive."""
    heartbeat_record(worker=heartbeat.request.hostname or "unknown")
