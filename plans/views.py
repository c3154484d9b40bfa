"""The overview, plan list, plan detail, a plan's participation, people, and the CSV
exports. Views validate the query string, call the service, render.

Upstream failures of the main resource are not handled here:
plans.middleware.UpstreamErrorMiddleware turns every `UpstreamError` into a page with
the right status. The plan page's side panels (template, progress) are a page of their
own that the plan page loads after it is shown; their service call hands back each
panel's error instead of raising it, so one failing panel never hides the other.
Participation is loaded the same way, and shows its own failure inside its section.
"""

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import EmptyPage, Paginator
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
from plans.forms import (
    DEPARTMENTS_PER_PAGE,
    PARTICIPANTS_PER_PAGE,
    PARTICIPATION_SORTS,
    PEOPLE_SHOWN,
    STATE_FILTER_CHOICES,
    STATES_SELECTED,
    USERS_PER_PAGE,
    DetailForm,
    ParticipationForm,
    PeopleForm,
    list_query,
)
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
        "table": table.as_html(request),
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
# Per part of the plan page loaded by its own request ("panels", "participation"): the
# plans whose page's Refresh owes that part a fresh load.
_REFRESH_OWED = "plans_refresh_{}"
_REFRESH_KEPT = 20


def _refresh_next_time(request: HttpRequest, api_id: str, part: str) -> None:
    key = _REFRESH_OWED.format(part)
    pending = [i for i in request.session.get(key, []) if i != api_id]
    request.session[key] = [*pending[-(_REFRESH_KEPT - 1) :], api_id]


def _refresh_owed(request: HttpRequest, api_id: str, part: str) -> bool:
    return api_id in request.session.get(_REFRESH_OWED.format(part), [])


def _panels_url(request: HttpRequest, api_id: str) -> str:
    """The panels' URL, saying they are to come fresh when the page's Refresh owes it them."""
    url = reverse("plans:panels", kwargs={"api_id": api_id})
    return f"{url}?refresh=1" if _refresh_owed(request, api_id, "panels") else url


def _part_client(request: HttpRequest, api_id: str, part: str) -> services.Client:
    """A part's client: bypassing the cache once after its plan page's Refresh."""
    key = _REFRESH_OWED.format(part)
    owed = request.session.get(key, [])
    if request.GET.get("refresh") != "1" or api_id not in owed:
        return services.client_for(request)
    request.session[key] = [i for i in owed if i != api_id]
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
        # The side panels and participation are fetched by their own requests, which the
        # refreshed page asks to refresh too: the redirect does not wait for them.
        if client.bypass_cache:
            for part in ("panels", "participation"):
                _refresh_next_time(request, api_id, part)
        return redirect_response

    back = form.cleaned_data["back"]
    detail_url = plan_url(api_id) or request.path
    users_export_url = reverse("plans:users_export", kwargs={"api_id": api_id})
    context = {
        "plan": plan,
        "status_badge": status_badge(plan.status),
        "frequency": frequency_label(plan.frequency),
        "panels_url": _panels_url(request, api_id),
        "participation_url": _participation_url(
            api_id, q=query, refresh="1" if _refresh_owed(request, api_id, "participation") else ""
        ),
        "query": query,
        "back": back,
        "back_url": f"{reverse('plans:list')}?{back}" if back else reverse("plans:list"),
        "share_url": request.build_absolute_uri(detail_url),
        "users_export_url": f"{users_export_url}?{urlencode({'q': query})}"
        if query
        else users_export_url,
        "users": users.as_html(request),
        "user_count": len(matching_users),
        "user_total": len(plan.assigned_users),
        "departments": departments.as_html(request),
        "department_count": len(matching_departments),
        "department_total": len(plan.assigned_departments),
    }
    return render(request, "plans/plan_detail.html", context)


@view_plans_required
def plan_panels(request: HtmxHttpRequest, api_id: str) -> HttpResponse:
    """The plan page's side panels, its template's details and its progress.

    They cost several upstream calls after the plan's own (the template, and every page
    of the conversations with the plan's name: 33 for a plan of 3,000, shared with
    participation through the cache), so the plan page is sent without them and htmx
    loads them from here once it is shown (the panels alone); without JavaScript, the
    plan page links here (a page of its own).
    """
    client = _part_client(request, api_id, "panels")
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


