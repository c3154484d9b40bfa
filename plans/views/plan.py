"""A plan's page, its side panels, its people (participation) and its people as CSV.

The page draws the plan alone (one upstream call); htmx then loads the template panel,
the progress panel and participation from their own URLs, each answered with its partial
of plans/plan_detail.html. Without JavaScript those URLs are pages of their own. A part
whose upstream call fails raises UpstreamError, which the middleware turns into the
`error` partial of plans/upstream_error.html (for htmx) in that part's place.
"""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import EmptyPage
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify

import audit
from plans import charts, roster, services
from plans.exports import csv_response
from plans.forms import (
    PEOPLE_PER_PAGE_CHOICES,
    STATE_FILTER_CHOICES,
    STATE_HEADINGS,
    TEAMS_PER_PAGE,
    DetailForm,
    PlanPeopleForm,
)
from plans.labels import frequency_label
from plans.tables import (
    ManagerTeamTable,
    PlanPeopleData,
    PlanPeopleTable,
    TeamData,
    TeamTable,
    plan_url,
    status_badge,
)
from plans.views.common import (
    HtmxHttpRequest,
    for_htmx,
    past_the_end,
    view_plans_required,
)
from reminders.services import last_reminded

# The side panels htmx loads one by one, so one failing leaves the other shown.
PANELS = ("template", "progress")


def _part_url(request: HttpRequest, view: str, api_id: str, **params: str) -> str:
    """A part's URL; after a Refresh (`request.refreshing`) it asks for fresh data too."""
    if getattr(request, "refreshing", False):
        params["refresh"] = "1"
    url = reverse(view, kwargs={"api_id": api_id})
    query = urlencode({key: value for key, value in params.items() if value})
    return f"{url}?{query}" if query else url


# The plan's departments shown at once beside its people; the others behind "more".
DEPARTMENTS_SHOWN = 8


@view_plans_required
def plan_detail(request: HtmxHttpRequest, api_id: str) -> HttpResponseBase:
    """The plan (one upstream call); its people and completion by team load into it with
    htmx from plans:participation, given this page's query (the people table's filters,
    sort and page), so the page's URL holds the whole view.

    The people section's links and search lead here too (the URL to bookmark), and htmx
    follows them in place (hx-boost): such a request, aimed at that section, is answered
    with the section alone, so the page is not drawn again nor scrolled back to its top.
    """
    if request.htmx and request.htmx.target == "participation":
        return plan_participation(request, api_id)
    form = DetailForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    plan = services.plan_get(client=services.client_for(request), api_id=api_id)
    back = form.cleaned_data["back"]
    people_query = {key: str(value) for key, value in request.GET.items() if key != "refresh"}
    context = {
        "plan": plan,
        "status_badge": status_badge(plan.status),
        "frequency": frequency_label(plan.frequency),
        "panels_url": reverse("plans:panels", kwargs={"api_id": api_id}),
        "rounds_url": reverse("plans:rounds", kwargs={"api_id": api_id}),
        "template_panel_url": _part_url(request, "plans:template_panel", api_id),
        "progress_panel_url": _part_url(request, "plans:progress_panel", api_id),
        "participation_url": _part_url(request, "plans:participation", api_id, **people_query),
        "back": back,
        "back_url": f"{reverse('plans:list')}?{back}" if back else reverse("plans:list"),
        "share_url": request.build_absolute_uri(plan_url(api_id) or request.path),
        "user_total": len(plan.assigned_users),
        "departments_shown": plan.assigned_departments[:DEPARTMENTS_SHOWN],
        "departments_more": plan.assigned_departments[DEPARTMENTS_SHOWN:],
    }
    return for_htmx(request, render(request, "plans/plan_detail.html", context))


