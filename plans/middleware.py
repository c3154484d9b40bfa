"""Cross-cutting request handling: refusing what cannot be served, errors into pages,
private responses, idle sessions.

Errors become pages here and nowhere else: a view raises `UpstreamError`, lets
`audit.AuditUnavailable` and the database's `DatabaseError` propagate, and
`ErrorPagesMiddleware` answers with the page. A database error outside any view (the
session read before the view, the session save after it) reaches `server_error`, the
project's handler500, which gives the same database page.
"""

import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth import middleware as auth_middleware
from django.core.exceptions import BadRequest
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.utils.html import format_html
from django.views import defaults

import audit
from plans import services
from plans.exceptions import UpstreamError
from plans.filters import list_filters_in_use

GetResponse = Callable[[HttpRequest], HttpResponse]


# --- Refusing at once what cannot be served ---------------------------------------------------

# Set by the gunicorn worker (dashboard/serving.py) from when the connection was queued for a
# worker thread; the worker drops any copy a client sends.
QUEUED_AT_META = "HTTP_X_DASHBOARD_QUEUED_AT"

# The clock the worker stamps with (the same process, so monotonic); tests replace it.
clock = time.monotonic


def _plain_page(title: str, text: str, status: int, **headers: str) -> HttpResponse:
    """A small page that needs no template, no context processor and no database."""
    body = format_html(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{} · Plans dashboard</title>"
        '<link rel="stylesheet" href="{}"><link rel="stylesheet" href="{}"></head>'
        '<body><main class="container-xl py-4"><div class="error-page">'
        '<h1 class="h3">{}</h1><p class="lead">{}</p>'
        '<p class="text-body-secondary small">Error {}</p></div></main></body></html>',
        title,
        static("vendor/bootstrap/bootstrap.min.css"),
        static("css/dashboard.css"),
        title,
        text,
        status,
    )
    response = HttpResponse(body, status=status, headers=headers)
    patch_cache_control(response, no_store=True)
    return response


class QueueDeadlineMiddleware:
    """Answers 503 "busy" at once when a request waited a whole PE365_TIMEOUT for a thread.

    Its page could no longer be made within its budget; starting it would only make the
    requests queued behind it wait longer. Liveness (/healthz) is always answered.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._waited(request) >= settings.PE365_TIMEOUT and request.path != "/healthz":
            return _plain_page(
                "The dashboard is busy",
                "Too many pages were asked for at once, and this one waited too long to "
                "start. Try again in a few seconds.",
                503,
                **{"Retry-After": "5"},
            )
        return self.get_response(request)

    @staticmethod
    def _waited(request: HttpRequest) -> float:
        try:
            return clock() - float(request.META.get(QUEUED_AT_META, ""))
        except ValueError:
            return 0.0


class SafeQueryStringMiddleware:
    """A query string must be UTF-8 text without NUL: anything else is a 400.

    Django would read undecodable bytes as U+FFFD and pass NUL on, to a database that
    refuses it (PostgreSQL) and to pages that echo it.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # WSGI hands the query string over as latin-1: back to its bytes, then unquoted.
        raw = request.META.get("QUERY_STRING", "").encode("latin-1", "replace")
        try:
            text = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("The query string is not UTF-8 text.") from None
        if "\x00" in text or "\x00" in request.path_info:
            raise BadRequest("The address holds a NUL character.")
        return self.get_response(request)


# --- Sessions ---------------------------------------------------------------------------------


class PrivateResponsesMiddleware:
    """Pages and downloads show employees' names and e-mails: no cache may keep a copy.

    Static files never reach it (WhiteNoise answers them first) and stay cacheable.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_cache_control(response, private=True, no_store=True)
        return response


# Key in the session: when the session was last seen in use (seconds since the epoch).
SESSION_LAST_SEEN = "last_seen"
# How stale the stamp may get before a request refreshes it: one session write per
# minute of activity at most, instead of one per request.
LAST_SEEN_RESOLUTION_SECONDS = 60


def stamp_session_at_login(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """Starts the idle clock at login (user_logged_in), so the first page writes no session."""
    request.session[SESSION_LAST_SEEN] = int(time.time())


def _needs_login(view_func: Callable[..., object]) -> bool:
    return getattr(view_func, "login_required", True)


class SessionIdleTimeoutMiddleware:
    """Logs out a session unused for longer than SESSION_IDLE_TIMEOUT seconds.

    The next page then asks to log in again (LoginRequiredMiddleware). Pages open to
    everyone (log-in, health checks) leave the session alone, so they need no database.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., object], *args: object
    ) -> None:
        if not _needs_login(view_func) or not request.user.is_authenticated:
            return
        now = int(time.time())
        last_seen = request.session.get(SESSION_LAST_SEEN)
        if isinstance(last_seen, int) and now - last_seen > settings.SESSION_IDLE_TIMEOUT:
            logout(request)
        elif not isinstance(last_seen, int) or now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
            request.session[SESSION_LAST_SEEN] = now


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's, except that a page open to everyone does not read the session first.

    Django's asks who the user is before it looks at the view; here /healthz, /readyz
    and the log-in page stay free of the database that question needs.
    """

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[Any, ...],
        view_kwargs: dict[Any, Any],
    ) -> HttpResponseBase | None:
        if not _needs_login(view_func):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


# --- Errors into pages ------------------------------------------------------------------------


def is_database_failure(error: BaseException | None) -> bool:
    """A database error, or an error raised while handling one (a session's UpdateError)."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, DatabaseError):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 page of a failing database: names it, uses nothing that needs it."""
    name = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(connection.vendor, "its")
    return _plain_page(
        "The dashboard's database is not answering",
        f"The dashboard keeps logins, sessions and its audit log in a database ({name}), "
        "and that database did not answer just now, so this page cannot be shown. "
        "Nothing was changed. Try again in a minute; if it keeps happening, tell the "
        "dashboard's administrator.",
        503,
        **{"Retry-After": "30"},
    )


class ErrorPagesMiddleware:
    """Turns a failed upstream call, a refused audit entry or a failing database in any
    view into its page with the right status."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, UpstreamError):
            # A part of a page that htmx loads gets the error alone, to show in its place.
            partial = "#error" if getattr(request, "htmx", False) else ""
            response = TemplateResponse(
                request,
                f"plans/upstream_error.html{partial}",
                {"error": exception, "filters_in_use": list_filters_in_use(request)},
                status=exception.status_code,
            )
            # An error that knows when to come back says so (OrganisationBeingRead).
            if retry_after := getattr(exception, "retry_after", None):
                response["Retry-After"] = str(retry_after)
            return response.render()
        if isinstance(exception, audit.AuditUnavailable):
            return audit.refusal(request, exception)
        if is_database_failure(exception):
            return database_unavailable(request)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database error before or after the view still gets the database page."""
    if is_database_failure(sys.exc_info()[1]):
        return database_unavailable(request)
    return defaults.server_error(request)


class ReleaseClientMiddleware:
    """Frees the request's API client as soon as its response is made (see release_client)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            services.release_client(request)
