"""A plan's page, its side panels, its participation and its people as CSV.

The page draws the plan alone (one upstream call); htmx then loads the template panel,
the progress panel and participation from their own URLs, each answered with its partial
of plans/plan_detail.html. Without JavaScript those URLs are pages of their own. A part
whose upstream call fails raises UpstreamError, which the middleware turns into the
`error` partial of plans/upstream_error.html (for htmx) in that part's place.
"""

from collections import Counter
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import EmptyPage
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import slugify

import audit
from plans import charts, services
from plans.exports import csv_response
from plans.forms import (
    DEPARTMENTS_PER_PAGE,
    PARTICIPANTS_PER_PAGE,
    STATE_FILTER_CHOICES,
    STATES_SELECTED,
    USERS_PER_PAGE,
    DetailForm,
    ParticipationForm,
)
from plans.labels import frequency_label
from plans.tables import (
    DepartmentTable,
    ParticipationData,
    ParticipationTable,
    UserTable,
    plan_url,
    status_badge,
)
from plans.views.common import (
    HtmxHttpRequest,
    for_htmx,
    past_the_end,
    view_plans_required,
)

# The side panels htmx loads one by one, so one failing leaves the other shown.
PANELS = ("template", "progress")


def _part_url(request: HttpRequest, view: str, api_id: str, **params: str) -> str:
    """A part's URL; after a Refresh (`request.refreshing`) it asks for fresh data too."""
    if getattr(request, "refreshing", False):
        params["refresh"] = "1"
    url = reverse(view, kwargs={"api_id": api_id})
    query = urlencode({key: value for key, value in params.items() if value})
    return f"{url}?{query}" if query else url


@view_plans_required
def plan_detail(request: HttpRequest, api_id: str) -> HttpResponse:
    form = DetailForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    plan = services.plan_get(client=services.client_for(request), api_id=api_id)
    query = form.cleaned_data["q"]
    users = UserTable(
        form.matching_users(plan.assigned_users),
        prefix="users_",
        empty_text=f"No assigned user matches “{query}”." if query else None,
    )
    departments = DepartmentTable(
        form.matching_departments(plan.assigned_departments),
        prefix="departments_",
        empty_text=f"No assigned department matches “{query}”." if query else None,
    )
    for table, per_page in ((users, USERS_PER_PAGE), (departments, DEPARTMENTS_PER_PAGE)):
        param = table.prefixed_page_field
        try:
            table.paginate(page=form.cleaned_data[param], per_page=per_page)
        except EmptyPage:
            last = table.paginator.num_pages
            return past_the_end(request, param, form.cleaned_data[param], last, table.pager_label)
    shown = len(users.page.object_list)
    if shown or query:
        # Names and e-mail addresses of assigned people, or a search for them.
        audit.record(
            request,
            action=audit.Action.ASSIGNED_USERS_VIEW,
            plan_id=plan.api_id,
            plan_name=plan.name,
            row_count=shown,
        )

    back = form.cleaned_data["back"]
    users_export_url = reverse("plans:users_export", kwargs={"api_id": api_id})
    context = {
        "plan": plan,
        "status_badge": status_badge(plan.status),
        "frequency": frequency_label(plan.frequency),
        "panels_url": reverse("plans:panels", kwargs={"api_id": api_id}),
        "rounds_url": reverse("plans:rounds", kwargs={"api_id": api_id}),
        "template_panel_url": _part_url(request, "plans:template_panel", api_id),
        "progress_panel_url": _part_url(request, "plans:progress_panel", api_id),
        "participation_url": _part_url(request, "plans:participation", api_id, q=query),
        "query": query,
        "back": back,
        "back_url": f"{reverse('plans:list')}?{back}" if back else reverse("plans:list"),
        "share_url": request.build_absolute_uri(plan_url(api_id) or request.path),
        "users_export_url": f"{users_export_url}?{urlencode({'q': query})}"
        if query
        else users_export_url,
        "users": users,
        "user_total": len(plan.assigned_users),
        "departments": departments,
        "department_total": len(plan.assigned_departments),
    }
    return render(request, "plans/plan_detail.html", context)


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
    """Where each of a plan's assigned users stands in it: filtered, sorted, paged.

    It reads every conversation of the plan (a page of the API per 100), so the plan
    page is sent without it and htmx loads it from here once the page is shown (the
    `participation` partial); without JavaScript the plan page links here (a page of its
    own).
    """
    form = ParticipationForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    client = services.client_for(request)
    plan = services.plan_get(client=client, api_id=api_id)
    participation = services.plan_participation(client=client, plan=plan)
    query, state, sort, page = (form.cleaned_data[key] for key in ("q", "state", "sort", "page"))
    self_url = reverse("plans:participation", kwargs={"api_id": api_id})
    table = ParticipationTable(
        ParticipationData(form.chosen(participation.participants)),
        link_base=self_url,
        order_by=sort or None,
        empty_text="Nobody matches these filters." if participation.total else None,
    )
    try:
        table.paginate(page=page, per_page=PARTICIPANTS_PER_PAGE)
    except EmptyPage:
        return past_the_end(request, "page", page, table.paginator.num_pages, "people")
    # The search and filters are kept as the entry's filters (the request's query).
    audit.record(
        request,
        action=audit.Action.PARTICIPATION_VIEW,
        plan_id=plan.api_id,
        plan_name=plan.name,
        row_count=len(table.page.object_list),
    )
    searched = form.searched(participation.participants)
    in_state = Counter(participant.standing.state for participant in searched)

    def url(base: str = self_url, **params: str) -> str:
        query_string = urlencode({key: value for key, value in params.items() if value})
        return f"{base}?{query_string}" if query_string else base

    export_url = reverse("plans:users_export", kwargs={"api_id": api_id})
    context = {
        "plan": plan,
        "part": "participation",
        "detail_url": reverse("plans:detail", kwargs={"api_id": api_id}),
        "participation": participation,
        "bar": _bar(participation),
        "table": table,
        "query": query,
        "state": state,
        "sort": sort,
        "state_links": [
            {
                "label": label.split(" (")[0],
                "count": count,
                "url": url(q=query, state=value, sort=sort),
                "current": value == state,
            }
            for value, label, count in [
                ("", "Everyone", len(searched)),
                *(
                    (value, label, sum(in_state[one] for one in STATES_SELECTED[value]))
                    for value, label in STATE_FILTER_CHOICES
                ),
            ]
        ],
        "export_url": url(export_url, q=query, state=state, sort=sort),
        "clear_url": url(sort=sort),
        "self_url": self_url,
    }
    name = "plans/plan_detail.html#participation" if request.htmx else "plans/plan_detail.html"
    return for_htmx(request, render(request, name, context))


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
    """The plan's assigned users, with where they stand, as the participation list filters
    and sorts them (or the plan page's search, which sets `q` only), as CSV."""
    form = ParticipationForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    client = services.client_for(request)
    plan = services.plan_get(client=client, api_id=api_id)
    participation = services.plan_participation(client=client, plan=plan)
    selected = form.selected(participation.participants)
    audit.record(
        request,
        action=audit.Action.EXPORT_PLAN_USERS,
        plan_id=plan.api_id,
        plan_name=plan.name,
        row_count=len(selected),
    )
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