@view_plans_required
def plan_panels(request: HtmxHttpRequest, api_id: str, panel: str = "") -> HttpResponse:
    """The plan page's side panels: the template's details and the plan's progress.

    They cost several upstream calls after the plan's own (the template, and every page
    of the conversations with the plan's name, shared with participation through the
    cache), so the plan page is sent without them and htmx loads each (`panel`) from
    here; without JavaScript, the plan page links here for both (a page of their own).
    """
    client = services.client_for(request)
    plan = services.plan_get(client=client, api_id=api_id)
    shown = (panel,) if panel else PANELS
    context: dict[str, Any] = {
        "plan": plan,
        "part": "panels",
        "detail_url": reverse("plans:detail", kwargs={"api_id": api_id}),
        "panels": shown,
    }
    if "template" in shown and plan.template_api_id:
        context["template"] = services.template_get(client=client, api_id=plan.template_api_id)
    if "progress" in shown:
        context["progress"] = services.plan_progress(client=client, plan=plan)
    name = f"plans/plan_detail.html#{panel}" if request.htmx and panel else "plans/plan_detail.html"
    return for_htmx(request, render(request, name, context))


@view_plans_required
def plan_participation(request: HtmxHttpRequest, api_id: str) -> HttpResponse:
    """A plan's people: where each stands, with their departments and manager, filtered,
    sorted and paged; the plan's totals; completion by department and by manager.

    It reads every conversation of the plan (a page of the API per 100) and the users
    endpoint, so the plan page is sent without it and htmx loads it from here once the
    page is shown (the `participation` partial, whose links lead back to the plan page);
    without JavaScript the plan page links here (a page of its own).
    """
    form = PlanPeopleForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    client = services.client_for(request)
    plan = services.plan_get(client=client, api_id=api_id)
    people = roster.plan_roster(client=client, plan=plan)
    participation = people.participation
    data = form.cleaned_data
    self_url = reverse("plans:participation", kwargs={"api_id": api_id})
    detail_url = reverse("plans:detail", kwargs={"api_id": api_id})
    # In the plan page its links lead to the plan page (the URL to bookmark).
    link_base = detail_url if request.htmx else self_url
    filters = form.filters
    table = PlanPeopleTable(
        PlanPeopleData(roster.select(people.members, **filters)),
        link_base=link_base,
        reminded=last_reminded(plan_id=plan.api_id),
        order_by=data["sort"] or None,
        empty_text="Nobody matches these filters." if participation.total else None,
    )
    try:
        table.paginate(page=data["page"], per_page=data["per_page"])
    except EmptyPage:
        return past_the_end(request, "page", data["page"], table.paginator.num_pages, "people")
    # The search and filters are kept as the entry's filters (the request's query).
    audit.record(
        request,
        action=audit.Action.PARTICIPATION_VIEW,
        plan_id=plan.api_id,
        plan_name=plan.name,
        row_count=len(table.page.object_list),
    )
    # The tabs count the search's people (search, department, manager) in each state.
    searched = roster.select(people.members, **(filters | {"state": ""}))
    in_state = roster.counts_by_state(searched)
    kept = {key: str(value) for key, value in request.GET.items() if key != "refresh"}

    def url(base: str = link_base, **params: str) -> str:
        query_string = urlencode({key: value for key, value in params.items() if value})
        return f"{base}?{query_string}" if query_string else base

    def team_url(by: str) -> Any:
        others = {key: kept.get(key, "") for key in ("back", "per_page", "sort", "state")}
        return lambda key: url(**others, **{by: key})

    min_size = settings.PE365_MIN_GROUP_SIZE
    teams = []
    for by, table_class in (
        (roster.BY_DEPARTMENT, TeamTable),
        (roster.BY_MANAGER, ManagerTeamTable),
    ):
        team_table = table_class(
            TeamData(list(people.teams(by=by, min_size=min_size))),  # a copy: sorting reorders it
            by=by,
            link_base=link_base,
            team_url=team_url(by),
            order_by=data[f"by_{by}_sort"],
        )
        param = team_table.prefixed_page_field
        try:
            team_table.paginate(page=data[param], per_page=TEAMS_PER_PAGE)
        except EmptyPage:
            last = team_table.paginator.num_pages
            return past_the_end(request, param, data[param], last, team_table.pager_label)
        teams.append(team_table)
    state = data["state"]
    export_url = reverse("plans:users_export", kwargs={"api_id": api_id})
    context = {
        "plan": plan,
        "part": "participation",
        "detail_url": detail_url,
        "participation": participation,
        "bar": _bar(participation),
        "table": table,
        "heading": STATE_HEADINGS[state],
        "query": data["q"],
        "state": state,
        "kept": {k: v for k, v in kept.items() if k not in ("q", "page")},
        "group": _group_label(people.members, data["department"], data["manager"]),
        "state_links": [
            {
                "label": label,
                "count": in_state[value] if value else len(searched),
                "url": url(**(kept | {"state": value, "page": ""})),
                "current": value == state,
            }
            for value, label in [("", "Everyone"), *STATE_FILTER_CHOICES]
        ],
        "export_url": url(export_url, **{key: kept.get(key, "") for key in EXPORT_PARAMS}),
        "remind_url": url(
            reverse("reminders:remind", kwargs={"api_id": api_id}),
            **{key: kept.get(key, "") for key in ("state", "q", "department", "manager")},
        ),
        "clear_url": url(**{k: kept.get(k, "") for k in ("back", "per_page", "sort")}),
        "per_page_choices": PEOPLE_PER_PAGE_CHOICES,
        "per_page": data["per_page"],
        "link_base": link_base,
        "department_table": teams[0],
        "manager_table": teams[1],
        "min_group_size": min_size,
    }
    name = "plans/plan_detail.html#participation" if request.htmx else "plans/plan_detail.html"
    return for_htmx(request, render(request, name, context))


