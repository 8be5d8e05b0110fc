"""What a person or an API client gets when a request fails on our side: a 500 page or JSON error,
and a 503 with Retry-After when the database is briefly unreachable (the request can be resent)."""

import json

from django.db import OperationalError
from django.test import RequestFactory

from hopsmanaged.views import server_error


def answer_while_failing(path, exc):
    request = RequestFactory().get(path)
    try:
        raise exc
    except Exception:
        return server_error(request)


def test_a_page_failing_on_a_bug_shows_the_500_page_without_retry_after():
    response = answer_while_failing("/dashboard/", ZeroDivisionError("boom"))
    assert response.status_code == 500 and "Retry-After" not in response
    assert "Something went wrong" in response.content.decode() and "boom" not in response.content.decode()


def test_a_page_failing_because_the_database_is_down_shows_a_503_page_with_retry_after():
    response = answer_while_failing("/billing/", OperationalError("connection refused on 10.0.0.5"))
    assert response.status_code == 503 and response["Retry-After"] == "30"
    body = response.content.decode()
    assert "Back in a moment" in body and "10.0.0.5" not in body


def test_the_api_answers_json_errors_and_names_no_internals():
    bug = answer_while_failing("/api/usage", KeyError("secret_column"))
    assert bug.status_code == 500 and bug["Content-Type"] == "application/json"
    assert "Try again" in json.loads(bug.content)["error"] and b"secret_column" not in bug.content
    down = answer_while_failing("/api/instance", OperationalError("server closed the connection"))
    assert down.status_code == 503 and down["Retry-After"] == "30"
    assert "briefly unavailable" in json.loads(down.content)["error"]
