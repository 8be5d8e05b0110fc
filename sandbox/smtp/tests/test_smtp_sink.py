"""The mail sink speaks real SMTP to Django's SMTP backend and shows what it received."""

import smtplib

import pytest
import requests
from django.core.mail import EmailMultiAlternatives


def test_mail_sent_by_django_over_smtp_arrives_in_the_sink_and_its_json(smtp_sink):
    message = EmailMultiAlternatives("Hello", "Plain https://example.com/x", "app@example.com", ["Ada@Example.com"])
    message.attach_alternative("<p>Hello</p>", "text/html")
    assert message.send() == 1

    (received,) = smtp_sink.app.mailbox.messages(to="ada@example.com")
    assert received["subject"] == "Hello" and received["text"].startswith("Plain https://example.com/x")
    assert received["html"].strip() == "<p>Hello</p>"
    listed = requests.get(f"{smtp_sink.url}/_sandbox/messages", params={"to": "ada@example.com"}, timeout=5).json()
    assert [m["id"] for m in listed] == [received["id"]]
    assert "https://example.com/x" in requests.get(smtp_sink.url, timeout=5).text


def test_clearing_the_sink_forgets_every_message(smtp_sink):
    EmailMultiAlternatives("One", "1", "app@example.com", ["a@example.com"]).send()
    assert requests.delete(f"{smtp_sink.url}/_sandbox/messages", timeout=5).status_code == 204
    assert requests.get(f"{smtp_sink.url}/_sandbox/messages", timeout=5).json() == []


def test_the_failure_switch_makes_the_sink_refuse_mail_like_a_relay_in_trouble(smtp_sink):
    assert requests.post(f"{smtp_sink.url}/_sandbox/failures", json={"refuse": True}, timeout=5).status_code == 200
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        EmailMultiAlternatives("Nope", "x", "app@example.com", ["a@example.com"]).send()
    assert smtp_sink.app.mailbox.messages() == []


def test_a_malformed_failure_switch_is_refused_with_a_message(smtp_sink):
    response = requests.post(f"{smtp_sink.url}/_sandbox/failures", json={"refuse": "yes"}, timeout=5)
    assert response.status_code == 400 and "refuse" in response.json()["error"]
