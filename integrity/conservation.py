"""Conservation: what the clusters ran = what was counted = what was billed, per owner and UTC day.

Four records are kept by four different parties and set side by side for a period [start, end):

- **ran** — each cluster's Kubernetes sandbox keeps its own ledger of every slot its clock reached
  (`GET <api server>/_sandbox/ledger`); a pod's owner label is mapped to the user with that
  `hopsworks_username`, and the user to their billing owner;
- **counted** — `usage_daily`, rolled up to the billing owner;
- **billed** — billing's per-owner/day totals (`billable_usage_daily`, what the Stripe sync reads),
  with the postpaid part that prepaid credits did not cover;
- **charged** — the Stripe sandbox's meter events (`GET <Stripe>/_sandbox/meter_events`; per
  customer, meter and UTC day the last event received counts, as it does for a meter with a
  one-day window) that an invoice can include — on a meter whose price is an item of the
  customer's subscription, stamped while that item was on it (from when it was added until it
  was removed, `billing/price_item_retirement.py`); others fall in no billing period — and the
  prepaid ledger's usage debits, dated by their collection run's slot.

Checks, per owner and day: CPU, GPU and memory hours ran = usage_daily; CPU and GPU hours
usage_daily = billing; billing's postpaid hours = Stripe's; and, in USD, the cost of what ran at
the day's database prices = credits debited + Stripe's hours at the unit price of the Stripe price
they were metered under (one price per price period: a day sent to the wrong period's meter shows
here). Every difference larger than the
tolerance is reported. The tolerance absorbs the 6-decimal rounding billing stores per slot (at
most 1e-6 per row and slot, i.e. below 0.0001 for a day's 96 slots); a slot lost or counted twice
is thousands of times larger.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import requests
from django.conf import settings
from django.db.models import Sum

from accounts.models import User
from billing.models import BillableUsage, CreditLedgerEntry, Meter
from billing.pricing import PriceTable, meter_of_event_name
from clusters.models import HopsworksCluster
from usage.models import CollectionRun, UsageDaily

ZERO = Decimal(0)
TOLERANCE = Decimal("0.001")
HTTP_TIMEOUT = 30
CENTS = Decimal(100)


class ConservationError(Exception):
    """A record needed for the check cannot be read (a sandbox is not answering)."""


def _quantities(*names):
    return field(default_factory=lambda: dict.fromkeys(names, ZERO))


@dataclass
class OwnerDay:
    """The four records for one billing owner on one UTC day."""

    owner: str
    day: date
    ran: dict = _quantities("cpu", "gpu", "memory")
    counted: dict = _quantities("cpu", "gpu", "memory")
    billed: dict = _quantities("cpu", "gpu", "postpaid_cpu", "postpaid_gpu")
    stripe: dict = _quantities("cpu", "gpu")  # meter events an invoice can include
    stripe_early: dict = _quantities("cpu", "gpu")  # on no item of theirs at the event's time
    credits: Decimal = ZERO  # USD debited from prepaid credits for this day's slots
    cost_ran: Decimal = ZERO
    cost_stripe: Decimal = ZERO


@dataclass
class Difference:
    owner: str
    day: date
    check: str
    left: Decimal
    right: Decimal

    @property
    def amount(self):
        return self.left - self.right

    def __str__(self):
        return (f"{self.owner} {self.day}: {self.check}: {self.left:.6f} vs {self.right:.6f}"
                f" (difference {self.amount:+.6f})")


# (check, left, right): functions of an OwnerDay.
CHECKS = [
    ("CPU hours: ran = usage_daily", lambda r: r.ran["cpu"], lambda r: r.counted["cpu"]),
    ("GPU hours: ran = usage_daily", lambda r: r.ran["gpu"], lambda r: r.counted["gpu"]),
    ("memory GiB-hours: ran = usage_daily", lambda r: r.ran["memory"], lambda r: r.counted["memory"]),
    ("CPU hours: usage_daily = billing", lambda r: r.counted["cpu"], lambda r: r.billed["cpu"]),
    ("GPU hours: usage_daily = billing", lambda r: r.counted["gpu"], lambda r: r.billed["gpu"]),
    ("CPU hours: billing postpaid = Stripe meter events in a billing period",
     lambda r: r.billed["postpaid_cpu"], lambda r: r.stripe["cpu"]),
    ("GPU hours: billing postpaid = Stripe meter events in a billing period",
     lambda r: r.billed["postpaid_gpu"], lambda r: r.stripe["gpu"]),
    ("USD: cost of what ran = credits debited + Stripe", lambda r: r.cost_ran, lambda r: r.credits + r.cost_stripe),
]


@dataclass
class ConservationReport:
    start: datetime
    end: datetime
    rows: list
    differences: list
    residue: Decimal  # the largest |left - right| within the tolerance (storage rounding)
    sources: dict
    tolerance: Decimal = TOLERANCE

    @property
    def zero(self):
        return not self.differences

    def totals(self):
        """Sums over all owners and days, per record (for a one-line summary)."""
        total = OwnerDay(owner="all", day=self.start.date())
        for row in self.rows:
            for name in ("ran", "counted", "billed", "stripe"):
                for key, value in getattr(row, name).items():
                    getattr(total, name)[key] += value
            total.credits += row.credits
            total.cost_ran += row.cost_ran
            total.cost_stripe += row.cost_stripe
        return total

    def __str__(self):
        lines = [
            f"Conservation report {self.start:%Y-%m-%d %H:%M} → {self.end:%Y-%m-%d %H:%M} UTC"
            f" (tolerance {self.tolerance} per owner and day)",
            "sources: " + ", ".join(f"{k} {v}" for k, v in self.sources.items()),
            f"{'owner':<28} {'day':<10} | {'CPU h ran':>10} {'usage_daily':>11} {'billing':>10} {'postpaid':>10}"
            f" {'Stripe':>10} | {'GPU h ran':>10} {'usage_daily':>11} {'billing':>10} {'postpaid':>10} {'Stripe':>10}"
            f" | {'USD ran':>9} {'credits':>9} {'Stripe':>9}",
        ]
        for row in [*self.rows, self.totals()] if self.rows else []:
            day = "total" if row.owner == "all" else row.day.isoformat()
            lines.append(
                f"{row.owner[:28]:<28} {day:<10} | {row.ran['cpu']:>10.4f} {row.counted['cpu']:>11.4f}"
                f" {row.billed['cpu']:>10.4f} {row.billed['postpaid_cpu']:>10.4f} {row.stripe['cpu']:>10.4f}"
                f" | {row.ran['gpu']:>10.4f} {row.counted['gpu']:>11.4f} {row.billed['gpu']:>10.4f}"
                f" {row.billed['postpaid_gpu']:>10.4f} {row.stripe['gpu']:>10.4f}"
                f" | {row.cost_ran:>9.4f} {row.credits:>9.4f} {row.cost_stripe:>9.4f}"
            )
        if not self.rows:
            lines.append("(nothing ran, was counted or billed in this period)")
        if self.differences:
            lines.append(f"DIFFERENCES: {len(self.differences)}")
            lines.extend(f"  {difference}" for difference in self.differences)
            lines.extend(
                f"  {row.owner} {row.day}: Stripe holds {row.stripe_early['cpu']:.6f} CPU h and"
                f" {row.stripe_early['gpu']:.6f} GPU h on no subscription item at the time stamped:"
                " never invoiced"
                for row in self.rows if any(row.stripe_early.values())
            )
        else:
            lines.append(f"differences: 0 (largest rounding residue {self.residue:.6f})")
        return "\n".join(lines)


def _moment(value):
    """A date is its midnight UTC; a datetime must be aware."""
    if isinstance(value, datetime):
        return value.astimezone(dt_timezone.utc)
    return datetime.combine(value, time(0), tzinfo=dt_timezone.utc)


def _api_server(cluster):
    config = cluster.kubeconfig_dict() or {}
    contexts = {c.get("name"): c.get("context", {}) for c in config.get("contexts") or []}
    wanted = contexts.get(config.get("current-context"), {}).get("cluster")
    for entry in config.get("clusters") or []:
        if wanted in (None, entry.get("name")):
            return (entry.get("cluster") or {}).get("server", "").rstrip("/")
    return ""


def _get_json(url, params=None):
    try:
        response = requests.get(url, params=params, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ConservationError(f"cannot read {url}: {exc}") from exc


def ledger_entries(*, start, end):
    """[(owner label, slot, cpu, gpu, memory hours)] from every cluster's Kubernetes sandbox ledger."""
    entries, servers = [], set()
    for cluster in HopsworksCluster.objects.exclude(kubeconfig_encrypted="").order_by("pk"):
        server = _api_server(cluster)
        if not server or server in servers:
            continue
        servers.add(server)
        until = end - timedelta(seconds=1)  # the ledger's `until` includes the slot it falls in
        data = _get_json(f"{server}/_sandbox/ledger", {"since": start.isoformat(), "until": until.isoformat()})
        for entry in data["entries"]:
            slot = datetime.fromisoformat(entry["slot"]).astimezone(dt_timezone.utc)
            if start <= slot < end:
                entries.append((entry["owner"], slot, Decimal(entry["cpu_hours"]), Decimal(entry["gpu_hours"]),
                                Decimal(entry["memory_gb_hours"])))
    return entries, len(servers)


