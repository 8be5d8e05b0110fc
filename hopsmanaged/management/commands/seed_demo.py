"""Demo data for `make run`: each app that has a `demo.py` with `seed_demo()` adds its part.

Safe to run again: every app's seed is idempotent, so a second `make run` keeps the data.
"""

import importlib

from django.apps import apps
from django.core.management.base import BaseCommand

DEMO_ORDER = ["billing", "accounts", "clusters", "teams", "usage", "adminpanel"]


class Command(BaseCommand):
    help = "Create (or refresh) the demo data that `make run` shows."

    def handle(self, *args, **options):
        for label in DEMO_ORDER:
            if not apps.is_installed(label):
                continue
            try:
                module = importlib.import_module(f"{label}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{label}.demo":
                    raise
                continue
            summary = module.seed_demo()
            self.stdout.write(f"demo {label}: {summary or 'ok'}")
