from celery import shared_task
from django.conf import settings

from .hopsworks_client import HopsworksUnavailable
from .provisioning import ProvisioningInFlight, hopsworks_account_provision
from .services import provisioning_stale_requeue


@shared_task(
    bind=True,
    name="clusters.tasks.provision_hopsworks_account",
    autoretry_for=(HopsworksUnavailable, ProvisioningInFlight),
    retry_backoff=settings.HOPSWORKS_PROVISION_RETRY_BACKOFF,
    retry_backoff_max=settings.HOPSWORKS_PROVISION_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=settings.HOPSWORKS_PROVISION_MAX_RETRIES,
    ignore_result=True,
)
def provision_hopsworks_account(self, user_id):
    """Create the user's Hopsworks account; retried with exponential backoff while Hopsworks is down."""
    retries = self.request.retries
    hopsworks_account_provision(
        user_id=user_id, final_attempt=retries >= self.max_retries,
        # The longest countdown Celery's backoff (with jitter) can pick for the next retry.
        retry_within=min(self.retry_backoff_max, self.retry_backoff * 2**retries),
    )


@shared_task(name="clusters.tasks.requeue_stale_provisioning", ignore_result=True)
def requeue_stale_provisioning():
    """Beat, every few minutes: resend provisioning whose Celery message was lost."""
    return len(provisioning_stale_requeue())