def _item_windows(base):
    """{(customer, meter id): [(from, until or None, USD per unit)]}: when each subscription item
    (live, or removed since) put that meter's events on an invoice. A removed item's usage reaches
    an invoice up to its removal (the sandbox's `usage_invoiced_until`, earlier if it was cleared)."""
    subscriptions = _get_json(f"{base}/_sandbox/objects/subscription")
    customer_of = {subscription["id"]: subscription["customer"] for subscription in subscriptions}
    live = [(item, None) for subscription in subscriptions for item in subscription["items"]["data"]]
    removed = [(item, int(item["usage_invoiced_until"]))
               for item in _get_json(f"{base}/_sandbox/objects/subscription_item") if item.get("deleted")]
    windows = defaultdict(list)
    for item, until in [*live, *removed]:
        key = (customer_of.get(item["subscription"]), (item["price"].get("recurring") or {}).get("meter"))
        unit = Decimal(str(item["price"]["unit_amount_decimal"])) / CENTS
        windows[key].append((int(item["created"]), until, unit))
    return windows


def stripe_meter_values(*, stripe_url=None):
    """{(customer, Stripe meter id, day): (Meter, value, invoiceable, USD per unit)}: the last event
    per customer, meter and UTC day (a one-day window); invoiceable when the customer's subscription
    had an item on that meter at the event's timestamp, priced at that item's price."""
    base = (stripe_url or settings.STRIPE_API_BASE).rstrip("/")
    windows = _item_windows(base)
    last = {}
    for event in _get_json(f"{base}/_sandbox/meter_events"):  # in the order Stripe received them
        meter = meter_of_event_name(event["event_name"])
        if meter is None:
            continue
        timestamp = int(event["timestamp"])
        day = datetime.fromtimestamp(timestamp, tz=dt_timezone.utc).date()
        held = [unit for added, until, unit in windows.get((event["customer"], event["meter"]), [])
                if added <= timestamp and (until is None or timestamp < until)]
        invoiceable, unit = bool(held), (held[0] if held else ZERO)
        last[(event["customer"], event["meter"], day)] = (meter, Decimal(str(event["value"])), invoiceable, unit)
    return last


