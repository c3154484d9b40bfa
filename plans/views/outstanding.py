"""Across the organisation: who is still to act, manager by manager (`/outstanding/`, its
CSV), completion by department, manager and template (`/completion/`, loaded into the
overview), and the people whose records need fixing (`/outstanding/data-issues/`).

Every page here reads `plans.organisation` (one read shared by them all while kept).
"""

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse

import audit
from plans import organisation, services
from plans.exports import csv_response
from plans.organisation_tables import CompletionTable, DataIssueTable, OutstandingTable
from plans.outstanding_forms import DataIssuesForm, OutstandingForm
from plans.roster import fold
from plans.views.common import HtmxHttpRequest, for_htmx, past_the_end, view_plans_required

MANAGERS_PER_PAGE = 10
DATA_ISSUES_PER_PAGE = 50
COMPLETION_ROWS = 25


def _read(request: HttpRequest) -> organisation.Read:
    return organisation.organisation(services.client_for(request))


def _read_context(read: organisation.Read) -> dict[str, Any]:
    return {"read_at": read.org.read_at_datetime, "refreshing": read.refreshing}


def _choices(org: organisation.Organisation) -> dict[str, list[tuple[str, str]]]:
    """What the filters offer: the values the active plans' people have."""
    templates = sorted({p.template_name for p in org.plans if p.template_name}, key=fold)
    plans = sorted(((p.api_id, p.name or "(unnamed plan)") for p in org.plans), key=_by_label)
    departments: dict[str, str] = {}
    managers: dict[str, str] = {}
    for a in org.assignments:
        for d in a.departments:
            departments.setdefault(d.api_id, d.name)
        if a.manager:
            managers.setdefault(a.manager.api_id, f"{a.manager.name} ({a.manager.email})")
    return {
        "templates": [(t, t) for t in templates],
        "plans": plans,
        "departments": sorted(departments.items(), key=_by_label),
        "managers": [
            *sorted(managers.items(), key=_by_label),
            (organisation.NO_MANAGER, "No manager"),
        ],
    }


def _by_label(item: tuple[str, str]) -> tuple[str, str]:
    return fold(item[1]), item[0]


@view_plans_required
def outstanding(request: HttpRequest) -> HttpResponse:
    """Everyone still to act in an active plan, grouped by manager, most outstanding first."""
    form = OutstandingForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    read = _read(request)
    filters = form.filters()
    chosen = organisation.outstanding(read.org, **filters)
    groups = organisation.by_manager(chosen)
    paginator = Paginator(groups, MANAGERS_PER_PAGE)
    page_number = form.cleaned_data["page"]
    try:
        page = paginator.page(page_number)
    except EmptyPage:
        if not groups:
            page = paginator.page(1)
        else:
            return past_the_end(request, "page", page_number, paginator.num_pages, "managers")
    shown = [
        {"group": group, "table": OutstandingTable(group.assignments)} for group in page.object_list
    ]
    audit.record(
        request,
        action=audit.Action.OUTSTANDING_VIEW,
        row_count=sum(group.count for group in page.object_list),
    )
    query = {key: value for key, value in filters.items() if value}
    in_state = {state: 0 for state in organisation.STILL_TO_ACT_STATES}
    for a in chosen:
        in_state[a.standing.state] += 1
    context = {
        **_read_context(read),
        "form": form,
        "choices": _choices(read.org),
        "filters": filters,
        "filtered": bool(query),
        "groups": shown,
        "page": page,
        "total": len(chosen),
        "people": len({a.user.api_id for a in chosen}),
        "in_progress": in_state[services.IN_PROGRESS],
        "not_started": in_state[services.NOT_STARTED],
        "manager_count": sum(group.manager is not None for group in groups),
        "plan_count": len(read.org.plans),
        "export_url": f"{reverse('outstanding_export')}?{urlencode(query)}"
        if query
        else reverse("outstanding_export"),
        "issue_count": len(organisation.data_issues(read.org)),
    }
    return render(request, "plans/outstanding.html", context)


