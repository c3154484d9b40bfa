"""The overview, plan list, plan detail and their CSV exports. Views validate the query string, call
the service, render.

Upstream failures of the main resource are not handled here:
plans.middleware.UpstreamErrorMiddleware turns every `UpstreamError` into a page with
the right status. The plan page's side panels (template, progress) are a page of their
own that the plan page loads after it is shown; their service call hands back each
panel's error instead of raising it, so one failing panel never hides the other.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import EmptyPage
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from django_htmx.http import push_url
from django_htmx.middleware import HtmxDetails

import audit
from plans import services
from plans.charts import overview_charts
from plans.exceptions import TooManyRows, UpstreamError
from plans.exports import csv_response
from plans.filters import DEFAULT_PER_PAGE, PER_PAGE_CHOICES, PlanFilter, fold
from plans.forms import DEPARTMENTS_PER_PAGE, USERS_PER_PAGE, DetailForm, list_query
from plans.labels import frequency_label, status_label
from plans.tables import (
    DepartmentTable,
    PlanListData,
    PlanPageData,
    PlanTable,
    UserTable,
    plan_url,
    status_badge,
)

log = logging.getLogger(__name__)

_permission_required = permission_required("plans.view_plans", raise_exception=True)


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
        return view(request, *args, **kwargs)

    return _permission_required(guarded)


def _without_refresh(request: HttpRequest) -> HttpResponse | None:
    """After a Refresh (cache bypassed, fresh copy stored), land on the clean URL."""
    if request.GET.get("refresh") != "1":
        return None
    query = request.GET.copy()
    del query["refresh"]
    return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)


def _url_without(request: HttpRequest, view: str, *params: str) -> str:
    """The URL of `view` with this request's query minus `params` (and page/refresh)."""
    query = request.GET.copy()
    for param in (*params, "page", "refresh"):
        query.pop(param, None)
    url = reverse(view)
    return f"{url}?{query.urlencode()}" if query else url


def _all_matching_plans(
    filterset: PlanFilter, client: services.Client, *, back: str = ""
) -> PlanTable:
    """A table over every plan that passes the filters, sorted as the URL says."""
    plans = services.plan_list_all(client=client, **filterset.upstream_params())
    filterset.offer_frequencies(plans)
    data = PlanListData(filterset.filter_plans(plans))
    return PlanTable(data, order_by=filterset.sort or None, back=back)


def _too_many_plans(
    request: HttpRequest, filterset: PlanFilter, error: TooManyRows
) -> HttpResponse:
    """The list page without a table, saying so and offering the ways to narrow it."""
    filterset.offer_frequencies(())
    context = {
        "filter": filterset,
        "too_many": error,
        "without_local_options_url": _url_without(
            request, "plans:list", "status", "frequency", "sort"
        ),
    }
    response = render(request, "plans/plan_list.html", context, status=error.status_code)
    return _for_htmx(request, response)


def _list_url(query: list[tuple[str, object]]) -> str:
    url = reverse("plans:list")
    return f"{url}?{urlencode(query)}" if query else url


