from celery import shared_task
from django.conf import settings

from .hopsworks_client import HopsworksUnavailable
from .provisioning import hopsworks_account_provision


@shared_task(
    bind=True,
    name="clusters.tasks.provision_hopsworks_account",
    autoretry_for=(HopsworksUnavailable,),
    retry_backoff=settings.HOPSWORKS_PROVISION_RETRY_BACKOFF,
    retry_backoff_max=settings.HOPSWORKS_PROVISION_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=settings.HOPSWORKS_PROVISION_MAX_RETRIES,
    ignore_result=True,
)
def provision_hopsworks_account(self, user_id):
    """Create the user's Hopsworks account; retried with exponential backoff while Hopsworks is down."""
    hopsworks_account_provision(user_id=user_id, final_attempt=self.request.retries >= self.max_retries)
