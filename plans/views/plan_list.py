"""The plan list, its template suggestions and its CSV export."""

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import EmptyPage
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django_htmx.http import push_url

import audit
from plans import services
from plans.exceptions import TooManyRows, UpstreamError
from plans.exports import csv_response
from plans.filters import DEFAULT_PER_PAGE, PER_PAGE_CHOICES, PlanFilter, fold
from plans.forms import list_query
from plans.labels import frequency_label, status_label
from plans.tables import PlanListData, PlanPageData, PlanTable, plan_url
from plans.views.common import (
    HtmxHttpRequest,
    for_htmx,
    invalid_query,
    log,
    past_the_end,
    url_without,
    view_plans_required,
)


def _list_url(query: list[tuple[str, Any]]) -> str:
    url = reverse("plans:list")
    return f"{url}?{urlencode(query)}" if query else url


def _all_matching_plans(filterset: PlanFilter, client: services.Client) -> PlanListData:
    """Every plan that passes the filters (the API filters by name and template only)."""
    plans = services.plan_list_all(client=client, **filterset.upstream_params())
    filterset.offer_frequencies(plans)
    return PlanListData(filterset.filter_plans(plans))


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


def _invalid_filters(request: HttpRequest, filterset: PlanFilter) -> HttpResponse:
    filterset.offer_frequencies(())
    return invalid_query(request, "plans/plan_list.html", {"filter": filterset})


def _too_many_plans(
    request: HtmxHttpRequest, filterset: PlanFilter, error: TooManyRows
) -> HttpResponse:
    """The list page without a table, saying so and offering the ways to narrow it."""
    filterset.offer_frequencies(())
    context = {
        "filter": filterset,
        "too_many": error,
        "without_local_options_url": url_without(
            request, "plans:list", "status", "frequency", "sort"
        ),
    }
    return _render_list(request, context, status=error.status_code)


def _render_list(
    request: HtmxHttpRequest, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """The list page; for htmx (the filter form applied on change) its results alone."""
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "plans/plan_list.html#results", context, status=status)
    else:
        response = render(request, "plans/plan_list.html", context, status=status)
    return for_htmx(request, response)


@view_plans_required
def plan_list(request: HtmxHttpRequest) -> HttpResponse:
    if corrected := _corrected_page_size(request):
        return corrected
    filterset = PlanFilter(request.GET)
    if not filterset.is_valid():
        return _invalid_filters(request, filterset)

    client = services.client_for(request)
    _choose_template(filterset, client)
    clean_query = filterset.clean_query()
    # Detail links carry the list's query, for their "Back to results" link.
    back = list_query(urlencode(clean_query))
    if filterset.needs_all_plans:
        # The API cannot filter by status or frequency, nor sort: read every match.
        try:
            data: PlanListData | PlanPageData = _all_matching_plans(filterset, client)
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
    table = PlanTable(data, order_by=filterset.sort or None, back=back)
    try:
        table.paginate(page=filterset.page, per_page=filterset.per_page)
    except EmptyPage:
        last = table.paginator.num_pages
        return past_the_end(request, "page", filterset.page, last, "these results")
    if isinstance(data, PlanPageData):
        filterset.offer_frequencies(data.fetch().plans)
    if request.htmx:
        # The form sends its empty fields too: the links drawn from the query (pager,
        # sort, chips) follow the clean URL htmx shows instead.
        request.GET = QueryDict(urlencode(clean_query))
    export_query = [
        (name, value) for name, value in clean_query if name not in ("per_page", "page")
    ]
    context = {
        "filter": filterset,
        "table": table,
        "chips": [
            (label, value, url_without(request, "plans:list", param))
            for param, label, value in filterset.active_filters()
        ],
        # Unsorted, the list is the API's order (one call a page): say so, sorting a click away.
        "sort_by_name_url": _list_url(
            [(name, value) for name, value in clean_query if name != "page"] + [("sort", "name")]
        )
        if not filterset.sort and table.paginator.count > 1
        else "",
        "clear_filters_url": url_without(request, "plans:list", *filterset.filters),
        "export_url": _export_url(export_query),
    }
    response = _render_list(request, context)
    if request.htmx and not request.htmx.history_restore_request:
        push_url(response, _list_url(clean_query))
    return response


def _export_url(query: list[tuple[str, Any]]) -> str:
    url = reverse("plans:export")
    return f"{url}?{urlencode(query)}" if query else url


@view_plans_required
def template_options(request: HttpRequest) -> HttpResponse:
    """The organisation's templates as <option>s for the list's template field (htmx)."""
    templates = services.template_list(client=services.client_for(request))
    names = sorted({t.name for t in templates if t.name and not t.deleted}, key=fold)
    return render(request, "plans/plan_list.html#template-options", {"names": names})


def _export_name(filterset: PlanFilter) -> str:
    """The export's file name stem: "plans" and the filters in use, e.g. plans-active-evaluation."""
    values = [slugify(str(value))[:40] for _name, _label, value in filterset.active_filters()]
    return "-".join(["plans", *(value for value in values if value)])


@view_plans_required
def plan_export(request: HtmxHttpRequest) -> HttpResponseBase:
    """Every plan of the list's current filters and sort order, as CSV.

    Filtered by status or frequency, or sorted, every plan is read before the download
    starts. Otherwise the download starts with the first page and the others follow as
    they arrive: a later page's failure aborts the download (see `_aborting_on_failure`).
    Either way the export is recorded first, with the count the API gave.
    """
    filterset = PlanFilter(request.GET)
    if not filterset.is_valid():
        return _invalid_filters(request, filterset)
    client = services.client_for(request)
    _choose_template(filterset, client)
    plans: Iterable[services.PlanSummary]
    if filterset.needs_all_plans:
        try:
            data = _all_matching_plans(filterset, client)
        except TooManyRows as error:
            return _too_many_plans(request, filterset, error)
        # The table sorts the plans as the list shows them.
        table = PlanTable(data, order_by=filterset.sort or None)
        plans, row_count = table.data, len(table.data)
    else:
        try:
            stream = services.plan_stream(client=client, **filterset.upstream_params())
        except TooManyRows as error:
            return _too_many_plans(request, filterset, error)
        plans, row_count = _aborting_on_failure(stream.items), stream.count
    audit.record(request, action=audit.Action.EXPORT_PLANS, row_count=row_count)
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
