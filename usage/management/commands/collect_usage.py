"""`python manage.py collect_usage [--cluster NAME …] [--slot ISO]`: the scheduled collection, by hand."""

from django.core.management.base import BaseCommand, CommandError

from clusters.models import HopsworksCluster
from usage.services import usage_collect
from usage.slots import SlotInvalid, slot_parse, slot_start


class Command(BaseCommand):
    help = "Collect Kubernetes usage for one 15-minute slot (default: the current one); a slot is counted once."

    def add_arguments(self, parser):
        parser.add_argument("--cluster", action="append", dest="clusters", metavar="NAME",
                            help="only this cluster (repeat for several); default: every active cluster")
        parser.add_argument("--slot", help="a time inside the slot, ISO 8601 (e.g. 2026-11-25T10:15Z); default: now")

    def handle(self, *args, clusters=None, slot=None, **options):
        try:
            slot = slot_parse(slot) if slot else slot_start()
        except SlotInvalid as exc:
            raise CommandError(str(exc)) from None
        if clusters:
            known = set(HopsworksCluster.objects.filter(name__in=clusters).values_list("name", flat=True))
            missing = sorted(set(clusters) - known)
            if missing:
                raise CommandError(f"No cluster named {', '.join(missing)}.")
        outcomes = usage_collect(slot=slot, cluster_names=clusters)
        if not outcomes:
            self.stdout.write("No active cluster with a kubeconfig to collect.")
        failed = 0
        for name, outcome in outcomes.items():
            run = outcome.run
            if outcome.outcome == "failed":
                failed += 1
                self.stdout.write(f"{name} {slot:%Y-%m-%d %H:%M}Z: failed — {run.error}")
            elif outcome.outcome == "already_collected":
                self.stdout.write(f"{name} {slot:%Y-%m-%d %H:%M}Z: already collected, nothing added")
            else:
                self.stdout.write(
                    f"{name} {slot:%Y-%m-%d %H:%M}Z: collected {run.pods_counted} pods of {run.users_count} users"
                    f" ({run.pods_without_metrics} without metrics, {run.unknown_owner_pods} of unknown owners,"
                    f" {run.api_calls} API calls, {run.duration_ms} ms)"
                )
        if failed:
            raise CommandError(f"{failed} of {len(outcomes)} cluster(s) failed; run the same slot again to fill them.")
