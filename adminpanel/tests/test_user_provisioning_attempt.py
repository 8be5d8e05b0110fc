"""An admin looking at a seat stuck before "ready" sees when provisioning was last sent or started,
and by when Celery's retry is due (the stale-provisioning sweep resends it only after both)."""

from datetime import datetime
from datetime import timezone as dt_timezone

from django.urls import reverse


def test_user_detail_shows_the_last_provisioning_attempt_and_when_its_retry_is_due(admin_client_for, alice, make_cluster, seat):
    seat(alice, make_cluster("eu-1"), "provisioning", attempts=2, last_error="Hopsworks answered 503",
         last_attempt_at=datetime(2026, 3, 4, 10, 15, tzinfo=dt_timezone.utc),
         retry_due_by=datetime(2026, 3, 4, 10, 17, tzinfo=dt_timezone.utc))

    body = admin_client_for.get(reverse("adminpanel:user_detail", args=[alice.pk])).content.decode()

    assert "Last attempt</dt><dd>2026-03-04 10:15 UTC" in body
    assert "next retry by 2026-03-04 10:17 UTC" in body

