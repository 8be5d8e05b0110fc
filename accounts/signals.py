"""Announcements other apps hang their work on, without accounts importing them.

`user_registered(sender=User, user=user)` — a new user row exists (any path: webhook, first login,
sync-user). Receivers may turn the user into a team member (teams: pending invite for the email)
by setting `account_owner` and saving.

`account_owner_created(sender=User, user=user)` — sent right after `user_registered` when the new
user is still an account owner (billing: Stripe customer and subscription).

`email_verified(sender=User, user=user)` — Auth0 has just vouched for an existing user's current
address (at sign-in or sync-user): their `email_verified` flag turned true, or their address changed
to one Auth0 says is verified. Not sent at creation: `user_registered` receivers read
`user.email_verified` (teams: an invited member's seat waits for a confirmed address).

All are sent inside the upsert's transaction (`transaction.on_commit` is the receiver's choice).
"""

from django.dispatch import Signal

user_registered = Signal()
account_owner_created = Signal()
email_verified = Signal()
