from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self):
        from accounts.signals import account_owner_created

        from .receivers import on_account_owner_created

        account_owner_created.connect(on_account_owner_created, dispatch_uid="billing.account_owner_created")
