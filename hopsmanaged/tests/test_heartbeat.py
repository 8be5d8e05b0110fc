from hopsmanaged.models import Heartbeat


def test_real_worker_and_beat_run_the_heartbeat_and_healthz_reports_it(celery_processes, client, wait):
    celery = celery_processes(HEARTBEAT_SECONDS=1)
    celery.start_worker(concurrency=1)
    celery.start_beat()

    beat = wait(lambda: Heartbeat.objects.filter(runs__gte=2).first(), timeout=60,
                message="two heartbeats from beat through a worker")

    assert beat.worker.startswith(f"worker-{celery.queue}@")
    report = client.get("/healthz").json()
    assert report["heartbeat"]["worker"] == beat.worker
    assert report["heartbeat"]["stale"] is False
