"""`manage.py createadmin EMAIL` (`make createadmin EMAIL=...`): make a signed-up user an admin."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import user_admin_set


class Command(BaseCommand):
    help = "Mark the user with this email as an admin (they must have signed up first)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--sub", help="the Auth0 user id, when several users share the email")

    def handle(self, *args, email, sub=None, **options):
        email = (email or "").strip()
        if not email:
            raise CommandError("Give the email of the user to make admin: make createadmin EMAIL=you@example.com")
        users = User.objects.filter(email__iexact=email)
        if sub:
            users = users.filter(auth0_sub=sub)
        users = list(users.order_by("pk"))
        if not users:
            raise CommandError(
                f"No user with email {email}. They must sign in once (make run, then /login/) first."
            )
        if len(users) > 1:
            subs = ", ".join(u.auth0_sub for u in users)
            raise CommandError(f"Several users have email {email} ({subs}); choose one with --sub.")
        user = users[0]
        if user.is_admin:
            self.stdout.write(f"{user.email} ({user.auth0_sub}) is already an admin.")
            return
        user_admin_set(user=user, is_admin=True)
        self.stdout.write(self.style.SUCCESS(f"{user.email} ({user.auth0_sub}) is now an admin."))
