"""`manage.py sync_stripe_usage [--date YYYY-MM-DD]`: the daily Stripe sync, by hand."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from billing.meter_sync import stripe_usage_sync


def _day(value):
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date must look like 2026-11-24, not {value!r}.") from exc


class Command(BaseCommand):
    help = "Send owners' postpaid usage of a day (default yesterday) and any unsent earlier day to Stripe."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the UTC day to send, YYYY-MM-DD (default: yesterday)")

    def handle(self, *args, **options):
        day = _day(options["date"]) if options["date"] else None
        report = stripe_usage_sync(day=day)
        self.stdout.write(str(report))
        for error in report.errors[:20]:
            self.stderr.write(error)
