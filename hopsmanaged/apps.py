from django.apps import AppConfig


class HopsmanagedConfig(AppConfig):
    name = "hopsmanaged"
    verbose_name = "Hopsworks Managed"