@view_plans_required
def outstanding_export(request: HttpRequest) -> HttpResponseBase:
    """The same selection as `/outstanding/`, one row per person and plan, with the
    manager's name and e-mail on every row (a spreadsheet can split it by manager)."""
    form = OutstandingForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    read = _read(request)
    groups = organisation.by_manager(organisation.outstanding(read.org, **form.filters()))
    rows = [a for group in groups for a in group.assignments]
    audit.record(request, action=audit.Action.EXPORT_OUTSTANDING, row_count=len(rows))
    header = [
        "Manager",
        "Manager email",
        "Name",
        "Email",
        "Department",
        "Plan",
        "Plan ID",
        "Template",
        "State",
        "Stage",
        "Waiting since",
        "User ID",
    ]
    lines = (
        [
            a.manager.name if a.manager else "",
            a.manager.email if a.manager else "",
            a.name,
            a.email,
            ", ".join(d.name for d in a.departments),
            a.plan.name,
            a.plan.api_id,
            a.plan.template_name,
            a.standing.state_label,
            a.standing.stage if a.standing.state == services.IN_PROGRESS else "",
            a.waiting_since.date().isoformat() if a.waiting_since else "",
            a.user.api_id,
        ]
        for a in rows
    )
    return csv_response("outstanding", header, lines)


@view_plans_required
def completion(request: HtmxHttpRequest) -> HttpResponse:
    """Completion across the active plans by template, department and manager (sortable,
    each row leading to its people still to act). The overview loads it with htmx (its
    `completion` partial); without JavaScript it is a page of its own."""
    read = _read(request)
    org = read.org
    tables = []
    for kind, heading, rows in (
        ("template", "Template", organisation.completion_by_template(org)),
        ("department", "Department", organisation.completion_by_department(org)),
        ("manager", "Manager", organisation.completion_by_manager(org)),
    ):
        table = CompletionTable(
            rows,
            kind=kind,
            heading=heading,
            prefix=f"{kind}_",
            order_by=request.GET.get(f"{kind}_sort") or None,
        )
        # Templates and departments are a few dozen: all shown; managers are paged.
        per_page = COMPLETION_ROWS if kind == "manager" else max(len(rows), 1)
        try:
            table.paginate(page=_page_number(request.GET.get(f"{kind}_page")), per_page=per_page)
        except EmptyPage:
            table.paginate(page=1, per_page=per_page)
        tables.append({"kind": kind, "table": table, "count": len(rows)})
    context = {
        **_read_context(read),
        "totals": organisation.totals(org),
        "plan_count": len(org.plans),
        "tables": tables,
    }
    name = "plans/completion.html#completion" if request.htmx else "plans/completion.html"
    return for_htmx(request, render(request, name, context))


def _page_number(raw: str | None) -> int:
    try:
        number = int(raw or 1)
    except ValueError:
        return 1
    return max(number, 1)


@view_plans_required
def data_issues(request: HttpRequest) -> HttpResponse:
    """People in active plans with no manager, no department, an inactive account, or
    missing from the users list, with their plans."""
    form = DataIssuesForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    read = _read(request)
    issue = form.cleaned_data["issue"]
    rows = organisation.data_issues(read.org, issue=issue)
    table = DataIssueTable(rows)
    try:
        table.paginate(page=form.cleaned_data["page"], per_page=DATA_ISSUES_PER_PAGE)
    except EmptyPage:
        return past_the_end(
            request, "page", form.cleaned_data["page"], table.paginator.num_pages, "people"
        )
    audit.record(
        request, action=audit.Action.DATA_ISSUES_VIEW, row_count=len(table.page.object_list)
    )
    counts = {key: 0 for key in organisation.ISSUE_LABELS}
    for row in organisation.data_issues(read.org):
        for found in row.issues:
            counts[found] += 1
    context = {
        **_read_context(read),
        "form": form,
        "table": table,
        "total": len(rows),
        "issue": issue,
        "issue_links": [
            {
                "label": label,
                "count": counts[key],
                "url": f"{reverse('data_issues')}?{urlencode({'issue': key})}",
                "current": key == issue,
            }
            for key, label in organisation.ISSUE_LABELS.items()
        ],
    }
    return render(request, "plans/data_issues.html", context)
