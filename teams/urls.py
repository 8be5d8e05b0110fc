from django.urls import path

from . import views

app_name = "teams"

urlpatterns = [
    path("team/", views.team, name="team"),
    path("team/invites/", views.invite_send, name="invite_send"),
    path("team/invites/<int:invite_id>/resend/", views.invite_resend_view, name="invite_resend"),
    path("team/invites/<int:invite_id>/revoke/", views.invite_revoke_view, name="invite_revoke"),
    path("team/members/<int:member_id>/remove/", views.member_remove_view, name="member_remove"),
    path("team/membership/", views.membership, name="membership"),
    path("team/leave/", views.leave, name="leave"),
    path("team/join/", views.join, name="join_continue"),
    path("team/join/<str:token>/", views.join, name="join"),
]