class _Rows:
    """OwnerDay rows keyed by (owner key, day); owner keys are user ids or labels of strangers."""

    def __init__(self):
        self.rows = {}
        self.names = {}

    def get(self, owner, day):
        key = (owner, day)
        if key not in self.rows:
            self.rows[key] = OwnerDay(owner=self.names.get(owner, str(owner)), day=day)
        return self.rows[key]


def conservation_report(*, start, end, stripe_url=None, tolerance=TOLERANCE):
    """Compare, per billing owner and UTC day in [start, end), what ran, what was counted, what was
    billed and what was charged (credits + Stripe); returns a ConservationReport (`.zero`, `str()`)."""
    start, end = _moment(start), _moment(end)
    first_day, last_day = start.date(), (end - timedelta(microseconds=1)).date()
    rows = _Rows()
    users = {u.pk: u for u in User.objects.only("pk", "email", "account_owner_id", "hopsworks_username", "stripe_customer_id")}
    rows.names.update({pk: u.email or f"user {pk}" for pk, u in users.items()})

    def owner_of(user_id):
        return users[user_id].account_owner_id or user_id

    by_label = {u.hopsworks_username: u.pk for u in users.values() if u.hopsworks_username}
    entries, clusters = ledger_entries(start=start, end=end)
    for label, slot, cpu, gpu, memory in entries:
        user_id = by_label.get(label)
        owner = owner_of(user_id) if user_id else f"owner label {label!r} (no user)"
        row = rows.get(owner, slot.date())
        row.ran["cpu"] += cpu
        row.ran["gpu"] += gpu
        row.ran["memory"] += memory

    counted = (UsageDaily.objects.filter(date__range=(first_day, last_day)).values("user_id", "date")
               .annotate(cpu=Sum("cpu_hours"), gpu=Sum("gpu_hours"), memory=Sum("memory_gb_hours")))
    for item in counted:
        row = rows.get(owner_of(item["user_id"]), item["date"])
        for key in ("cpu", "gpu", "memory"):
            row.counted[key] += item[key]

    billed = (BillableUsage.objects.filter(day__range=(first_day, last_day)).values("owner_id", "day")
              .annotate(cpu=Sum("cpu_hours"), gpu=Sum("gpu_hours"), pcpu=Sum("postpaid_cpu_hours"),
                        pgpu=Sum("postpaid_gpu_hours")))
    for item in billed:
        row = rows.get(item["owner_id"], item["day"])
        row.billed.update(cpu=item["cpu"], gpu=item["gpu"], postpaid_cpu=item["pcpu"], postpaid_gpu=item["pgpu"])

    customers = {u.stripe_customer_id: u.pk for u in users.values() if u.stripe_customer_id}
    meter_values = stripe_meter_values(stripe_url=stripe_url)
    for (customer, _meter_id, day), (meter, value, invoiceable, unit) in meter_values.items():
        if first_day <= day <= last_day:
            row = rows.get(customers.get(customer, f"Stripe customer {customer} (no user)"), day)
            (row.stripe if invoiceable else row.stripe_early)["cpu" if meter == Meter.CPU_HOURS else "gpu"] += value
            row.cost_stripe += value * unit if invoiceable else ZERO

    runs = dict(CollectionRun.objects.filter(slot_start__gte=start, slot_start__lt=end).values_list("pk", "slot_start"))
    debits = list(CreditLedgerEntry.objects.filter(reason=CreditLedgerEntry.Reason.USAGE,
                                                   reference__in=[f"run:{pk}" for pk in runs])
                  .only("owner_id", "amount", "reference"))
    for entry in debits:
        slot = runs[int(entry.reference.split(":", 1)[1])]
        rows.get(entry.owner_id, slot.astimezone(dt_timezone.utc).date()).credits -= entry.amount

    prices = PriceTable.between(first_day, last_day)
    for row in rows.rows.values():
        row.cost_ran = prices.cost(row.day, cpu_hours=row.ran["cpu"], gpu_hours=row.ran["gpu"])

    ordered = sorted(rows.rows.values(), key=lambda r: (r.owner, r.day))
    differences, residue = [], ZERO
    for row in ordered:
        for check, left, right in CHECKS:
            gap = abs(left(row) - right(row))
            if gap > tolerance:
                differences.append(Difference(row.owner, row.day, check, left(row), right(row)))
            else:
                residue = max(residue, gap)
    sources = {
        "clusters": clusters, "ledger entries": len(entries), "usage_daily groups": len(counted),
        "billing groups": len(billed), "Stripe meter values": len(meter_values), "credit debits": len(debits),
    }
    return ConservationReport(start=start, end=end, rows=ordered, differences=differences, residue=residue,
                              sources=sources, tolerance=tolerance)
