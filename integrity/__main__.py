"""`python -m integrity --start 2026-11-01 --end 2026-11-08`: print the conservation report for the
database and sandboxes the settings point at; exit status 1 when there is any difference."""

import argparse
import os
import sys
from datetime import date, datetime


def _moment(text):
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text else date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date or date-time (with a zone)") from None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m integrity", description=__doc__)
    parser.add_argument("--start", type=_moment, required=True, help="first day (or aware date-time) of the period")
    parser.add_argument("--end", type=_moment, required=True, help="end of the period (excluded)")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hopsmanaged.settings")
    import django
    from django.apps import apps

    if not apps.ready:  # called in-process (tests): setting up again would rebind logging to this stderr
        django.setup()
    from integrity.conservation import conservation_report

    report = conservation_report(start=args.start, end=args.end)
    print(report)
    return 0 if report.zero else 1


if __name__ == "__main__":
    sys.exit(main())
