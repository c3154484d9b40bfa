"""A database that fails is a 503 page naming the database, on every page that needs it,
never a 500; the pages that need no database (/healthz, /readyz, static files) keep
working. The database here fails in-process (every statement refused, as from a stopped
server, or only writes, as from a locked SQLite file); tests/test_serving.py and
tests/test_real_services.py stop and lock real ones."""

import logging
import sys
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection
from django.test import Client

from plans import health
from plans.error_reports import WithholdDatabaseMessages
from plans.middleware import SESSION_LAST_SEEN, ErrorPagesMiddleware

pytestmark = pytest.mark.django_db

REFUSED = "connection to server at 127.0.0.1, port 5432 failed: Connection refused"


@contextmanager
def database_down(only_writes: bool = False):
    """Every statement (or every write) on this thread's connection fails, as a stopped
    server or a locked file makes it fail."""

    def refuse(execute, sql, params, many, context):
        if not only_writes or not sql.lstrip().upper().startswith("SELECT"):
            raise OperationalError(REFUSED if not only_writes else "database is locked")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


@pytest.fixture
def browser(admin_client):
    """A logged-in browser whose failing requests come back as pages, as a real one sees."""
    admin_client.raise_request_exception = False
    return admin_client


def assert_database_page(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "The dashboard&#x27;s database is not answering" in page
    assert (
        f"({connection.vendor.replace('sqlite', 'SQLite').replace('postgresql', 'PostgreSQL')})"
        in page
    )
    assert "Try again in a minute" in page
    assert "Connection refused" not in page and "locked" not in page
    assert response["Retry-After"] == "30"


@pytest.mark.parametrize("path", ["/", "/plans/", "/people/", "/admin/", "/plans/p1/users.csv"])
def test_a_logged_in_page_with_the_database_stopped_is_a_503_naming_it(browser, path):
    with database_down():
        response = browser.get(path)
    assert_database_page(response)


def test_the_login_page_of_a_returning_browser_is_a_503_naming_the_database(browser):
    with database_down():
        response = browser.get("/accounts/login/")
    assert_database_page(response)


def test_a_login_with_the_database_stopped_is_refused_with_a_message(client):
    with database_down():
        response = client.post("/accounts/login/", {"username": "ines", "password": "x"})
    assert response.status_code == 503
    assert "database is not answering" in response.content.decode()


def test_a_session_that_cannot_be_saved_is_a_503_naming_the_database(browser):
    session = browser.session
    session[SESSION_LAST_SEEN] = 0  # stale: this page writes the session
    session.save()
    with database_down(only_writes=True):
        response = browser.get("/accounts/logout/")  # any page; this one needs no API
    assert_database_page(response)


def test_liveness_needs_no_database_even_with_a_session(browser):
    with database_down():
        response = browser.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok\n")


def test_readiness_answers_with_its_own_check_even_with_a_session(browser, monkeypatch):
    monkeypatch.setattr(health, "check_database", lambda: "database: Connection refused.")
    monkeypatch.setattr(health, "check_cache", lambda: None)
    monkeypatch.setattr(health, "check_api", lambda: None)
    health.forget_readiness()
    with database_down():
        browser.get("/readyz")
        health.wait_for_check()
        response = browser.get("/readyz")
    health.forget_readiness()
    assert (response.status_code, response.content) == (
        503,
        b"not ready: database: Connection refused.\n",
    )


def test_static_files_need_no_database(browser, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    with database_down():
        response = Client().get("/static/css/dashboard.css", HTTP_COOKIE=browser.cookies.output())
    assert response.status_code == 200


def test_a_database_error_in_a_view_is_the_same_page(rf, hr_admin):
    request = rf.get("/plans/")
    request.user = hr_admin
    response = ErrorPagesMiddleware(lambda r: None).process_exception(
        request, OperationalError(REFUSED)
    )
    assert_database_page(response)


def test_a_log_record_of_a_database_error_leaves_out_its_message():
    message = "duplicate key: Key (name)=(Joanne Stefani) already exists"
    try:
        raise OperationalError(message)
    except OperationalError:
        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Service Unavailable: %s",
            ("/plans/",),
            sys.exc_info(),
        )
    WithholdDatabaseMessages().filter(record)
    text = logging.Formatter().format(record)
    assert "Joanne" not in text
    assert "Service Unavailable: /plans/" in text
    assert "Traceback" in text and "OperationalError: (message withheld" in text


def test_a_database_error_as_a_log_argument_appears_by_type(caplog):
    record = logging.LogRecord(
        "audit", logging.ERROR, __file__, 1, "failed: %s", (OperationalError("Joanne"),), None
    )
    WithholdDatabaseMessages().filter(record)
    assert (
        record.getMessage()
        == "failed: OperationalError (message withheld: it can quote the statement's values)"
    )


def test_the_console_log_withholds_database_messages(settings):
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["withhold_database_messages"]
