"""An in-process fleet for the fault tests and the property test.

Kubernetes sandboxes with frozen clocks behind cluster rows, owners (with Stripe customers and
optional prepaid credits) and members with Hopsworks usernames, and what the scheduler does:
collect a slot (`usage_collect`, as the beat's task does), sync a day (`stripe_usage_sync`, as the
daily task does). Sandboxes are driven in-process; the app reaches them only over HTTP.
"""

import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import yaml

from billing.customers import stripe_customer_ensure
from billing.meter_sync import stripe_usage_sync
from billing.services import credits_add
from clusters.services import cluster_create
from integrity.conservation import conservation_report
from usage.services import usage_collect
from usage.slots import SLOT

INTO_SLOT = timedelta(minutes=1)  # collections read the cluster one minute into their slot


class Fleet:
    def __init__(self, *, kube_factory, make_user, stripe, start):
        self.kube_factory = kube_factory
        self.make_user = make_user
        self.stripe = stripe
        self.start = start
        self.kubes = {}
        self.users = {}

    # ------------------------------------------------------------------ cast

    def cluster_add(self, name, *, seed=7, **config):
        """A cluster whose Kubernetes API is a new sandbox (frozen clock at the fleet's start)."""
        config.setdefault("start", self.start + INTO_SLOT)
        return self.cluster_register(name, self.kube_factory(seed=seed, **config))

    def cluster_register(self, name, kube):
        cluster_create(name=name, api_url="http://127.0.0.1:9", api_key="unused", max_users=100,
                       kubeconfig=yaml.safe_dump(kube.kubeconfig()))
        self.kubes[name] = kube
        return kube

    def owner_add(self, username, *, credits=None, signed_up=None):
        """An owner with a Stripe customer and subscription, created at `signed_up` (default: the
        day before the fleet starts), and optionally prepaid credits."""
        user = self.make_user(f"{username}@example.com", name=username.title(), hopsworks_username=username)
        with self.stripe_clock_at(signed_up or self.start - timedelta(days=1)):  # the Stripe subscription starts then
            user = stripe_customer_ensure(owner=user)
        if credits:
            credits_add(owner=user, amount=Decimal(credits), reason="grant", reference=f"fleet-{username}")
        self.users[username] = user
        return user

    def cast(self, *, credits=None):
        """The usual cast: alice (an owner, with `credits` of prepaid credit), bob (her team
        member) and charlie (another owner); returns them by name."""
        self.owner_add("alice", credits=credits)
        self.member_add("bob", owner="alice")
        self.owner_add("charlie")
        return self.users

    def member_add(self, username, *, owner):
        user = self.make_user(f"{username}@example.com", name=username.title(), owner=self.users[owner],
                              hopsworks_username=username)
        self.users[username] = user
        return user

    @contextmanager
    def stripe_clock_at(self, moment):
        """The Stripe sandbox's clock at `moment` (objects it creates are stamped then)."""
        state = self.stripe.state
        previous = state.clock_offset
        state.clock_offset = moment.timestamp() - time.time()
        try:
            yield
        finally:
            state.clock_offset = previous

    # ------------------------------------------------------------------ what runs

    def clock_set(self, moment):
        for kube in self.kubes.values():
            kube.sandbox.clock_set(moment)

    def pod_start(self, cluster, username, *, cpu="500m", gpus=0, project="main"):
        """A pod of `username` running from the current slot on (quantities served verbatim)."""
        return self.kubes[cluster].sandbox.pod_add(username, f"{username}-{project}", cpu=cpu, gpus=gpus, memory="2Gi")

    def pods_stop(self):
        """Every user's pod (not the system pods) ends at the start of the current slot."""
        for kube in self.kubes.values():
            running = [t for t in kube.sandbox.templates if t.owner and t.last_slot is None]
            for template in running:
                kube.sandbox.pod_remove(template.namespace, template.name)

    def workload_start(self, cluster, username, **shape):
        """The sandbox's generated workload (notebooks, servings, periodic jobs with varying CPU)."""
        return self.kubes[cluster].sandbox.workload_add(username, **shape)

    # ------------------------------------------------------------------ what the scheduler does

    def collect(self, slot, *, clusters=None):
        """Collect `slot` (every cluster, or the named ones) with the sandboxes' clocks inside it."""
        self.clock_set(slot + INTO_SLOT)
        return {name: outcome.outcome for name, outcome in usage_collect(slot=slot, cluster_names=clusters).items()}

    def collect_range(self, first, slots):
        for n in range(slots):
            outcomes = self.collect(first + n * SLOT)
            assert set(outcomes.values()) <= {"collected", "already_collected"}, outcomes

    def window(self, first, slots, start_pods):
        """Pods started by `start_pods()` at `first` run for `slots` slots, each collected once."""
        self.clock_set(first + INTO_SLOT)
        start_pods()
        self.collect_range(first, slots)
        self.clock_set(first + slots * SLOT)
        self.pods_stop()

    def sync(self, day):
        return stripe_usage_sync(day=day)

    def report(self, start=None, end=None):
        return conservation_report(start=start or self.start, end=end or self.end())

    def end(self):
        """The end of the last slot any sandbox clock has reached."""
        latest = max(kube.sandbox.now() for kube in self.kubes.values())
        return latest - timedelta(seconds=latest.second, microseconds=latest.microsecond,
                                  minutes=latest.minute % 15) + SLOT