def _participation_url(api_id: str, **params: str) -> str:
    url = reverse("plans:participation", kwargs={"api_id": api_id})
    query = urlencode({key: value for key, value in params.items() if value})
    return f"{url}?{query}" if query else url


def _person_url(name: str, api_id: str) -> str:
    return f"{reverse('people')}?{urlencode({'name': name, 'person': api_id})}"


@view_plans_required
def plan_participation(request: HtmxHttpRequest, api_id: str) -> HttpResponse:
    """Where each of a plan's assigned users stands in it: filtered, sorted, paged.

    It reads every conversation of the plan (a page of the API per 100), so the plan
    page is sent without it and htmx loads it from here once the page is shown (the
    section alone); without JavaScript the plan page links here (a page of its own). A
    failure to read the conversations shows inside the section (on the page of its own,
    with the error's status).
    """
    form = ParticipationForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    client = _part_client(request, api_id, "participation")
    plan = services.plan_get(client=client, api_id=api_id)
    context: dict[str, Any] = {
        "plan": plan,
        "detail_url": reverse("plans:detail", kwargs={"api_id": api_id}),
    }
    status = 200
    try:
        participation = services.plan_participation(client=client, plan=plan)
    except UpstreamError as error:
        context["error"] = error
        status = error.status_code
    else:
        if not request.htmx and (redirect_response := _without_refresh(request)):
            return redirect_response
        try:
            context.update(_participation_context(request, form, api_id, participation))
        except EmptyPage as past_the_end:
            asked, last = form.cleaned_data["page"], past_the_end.args[1]
            return _past_the_end(request, "page", asked, last, "people")
        try:
            audit.record(
                request,
                action=audit.Action.PARTICIPATION_VIEW,
                plan_id=plan.api_id,
                plan_name=plan.name,
                person=form.cleaned_data["q"],
                row_count=len(context["rows"]),
            )
        except audit.AuditUnavailable as error:
            return audit.refusal(request, error)
    if request.htmx:
        # The section alone, to be swapped into the plan page: a failure is described
        # inside it, so it is sent as a success (htmx swaps only those) and shows there.
        response = render(request, "plans/participation_fragment.html", context)
    else:
        response = render(request, "plans/participation.html", context, status=status)
    return _for_htmx(request, response)


def _participation_context(
    request: HttpRequest,
    form: ParticipationForm,
    api_id: str,
    participation: services.Participation,
) -> dict:
    query, state, sort = (form.cleaned_data[key] for key in ("q", "state", "sort"))
    searched = form.searched(participation.participants)
    selected = form.selected(participation.participants)
    paginator = Paginator(selected, PARTICIPANTS_PER_PAGE)
    try:
        page = paginator.page(form.cleaned_data["page"])
    except EmptyPage:
        raise EmptyPage("past the end", paginator.num_pages) from None

    def url(**changes: str) -> str:
        params = {"q": query, "state": state, "sort": sort, **changes}
        return _participation_url(api_id, **params)

    in_state = Counter(participant.standing.state for participant in searched)
    state_links = [("", "Everyone", len(searched))] + [
        (value, label.split(" (")[0], sum(in_state[one] for one in STATES_SELECTED[value]))
        for value, label in STATE_FILTER_CHOICES
    ]
    current_sort = sort  # none: the plan's order
    sort_links = {
        column: {
            "url": url(sort=f"-{column}" if current_sort == column else column),
            "direction": "ascending"
            if current_sort == column
            else "descending"
            if current_sort == f"-{column}"
            else "",
        }
        for column in PARTICIPATION_SORTS
    }
    # The bar's segments in percent of the plan's people, as x and width of SVG rects
    # (the CSP allows no inline style, so no CSS widths).
    bar, x = [], 0.0
    for bar_state, count in (
        (services.COMPLETED, participation.completed),
        (services.IN_PROGRESS, participation.in_progress),
        (services.NOT_STARTED, participation.not_started),
    ):
        width = 100 * count / participation.total if participation.total else 0
        bar.append({"state": bar_state, "x": f"{x:.3f}", "width": f"{width:.3f}"})
        x += width
    export_url = reverse("plans:users_export", kwargs={"api_id": api_id})
    export_query = urlencode(
        {k: v for k, v in (("q", query), ("state", state), ("sort", sort)) if v}
    )
    return {
        "participation": participation,
        "bar": bar,
        "query": query,
        "state": state,
        "sort": sort,
        "state_links": [
            {"label": label, "count": count, "url": url(state=value), "current": value == state}
            for value, label, count in state_links
        ],
        "sort_links": sort_links,
        "page": page,
        "rows": [
            (participant, _person_url(participant.user.name, participant.user.api_id))
            for participant in page.object_list
        ],
        "previous_url": url(page=str(page.previous_page_number())) if page.has_previous() else "",
        "next_url": url(page=str(page.next_page_number())) if page.has_next() else "",
        "export_url": f"{export_url}?{export_query}" if export_query else export_url,
        "clear_url": _participation_url(api_id, sort=sort),
        "self_url": reverse("plans:participation", kwargs={"api_id": api_id}),
    }


