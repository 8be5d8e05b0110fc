"""Announcements other apps hang their work on, without accounts importing them.

`user_registered(sender=User, user=user)` — a new user row exists (any path: webhook, first login,
sync-user). Receivers may turn the user into a team member (teams: pending invite for the email)
by setting `account_owner` and saving.

`account_owner_created(sender=User, user=user)` — sent right after `user_registered` when the new
user is still an account owner (billing: Stripe customer and subscription).

Both are sent inside the creating transaction (`transaction.on_commit` is the receiver's choice).
"""

from django.dispatch import Signal

user_registered = Signal()
account_owner_created = Signal()
