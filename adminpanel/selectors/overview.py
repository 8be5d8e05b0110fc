"""The panel's front page: users by state, clusters' load, collection, Stripe sync, revenue."""

from datetime import timedelta

from django.utils import timezone

from billing.selectors import prices_current
from clusters.selectors import clusters_with_load

from .billing import revenue_month_to_date, sync_summary
from .clusters import clusters_attach_last_run
from .users import user_state_counts


def overview():
    """The numbers on the panel's front page."""
    return {
        "user_counts": user_state_counts(),
        "prices": prices_current(),
        "clusters": clusters_attach_last_run(list(clusters_with_load())),
        "yesterday_sync": sync_summary(day=timezone.now().date() - timedelta(days=1)),
        "revenue": revenue_month_to_date(),
    }
