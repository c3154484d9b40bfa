import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control

from plans import services
from plans.exceptions import UpstreamError
from plans.views.plan_list import list_filters_in_use


class PrivateResponsesMiddleware:
    """Pages and downloads show employees' names and e-mails: no cache may keep a copy.

    Static files never reach it (WhiteNoise answers them first) and stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
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


class SessionIdleTimeoutMiddleware:
    """Logs out a session unused for longer than SESSION_IDLE_TIMEOUT seconds.

    The next page then asks to log in again (LoginRequiredMiddleware).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(SESSION_LAST_SEEN)
            if isinstance(last_seen, int) and now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
            elif not isinstance(last_seen, int) or now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
                request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


class UpstreamErrorMiddleware:
    """Turns a failed upstream call in any view into a friendly page with the right status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, UpstreamError):
            return None
        # A part of a page that htmx loads gets the error alone, to show in the part's place.
        partial = "#error" if getattr(request, "htmx", False) else ""
        response = TemplateResponse(
            request,
            f"plans/upstream_error.html{partial}",
            {"error": exception, "filters_in_use": list_filters_in_use(request)},
            status=exception.status_code,
        )
        return response.render()


class ReleaseClientMiddleware:
    """Frees the request's API client as soon as its response is made (see release_client)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            services.release_client(request)
