"""What every plan page shares: the permission gate, Refresh, htmx's Vary header, the page for
a query its form refuses, landing on a page that exists."""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails

from plans import services
from plans.tables import person_url as person_url  # the plan page's links to people


class HtmxHttpRequest(HttpRequest):
    """A request as django_htmx.middleware.HtmxMiddleware leaves it."""

    htmx: HtmxDetails


# Exports answer with a StreamingHttpResponse, pages with an HttpResponse.
View = Callable[..., HttpResponseBase]


def view_plans_required(view: View) -> View:
    """Plan pages: the view_plans permission, and only GET or HEAD (they change nothing)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            response = render(request, "405.html", status=405)
            response["Allow"] = "GET, HEAD"
            return response
        if request.GET.get("refresh") == "1":
            take_refresh(request)
        return view(request, *args, **kwargs)

    return _permission_required(guarded)


def take_refresh(request: HttpRequest) -> None:
    """Refresh (`?refresh=1`): this request's client bypasses the shared cache, the page passes
    `refresh=1` on to the fragments it loads (`request.refreshing`), and the links it draws
    from the query (pager, sort, filters) leave it out, so following them does not refresh."""
    services.client_for(request)  # bound now, while the query still says refresh
    request.refreshing = True  # type: ignore[attr-defined]
    query = request.GET.copy()
    del query["refresh"]
    request.GET = query  # type: ignore[assignment]


def url_without(request: HttpRequest, view: str, *params: str) -> str:
    """The URL of `view` with this request's query minus `params` (and page/refresh)."""
    query = request.GET.copy()
    for param in (*params, "page", "refresh"):
        query.pop(param, None)
    url = reverse(view)
    return f"{url}?{query.urlencode()}" if query else url


def for_htmx(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Pages that answer htmx with a part of themselves vary on its request header."""
    patch_vary_headers(response, ("HX-Request",))
    return response


def invalid_query(
    request: HttpRequest, template_name: str, context: dict[str, Any]
) -> HttpResponse:
    """A query the page's form refuses: the page with the form and its errors, as a 400.

    Nothing reached the API: the form vets every parameter first.
    """
    return for_htmx(request, render(request, template_name, context, status=400))


def with_page(request: HttpRequest, param: str, page: int) -> HttpResponse:
    """This page again, with `param` set to `page` (left out for the first page)."""
    query = request.GET.copy()
    query.pop("refresh", None)
    if page > 1:
        query[param] = str(page)
    else:
        query.pop(param, None)
    return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)


def past_the_end(
    request: HttpRequest, param: str, asked: int, last: int, what: str
) -> HttpResponse:
    """Land on the last page there is, saying why: a bookmark outlives the list's length."""
    messages.info(
        request,
        f"There is no page {asked} of {what}: this is page {last}, the last one."
        if last > 1
        else f"There is no page {asked} of {what}: they all fit on this page.",
    )
    return with_page(request, param, last)


_permission_required = permission_required("plans.view_plans", raise_exception=True)


log = logging.getLogger(__name__)
