"""Benchmark: the daily Stripe sync for 10,000 owners against the Stripe sandbox.

    .venv/bin/python bench/sync_stripe.py [--owners 10000] [--concurrency 16] [--rate-limit 1000]

Uses a throwaway database (created, migrated, dropped) on the project's PostgreSQL and the Stripe
sandbox in a process of its own on a free port, driven through its `/_sandbox/` control endpoints. Every owner used CPU yesterday, every other one GPU too; 1% of
owners get a 500 from Stripe on the first run. The sync runs three times: the first sends, the
second catches up the failed owners, the third must send nothing. Prints time, requests and
duplicates (meter events Stripe accepted more than once per owner, day and meter: must be 0).
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopsmanaged.settings")
os.environ["LOG_LEVEL"] = "WARNING"
os.environ["TEST_DATABASE_NAME"] = "bench_hm_stripe_sync"  # a throwaway database, dropped at the end


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16, help="STRIPE_SYNC_CONCURRENCY")
    parser.add_argument("--rate-limit", type=int, default=1000, help="sandbox meter events per second (429 beyond)")
    parser.add_argument("--failing-percent", type=float, default=1.0, help="owners whose first send gets a 500")
    return parser.parse_args()


def setup_database():
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return lambda: connection.creation.destroy_test_db(old_name, verbosity=0)


def serve_sandbox(port, api_key, customer_ids, rate_limit):
    """The sandbox process: the owners' customers already exist (their creation is not timed)."""
    import logging

    from sandbox.serving import serve_forever
    from sandbox.stripe.server import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(api_key=api_key, meter_event_rate_limit=rate_limit)
    for customer_id in customer_ids:
        app.stripe.state.put({"id": customer_id, "object": "customer", "created": 0, "livemode": False,
                              "email": None, "metadata": {}, "invoice_settings": {"default_payment_method": None}})
    serve_forever(app, port=port)


def start_sandbox(api_key, customer_ids, rate_limit):
    import multiprocessing

    import requests

    from sandbox.serving import free_port

    port = free_port()
    process = multiprocessing.get_context("fork").Process(
        target=serve_sandbox, args=(port, api_key, customer_ids, rate_limit), daemon=True
    )
    process.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(f"{url}/_sandbox/state", timeout=1)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("the Stripe sandbox did not start")


def seed_owners(owners):
    """`owners` account owners, each with a Stripe customer id, and yesterday's usage for each."""
    from django.utils import timezone

    from accounts.models import User
    from billing.services import usage_slot_record

    users = [User(auth0_sub=f"auth0|bench{i}", email=f"owner{i}@bench.example", name=f"Owner {i}",
                  stripe_customer_id=f"cus_bench{i:06d}") for i in range(owners)]
    User.objects.bulk_create(users, batch_size=2000)
    users = list(User.objects.order_by("pk"))
    day = timezone.now().date() - timedelta(days=1)
    rows = [(u.pk, day, Decimal("24.25") + Decimal(i % 7) / 4, Decimal("2.5") if i % 2 else Decimal("0"),
             Decimal("96")) for i, u in enumerate(users)]
    usage_slot_record(collection_run_id="bench-yesterday", rows=rows)
    return users, day


def duplicates_in(events):
    seen, duplicates = set(), 0
    for event in events:
        key = (event["customer"], event["event_name"], event["timestamp"] // 86400)
        duplicates += key in seen
        seen.add(key)
    return duplicates, len(seen)


def main():
    args = parse_args()
    import django

    django.setup()
    import logging

    import requests
    from django.conf import settings

    from billing.customers import stripe_catalog_ensure
    from billing.meter_sync import stripe_usage_sync

    logging.getLogger("billing.meter_sync").setLevel(logging.ERROR)  # the failing 1% would fill the screen
    customer_ids = [f"cus_bench{i:06d}" for i in range(args.owners)]
    process, url = start_sandbox(settings.STRIPE_SECRET_KEY, customer_ids, args.rate_limit)
    settings.STRIPE_API_BASE = url
    settings.STRIPE_SYNC_CONCURRENCY = args.concurrency
    settings.STRIPE_RATE_LIMIT_BACKOFF = 0.1
    teardown = setup_database()
    try:
        stripe_catalog_ensure()
        users, day = seed_owners(args.owners)
        failing = users[:: max(1, int(100 / args.failing_percent))] if args.failing_percent else []
        for user in failing:
            requests.post(f"{url}/_sandbox/failures", json={"mode": "error", "customer": user.stripe_customer_id,
                                                            "remaining": 1}, timeout=5)
        expected = sum(2 if i % 2 else 1 for i in range(len(users)))
        print(f"{len(users)} owners, {expected} meter events expected for {day}; "
              f"{len(failing)} owners get a 500 first; concurrency {args.concurrency}, "
              f"sandbox limit {args.rate_limit} meter events/s")
        total_start = time.monotonic()
        for run in (1, 2, 3):
            start = time.monotonic()
            report = stripe_usage_sync(day=day)
            print(f"run {run}: {time.monotonic() - start:6.1f} s  {report}")
        elapsed = time.monotonic() - total_start
        state = requests.get(f"{url}/_sandbox/state", timeout=30).json()
        events = requests.get(f"{url}/_sandbox/meter_events", timeout=60).json()
        duplicates, distinct = duplicates_in(events)
        print(f"time: {elapsed:.1f} s")
        print(f"requests sent: {state['requests'].get('POST /v1/billing/meter_events', 0)} "
              f"(429 answers: {state['rate_limited']})")
        print(f"meter events in Stripe: {distinct} of {expected} expected")
        print(f"duplicates: {duplicates}")
        return 0 if duplicates == 0 and distinct == expected else 1
    finally:
        teardown()
        process.terminate()


if __name__ == "__main__":
    sys.exit(main())
