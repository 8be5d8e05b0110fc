"""Re-encrypt every cluster secret under the newest key in FIELD_ENCRYPTION_KEYS.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (keep the old one after it), run this
command, then remove the old key.
"""

from django.core.management.base import BaseCommand, CommandError

from clusters.encryption import SecretUnreadable
from clusters.services import secrets_rotate


class Command(BaseCommand):
    help = "Re-encrypt cluster API keys and kubeconfigs with the newest FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        try:
            count = secrets_rotate()
        except SecretUnreadable as exc:
            raise CommandError(f"{exc} Nothing was changed.") from exc
        self.stdout.write(f"Re-encrypted the secrets of {count} cluster(s) with the newest key.")
