"""Teams' answers to other apps' announcements (connected in TeamsConfig.ready)."""

from django.dispatch import receiver

from accounts.signals import user_registered

from .membership import member_join_on_registration


@receiver(user_registered, dispatch_uid="teams.member_join_on_registration")
def join_team_if_invited(sender, user, **kwargs):
    member_join_on_registration(user=user)
