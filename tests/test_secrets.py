"""The API key never reaches a page, a log line, an error message or an exception report."""

import base64
import logging
import sys

import pytest
import requests
from django.conf import settings
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from plans import services
from tests.helpers import PLANS_URL

pytestmark = pytest.mark.django_db

# From settings, not a literal: error reports quote source lines, this file's included.
API_KEY = settings.PE365_API_KEY
SECRETS = (API_KEY, base64.b64encode(f"dashboard-bot:{API_KEY}".encode()).decode())


def explode(request):
    raise RuntimeError("a bug deep inside the HTTP stack")


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_the_debug_error_report_hides_the_key_in_every_frame(admin_client, upstream, settings):
    """Even Django's technical 500 page for developers, which lists every frame's local
    variables (requests' own frames hold the credentials and the Authorization header)."""
    settings.DEBUG = True
    upstream.add_callback("GET", PLANS_URL, callback=explode)
    admin_client.raise_request_exception = False
    response = admin_client.get("/plans/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "a bug deep inside the HTTP stack" in page, "this is the technical report"
    assert "********" in page
    assert_no_secret(page)


def test_the_emailed_error_report_hides_the_key(admin_client, upstream, settings, mailoutbox):
    settings.ADMINS = [("Ops", "ops@example.com")]
    upstream.add_callback("GET", PLANS_URL, callback=explode)
    admin_client.raise_request_exception = False
    assert admin_client.get("/plans/").status_code == 500
    (mail,) = mailoutbox
    assert "a bug deep inside the HTTP stack" in mail.body
    assert_no_secret(mail.body)


def test_the_report_of_a_failure_inside_the_service_hides_the_key(rf, upstream):
    """What Django logs and mails for any failure: every frame, every local variable."""
    upstream.add_callback("GET", PLANS_URL, callback=explode)
    request = rf.get("/plans/")
    try:
        services.plan_list(client=services.client_for(request), limit=25, offset=0)
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
    frames = reporter.get_traceback_frames()
    assert any(frame["function"] == "send" for frame in frames), "requests' frames are shown"
    assert_no_secret(reporter.get_traceback_html())
    assert_no_secret(reporter.get_traceback_text())


def test_the_settings_in_error_reports_are_cleansed():
    safe = SafeExceptionReporterFilter().get_safe_settings()
    assert safe["PE365_API_KEY"] == SafeExceptionReporterFilter.cleansed_substitute
    assert_no_secret(repr(safe))


def test_the_client_never_shows_its_key():
    client = services.Client.from_settings()
    assert_no_secret(repr(client))
    assert_no_secret(str(client))


def test_no_log_line_or_error_message_holds_the_key(admin_client, upstream, caplog):
    upstream.get(PLANS_URL, body=requests.ConnectionError(f"refused {API_KEY}?"))
    with caplog.at_level(logging.DEBUG):
        response = admin_client.get("/plans/")
    assert response.status_code == 503
    assert_no_secret(response.content.decode())
    assert_no_secret(caplog.text)