@view_plans_required
def plan_users_export(request: HttpRequest, api_id: str) -> HttpResponseBase:
    """The plan's assigned users, with where they stand, as the participation list filters
    and sorts them (or the plan page's search, which sets `q` only), as CSV."""
    form = ParticipationForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    client = services.client_for(request)
    plan = services.plan_get(client=client, api_id=api_id)
    participation = services.plan_participation(client=client, plan=plan)
    selected = form.selected(participation.participants)
    try:
        audit.record(
            request,
            action=audit.Action.EXPORT_PLAN_USERS,
            plan_id=plan.api_id,
            plan_name=plan.name,
            row_count=len(selected),
        )
    except audit.AuditUnavailable as error:
        return audit.refusal(request, error)
    header = ["Name", "Email", "User ID", "State", "Stage", "Completed on", "Rounds completed"]
    rows = (
        [
            p.user.name,
            p.user.email,
            p.user.api_id,
            p.standing.state_label,
            p.standing.stage if p.standing.state == services.IN_PROGRESS else "",
            p.standing.completed.date().isoformat() if p.standing.completed else "",
            p.standing.rounds_completed,
        ]
        for p in selected
    )
    stem = f"{slugify(plan.name)[:60] or 'plan'}-users"
    return csv_response(stem, header, rows)


@view_plans_required
def people(request: HttpRequest) -> HttpResponse:
    """Find people by name; for the person chosen, every plan they have conversations in."""
    form = PeopleForm(request.GET)
    if not form.is_valid():
        return render(request, "plans/people.html", {"form": form}, status=400)
    name, person_id = form.cleaned_data["name"], form.cleaned_data["person"]
    context: dict = {"form": form, "name": name}
    if name and not person_id:
        client = services.client_for(request)
        found = services.people_find(client=client, name=name, limit=PEOPLE_SHOWN)
        context["found"] = found
        context["found_rows"] = [
            (person, _person_url(person.name, person.api_id)) for person in found.people
        ]
    elif person_id:
        client = services.client_for(request)
        person = services.person_find(client=client, name=name, api_id=person_id)
        plans = services.person_plans(client=client, person=person)
        context["person"] = person
        context["plan_rows"] = [
            (
                plan,
                f"{url}?{urlencode({'q': person.name})}"
                if (url := plan_url(plan.plan_api_id))
                else "",
            )
            for plan in plans
        ]
        context["search_url"] = f"{reverse('people')}?{urlencode({'name': name})}"
    if redirect_response := _without_refresh(request):
        return redirect_response
    if name or person_id:
        try:
            audit.record(
                request,
                action=audit.Action.PERSON_LOOKUP,
                person=context["person"].name if person_id else name,
                row_count=len(context.get("plan_rows") or context.get("found_rows") or ()),
            )
        except audit.AuditUnavailable as error:
            return audit.refusal(request, error)
    return render(request, "plans/people.html", context)
