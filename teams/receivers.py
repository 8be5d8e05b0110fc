"""Teams' answers to other apps' announcements (connected in TeamsConfig.ready)."""

from django.dispatch import receiver

from accounts.signals import email_verified, user_registered

from .membership import member_confirm, member_join_on_registration


@receiver(user_registered, dispatch_uid="teams.member_join_on_registration")
def join_team_if_invited(sender, user, **kwargs):
    member_join_on_registration(user=user)


@receiver(email_verified, dispatch_uid="teams.member_confirm_on_email_verified")
def seat_member_once_address_verified(sender, user, **kwargs):
    if user.account_owner_id is not None:
        member_confirm(user=user)
