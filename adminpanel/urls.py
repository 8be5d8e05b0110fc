from django.urls import path

from .views import audit, billing, clusters, overview, prices, usage, users

app_name = "adminpanel"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("users/", users.user_list, name="users"),
    path("users/<int:user_id>/", users.user_detail, name="user_detail"),
    path("users/<int:user_id>/grant-admin/", users.user_grant_admin, name="user_grant_admin"),
    path("users/<int:user_id>/revoke-admin/", users.user_revoke_admin, name="user_revoke_admin"),
    path("users/<int:user_id>/suspend/", users.user_suspend, name="user_suspend"),
    path("users/<int:user_id>/reactivate/", users.user_reactivate, name="user_reactivate"),
    path("users/<int:user_id>/retry-provisioning/", users.user_retry_provisioning, name="user_retry_provisioning"),
    path("users/<int:user_id>/resync-username/", users.user_resync_username, name="user_resync_username"),
    path("users/<int:user_id>/move/", users.user_move, name="user_move"),
    path("users/<int:user_id>/billing-mode/", users.user_billing_mode, name="user_billing_mode"),
    path("users/<int:user_id>/credits/", users.user_credits, name="user_credits"),
    path("clusters/", clusters.cluster_list, name="clusters"),
    path("clusters/new/", clusters.cluster_add, name="cluster_add"),
    path("clusters/<int:cluster_id>/", clusters.cluster_detail, name="cluster_detail"),
    path("clusters/<int:cluster_id>/edit/", clusters.cluster_edit, name="cluster_edit"),
    path("clusters/<int:cluster_id>/test/", clusters.cluster_test, name="cluster_test"),
    path("usage/", usage.run_list, name="usage"),
    path("usage/runs/<int:run_id>/", usage.run_detail, name="run_detail"),
    path("usage/collect/", usage.collect_now, name="collect_now"),
    path("usage/collect/<int:request_id>/", usage.collect_progress, name="collect_progress"),
    path("billing/", billing.billing_overview, name="billing"),
    path("billing/syncs/<int:sync_id>/retry/", billing.sync_retry, name="sync_retry"),
    path("prices/", prices.price_list, name="prices"),
    path("prices/new/", prices.price_add, name="price_add"),
    path("audit/", audit.audit_log, name="audit_log"),
]