# The people table's parameters users.csv follows (its selection, in its order).
EXPORT_PARAMS = ("state", "q", "department", "manager", "sort")


def _group_label(members: Sequence[roster.Member], department: str, manager: str) -> str:
    """The department or manager the people table is filtered to, in words."""
    words = []
    if department:
        names = {d.api_id: d.name for m in members for d in m.departments}
        words.append(
            "No department"
            if department == roster.NOBODY
            else f"Department: {names.get(department, 'unknown department')}"
        )
    if manager:
        managers = {m.manager.api_id: m.manager.name for m in members if m.manager}
        words.append(
            "No manager"
            if manager == roster.NOBODY
            else f"Manager: {managers.get(manager, 'unknown manager')}"
        )
    return " · ".join(words)


def _bar(participation: services.Participation) -> list[dict[str, str]]:
    """The bar's segments as x and width of SVG rects, in percent of the plan's people
    (the CSP allows no inline style, so no CSS widths)."""
    segments, x = [], 0.0
    for state, count in (
        (services.COMPLETED, participation.completed),
        (services.IN_PROGRESS, participation.in_progress),
        (services.NOT_STARTED, participation.not_started),
    ):
        width = charts._length(count, participation.total)
        segments.append({"state": state, "x": f"{x:.2f}", "width": width})
        x += float(width)
    return segments


@view_plans_required
def plan_users_export(request: HttpRequest, api_id: str) -> HttpResponseBase:
    """The plan's people as the people table filters and sorts them, with where each
    stands, their departments and their manager, as CSV."""
    form = PlanPeopleForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    client = services.client_for(request)
    plan = services.plan_get(client=client, api_id=api_id)
    selected = form.selected(roster.plan_roster(client=client, plan=plan).members)
    audit.record(
        request,
        action=audit.Action.EXPORT_PLAN_USERS,
        plan_id=plan.api_id,
        plan_name=plan.name,
        row_count=len(selected),
    )
    header = [
        "Name",
        "Email",
        "User ID",
        "State",
        "Stage",
        "Completed on",
        "Rounds completed",
        "Department",
        "Manager",
        "Manager email",
    ]
    rows = (
        [
            m.user.name,
            m.user.email,
            m.user.api_id,
            m.standing.state_label,
            m.standing.stage if m.standing.state == services.IN_PROGRESS else "",
            m.standing.completed.date().isoformat() if m.standing.completed else "",
            m.standing.rounds_completed,
            "; ".join(department.name for department in m.departments),
            m.manager.name if m.manager else "",
            m.manager.email if m.manager else "",
        ]
        for m in selected
    )
    stem = f"{slugify(plan.name)[:60] or 'plan'}-users"
    return csv_response(stem, header, rows)
