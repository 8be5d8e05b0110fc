from .views import healthz


class HealthCheckMiddleware:
    """Answer /healthz before sessions and authentication are read: a probe carrying a session
    cookie must still get a 503 naming the database when PostgreSQL is down, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return healthz(request)
        return self.get_response(request)
