from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from plans import services
from plans.exceptions import UpstreamError
from plans.views import list_filters_in_use


class UpstreamErrorMiddleware:
    """Turns a failed upstream call in any view into a friendly page with the right status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, UpstreamError):
            return None
        response = TemplateResponse(
            request,
            "plans/upstream_error.html",
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
