"""A plan's page, its side panels, its participation and its people as CSV."""

from collections import Counter
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify

import audit
from plans import services
from plans.exceptions import UpstreamError
from plans.exports import csv_response
from plans.forms import (
    DEPARTMENTS_PER_PAGE,
    PARTICIPANTS_PER_PAGE,
    PARTICIPATION_SORTS,
    STATE_FILTER_CHOICES,
    STATES_SELECTED,
    USERS_PER_PAGE,
    DetailForm,
    ParticipationForm,
)
from plans.labels import frequency_label
from plans.tables import (
    DepartmentTable,
    UserTable,
    plan_url,
    status_badge,
)
from plans.views.common import (
    HtmxHttpRequest,
    for_htmx,
    past_the_end,
    person_url,
    view_plans_required,
    without_refresh,
)

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
            return past_the_end(request, param, form.cleaned_data[param], last, what)
    if redirect_response := without_refresh(request):
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
    if not request.htmx and (redirect_response := without_refresh(request)):
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
        return for_htmx(request, render(request, "plans/plan_panels_content.html", context))
    return for_htmx(request, render(request, "plans/plan_panels.html", context))


def _participation_url(api_id: str, **params: str) -> str:
    url = reverse("plans:participation", kwargs={"api_id": api_id})
    query = urlencode({key: value for key, value in params.items() if value})
    return f"{url}?{query}" if query else url


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
        if not request.htmx and (redirect_response := without_refresh(request)):
            return redirect_response
        try:
            context.update(_participation_context(request, form, api_id, participation))
        except EmptyPage as beyond:
            asked, last = form.cleaned_data["page"], beyond.args[1]
            return past_the_end(request, "page", asked, last, "people")
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
    return for_htmx(request, response)


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
            (participant, person_url(participant.user.name, participant.user.api_id))
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
