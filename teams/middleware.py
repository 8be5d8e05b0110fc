"""Tell a removed member, on their next visit, that they are no longer in the team."""

from django.contrib import messages

from .membership import departure_notice_take


class TeamDepartureNoticeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._wants_notice(request):
            departure = departure_notice_take(user=request.user)
            if departure is not None:
                messages.warning(
                    request,
                    f"{departure.owner.display_name} removed you from their team on "
                    f"{departure.created_at:%d %b %Y}. You no longer have access to their Hopsworks cluster; "
                    "to keep using Hopsworks, add a payment method of your own.",
                )
        return self.get_response(request)

    @staticmethod
    def _wants_notice(request):
        # Pages only (the API and static files would swallow the message unseen); owners only,
        # since a removed member is an owner again.
        user = getattr(request, "user", None)
        return (
            request.method == "GET"
            and user is not None
            and user.is_authenticated
            and user.account_owner_id is None
            and not request.path.startswith(("/api/", "/static/"))
        )