def _for_htmx(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Pages that answer htmx with a part of themselves vary on its request header."""
    patch_vary_headers(response, ("HX-Request",))
    return response


def _with_page(request: HttpRequest, param: str, page: int) -> HttpResponse:
    """This page again, with `param` set to `page` (left out for the first page)."""
    query = request.GET.copy()
    query.pop("refresh", None)
    if page > 1:
        query[param] = str(page)
    else:
        query.pop(param, None)
    return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)


def _past_the_end(
    request: HttpRequest, param: str, asked: int, last: int, what: str
) -> HttpResponse:
    """Land on the last page there is, saying why: a bookmark outlives the list's length."""
    messages.info(
        request,
        f"There is no page {asked} of {what}: this is page {last}, the last one."
        if last > 1
        else f"There is no page {asked} of {what}: they all fit on this page.",
    )
    return _with_page(request, param, last)


def _corrected_page_size(request: HttpRequest) -> HttpResponse | None:
    """An unknown page size lands on the nearest one offered, saying so."""
    raw = request.GET.get("per_page", "").strip()
    if not raw or raw in {str(n) for n in PER_PAGE_CHOICES}:
        return None
    try:
        asked = int(raw)
    except ValueError:
        nearest = DEFAULT_PER_PAGE
    else:
        nearest = min(PER_PAGE_CHOICES, key=lambda n: (abs(n - asked), n))
    messages.info(
        request,
        f"The list shows 10, 25, 50 or 100 rows per page, not “{raw[:20]}”: "
        f"here are {nearest} per page.",
    )
    query = request.GET.copy()
    query["per_page"] = str(nearest)
    query.pop("page", None)
    return redirect(f"{request.path}?{query.urlencode()}")


def _choose_template(filterset: PlanFilter, client: services.Client) -> None:
    """Send the API the exact name of the template asked for (see PlanFilter.choose_template).

    Without the templates list (the API failing on it) the name goes as typed: the
    plans call that follows reports the API's trouble itself.
    """
    if not filterset.form.cleaned_data.get("template_name"):
        return
    try:
        templates = services.template_list(client=client)
    except UpstreamError:
        return
    filterset.choose_template(template.name for template in templates)


@view_plans_required
def overview(request: HttpRequest) -> HttpResponse:
    """Plan totals by status, template and frequency, and conversations by template, as
    charts. A failed plan set is the usual error page; failed conversation counts show
    inside their own chart only."""
    summary = services.organisation_overview(client=services.client_for(request))
    if redirect_response := _without_refresh(request):
        return redirect_response
    context = {
        "charts": overview_charts(summary),
        "conversations_error": summary.conversations_error,
        "top_templates": services.OVERVIEW_TEMPLATES,
    }
    return render(request, "plans/overview.html", context)


@view_plans_required
def plan_list(request: HtmxHttpRequest) -> HttpResponse:
    if corrected := _corrected_page_size(request):
        return corrected
    filterset = PlanFilter(request.GET)
    if not filterset.is_valid():
        filterset.offer_frequencies(())
        response = render(request, "plans/plan_list.html", {"filter": filterset}, status=400)
        return _for_htmx(request, response)

    client = services.client_for(request)
    _choose_template(filterset, client)
    clean_query = filterset.clean_query()
    # Detail links carry the list's query, for their "Back to results" link.
    back = list_query(urlencode(clean_query))
    if filterset.needs_all_plans:
        # The API cannot filter by status or frequency, nor sort: read every match.
        try:
            table = _all_matching_plans(filterset, client, back=back)
        except TooManyRows as error:
            return _too_many_plans(request, filterset, error)
    else:
        # The plain list costs one upstream call per page.
        data = PlanPageData(
            client=client,
            filters=filterset.upstream_params(),
            page=filterset.page,
            per_page=filterset.per_page,
        )
        table = PlanTable(data, back=back)
    try:
        table.paginate(page=filterset.page, per_page=filterset.per_page)
    except EmptyPage:
        last = table.paginator.num_pages
        return _past_the_end(request, "page", filterset.page, last, "these results")
    if redirect_response := _without_refresh(request):
        return redirect_response
    if not filterset.needs_all_plans:
        filterset.offer_frequencies(data.fetch().plans)
    page = table.page
    chips = [
        (label, value, _url_without(request, "plans:list", param))
        for param, label, value in filterset.active_filters()
    ]
    in_use = [name for name, _label, _value in filterset.active_filters()]
    export_query = [
        (name, value) for name, value in clean_query if name not in ("per_page", "page")
    ]
    context = {
        "filter": filterset,
        "filters_in_use": len(in_use),
        "table": table,
        "count": table.paginator.count,
        "first": page.start_index(),
        "last": page.end_index(),
        "chips": chips,
        # Unsorted, the list is the API's order (one call a page): say so, sorting a click away.
        "sort_by_name_url": _list_url(
            [(name, value) for name, value in clean_query if name != "page"] + [("sort", "name")]
        )
        if not filterset.sort and table.paginator.count > 1
        else "",
        "clear_filters_url": _url_without(request, "plans:list", *filterset.filters),
        "export_url": f"{reverse('plans:export')}?{urlencode(export_query)}"
        if export_query
        else reverse("plans:export"),
    }
    if request.htmx and not request.htmx.history_restore_request:
        # The filter form applied on change: swap the results, show the clean URL.
        response = render(request, "plans/plan_list_results.html", context)
        return _for_htmx(request, push_url(response, _list_url(clean_query)))
    return _for_htmx(request, render(request, "plans/plan_list.html", context))


def list_filters_in_use(request: HttpRequest) -> list[tuple[str, str]]:
    """(label, value) of the plan list's filters in this request, for its error page.

    The list's error page names them and links to the list without them, which may work
    where the filtered list did not.
    """
    match = request.resolver_match
    if not match or match.view_name not in ("plans:list", "plans:export"):
        return []
    filterset = PlanFilter(request.GET)
    if not filterset.is_valid():
        return []
    return [(label, value) for _name, label, value in filterset.active_filters()]


@view_plans_required
def template_options(request: HttpRequest) -> HttpResponse:
    """The organisation's templates as <option>s for the list's template field (htmx)."""
    templates = services.template_list(client=services.client_for(request))
    names = sorted({t.name for t in templates if t.name and not t.deleted}, key=fold)
    return render(request, "plans/template_options.html", {"names": names})


def _export_name(filterset: PlanFilter) -> str:
    """The export's file name stem: "plans" and the filters in use, e.g. plans-active-evaluation."""
    values = [slugify(str(value))[:40] for _name, _label, value in filterset.active_filters()]
    return "-".join(["plans", *(value for value in values if value)])


@view_plans_required
def plan_export(request: HttpRequest) -> HttpResponseBase:
    """Every plan of the list's current filters and sort order, as CSV.

    Filtered by status or frequency, or sorted, every plan is read before the download
    starts. Otherwise the download starts with the first page and the others follow as
    they arrive: a later page's failure aborts the download (see `_aborting_on_failure`).
    Either way the export is recorded first, with the count the API gave.
    """
    filterset = PlanFilter(request.GET)
    if not filterset.is_valid():
        filterset.offer_frequencies(())
        return render(request, "plans/plan_list.html", {"filter": filterset}, status=400)
    client = services.client_for(request)
    _choose_template(filterset, client)
    plans: Iterable[services.PlanSummary]
    try:
        if filterset.needs_all_plans:
            table = _all_matching_plans(filterset, client)
            plans, row_count = table.data, len(table.data)
        else:
            stream = services.plan_stream(client=client, **filterset.upstream_params())
            plans, row_count = _aborting_on_failure(stream.items), stream.count
    except TooManyRows as error:
        return _too_many_plans(request, filterset, error)
    try:
        audit.record(request, action=audit.Action.EXPORT_PLANS, row_count=row_count)
    except audit.AuditUnavailable as error:
        return audit.refusal(request, error)
    header = ["Plan", "Template", "Status", "Frequency", "Plan ID", "Template ID", "Link"]
    # What build_absolute_uri() puts before a path, worked out once for every row.
    origin = request.build_absolute_uri("/").removesuffix("/")
    rows = (
        [
            plan.name,
            plan.template_name,
            status_label(plan.status),
            frequency_label(plan.frequency),
            plan.api_id,
            plan.template_api_id,
            f"{origin}{url}" if (url := plan_url(plan.api_id)) else "",
        ]
        for plan in plans
    )
    return csv_response(_export_name(filterset), header, rows)


def _aborting_on_failure(plans: Iterator[services.PlanSummary]) -> Iterator[services.PlanSummary]:
    """`plans`, logging an upstream failure before it aborts the download.

    The failure propagates: the server then drops the connection without ending the
    response, so the browser marks the download as failed rather than keeping a file
    that looks complete.
    """
    sent = 0
    try:
        for plan in plans:
            yield plan
            sent += 1
    except UpstreamError as error:
        log.warning("plans export aborted after %d rows: %s (%s)", sent, error, error.detail or "-")
        raise


# Plans whose page was just refreshed: their panels' request bypasses the cache as part of
# the same Refresh (the page's claim on the user's refresh allowance covers both).
_REFRESH_PANELS = "plans_refresh_panels"
_REFRESH_PANELS_KEPT = 20


def _refresh_panels_next_time(request: HttpRequest, api_id: str) -> None:
    pending = [i for i in request.session.get(_REFRESH_PANELS, []) if i != api_id]
    request.session[_REFRESH_PANELS] = [*pending[-(_REFRESH_PANELS_KEPT - 1) :], api_id]


def _panels_url(request: HttpRequest, api_id: str) -> str:
    """The panels' URL, saying they are to come fresh when the page's Refresh owes it them."""
    url = reverse("plans:panels", kwargs={"api_id": api_id})
    owed = api_id in request.session.get(_REFRESH_PANELS, [])
    return f"{url}?refresh=1" if owed else url


def _panels_client(request: HttpRequest, api_id: str) -> services.Client:
    """The panels' client: bypassing the cache once after their plan page's Refresh."""
    owed = request.session.get(_REFRESH_PANELS, [])
    if request.GET.get("refresh") != "1" or api_id not in owed:
        return services.client_for(request)
    request.session[_REFRESH_PANELS] = [i for i in owed if i != api_id]
    client = services.Client.from_settings(bypass_cache=True)
    # Bound to the request as client_for binds it (freed after the response, read by
    # the footer's "Data as of").
    request._pe365_client = client  # type: ignore[attr-defined]
    return client


@view_plans_required
def plan_detail(request: HttpRequest, api_id: str) -> HttpResponse:
    form = DetailForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    client = services.client_for(request)
    plan = services.plan_get(client=client, api_id=api_id)
    query = form.cleaned_data["q"]
    matching_users = form.matching_users(plan.assigned_users)
    matching_departments = form.matching_departments(plan.assigned_departments)
    users = UserTable(
        matching_users,
        prefix="users_",
        empty_text=f"No assigned user matches “{query}”." if query else None,
    )
    departments = DepartmentTable(
        matching_departments,
        prefix="departments_",
        empty_text=f"No assigned department matches “{query}”." if query else None,
    )
    for table, param, per_page, what in (
        (users, "users_page", USERS_PER_PAGE, "assigned users"),
        (departments, "departments_page", DEPARTMENTS_PER_PAGE, "assigned departments"),
    ):
        try:
            table.paginate(page=form.cleaned_data[param], per_page=per_page)
        except EmptyPage:
            last = table.paginator.num_pages
            return _past_the_end(request, param, form.cleaned_data[param], last, what)
    if redirect_response := _without_refresh(request):
        # The side panels are fetched by their own request (plan_panels), which the
        # refreshed page asks to refresh too: the redirect does not wait for them.
        if client.bypass_cache:
            _refresh_panels_next_time(request, api_id)
        return redirect_response

    back = form.cleaned_data["back"]
    detail_url = plan_url(api_id) or request.path
    users_export_url = reverse("plans:users_export", kwargs={"api_id": api_id})
    context = {
        "plan": plan,
        "status_badge": status_badge(plan.status),
        "frequency": frequency_label(plan.frequency),
        "panels_url": _panels_url(request, api_id),
        "query": query,
        "back": back,
        "back_url": f"{reverse('plans:list')}?{back}" if back else reverse("plans:list"),
        "share_url": request.build_absolute_uri(detail_url),
        "users_export_url": f"{users_export_url}?{urlencode({'q': query})}"
        if query
        else users_export_url,
        "users": users,
        "user_count": len(matching_users),
        "user_total": len(plan.assigned_users),
        "departments": departments,
        "department_count": len(matching_departments),
        "department_total": len(plan.assigned_departments),
    }
    return render(request, "plans/plan_detail.html", context)


@view_plans_required
def plan_panels(request: HtmxHttpRequest, api_id: str) -> HttpResponse:
    """The plan page's side panels, its template's details and its progress.

    They cost several upstream calls after the plan's own (the template; a draft count
    and every page of completed conversations: 20 for a plan of 3,000), so the plan
    page is sent without them and htmx loads them from here once it is shown (the
    panels alone); without JavaScript, the plan page links here (a page of its own).
    """
    client = _panels_client(request, api_id)
    plan = services.plan_get(client=client, api_id=api_id)
    # Template and progress: concurrent, and each failure stays inside its own panel.
    extras = services.plan_extras(client=client, plan=plan)
    if not request.htmx and (redirect_response := _without_refresh(request)):
        return redirect_response
    context = {
        "plan": plan,
        "detail_url": reverse("plans:detail", kwargs={"api_id": api_id}),
        "template": extras.template,
        "template_error": extras.template_error,
        "progress": extras.progress,
        "progress_error": extras.progress_error,
    }
    if request.htmx:
        return _for_htmx(request, render(request, "plans/plan_panels_content.html", context))
    return _for_htmx(request, render(request, "plans/plan_panels.html", context))


@view_plans_required
def plan_users_export(request: HttpRequest, api_id: str) -> HttpResponseBase:
    """The plan's assigned users matching the detail page's search, as CSV."""
    form = DetailForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    plan = services.plan_get(client=services.client_for(request), api_id=api_id)
    users = form.matching_users(plan.assigned_users)
    try:
        audit.record(
            request,
            action=audit.Action.EXPORT_PLAN_USERS,
            plan_id=plan.api_id,
            plan_name=plan.name,
            row_count=len(users),
        )
    except audit.AuditUnavailable as error:
        return audit.refusal(request, error)
    rows = ([user.name, user.email, user.api_id] for user in users)
    stem = f"{slugify(plan.name)[:60] or 'plan'}-users"
    return csv_response(stem, ["Name", "Email", "User ID"], rows)
