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
from plans.organisation_tables import CompletionTable, DataIssueTable
from plans.outstanding_forms import DataIssuesForm, OutstandingForm
from plans.tables import breakable_email, mailto_url, person_url, plan_url, teams_chat_url
from plans.views.common import HtmxHttpRequest, for_htmx, past_the_end, view_plans_required

# A page of `/outstanding/` holds whole manager groups, at most this many rows together:
# 50 keeps a warm page near 35 ms (100 rows took 55-61 ms against the 50 ms target).
ROWS_PER_PAGE = 50
DATA_ISSUES_PER_PAGE = 50
COMPLETION_ROWS = 25


def _read(request: HttpRequest) -> organisation.Read:
    return organisation.organisation(services.client_for(request))


def _read_context(read: organisation.Read) -> dict[str, Any]:
    return {"read_at": read.org.read_at_datetime, "refreshing": read.refreshing}


def _pages(groups: list[organisation.ManagerGroup]) -> list[list[organisation.ManagerGroup]]:
    """Manager groups in pages of at most ROWS_PER_PAGE rows (a bigger group alone)."""
    pages: list[list[organisation.ManagerGroup]] = []
    rows = 0
    for group in groups:
        if not pages or rows + group.count > ROWS_PER_PAGE:
            pages.append([])
            rows = 0
        pages[-1].append(group)
        rows += group.count
    return pages


def _rows(group: organisation.ManagerGroup) -> list[dict[str, Any]]:
    """A group's rows as the page draws them (by hand, not with django-tables2: ten tables
    of a hundred rows through it cost about 300 ms, and the warm page's target is 50 ms)."""
    rows = []
    for a in group.assignments:
        plan = plan_url(a.plan.api_id)
        rows.append(
            {
                "a": a,
                "person_url": person_url(a.name, a.user.api_id) if a.user.api_id else None,
                "mailto": mailto_url(a.email),
                "email": breakable_email(a.email),
                "departments": ", ".join(d.name for d in a.departments) or "—",
                "plan_url": f"{plan}?{urlencode({'q': a.name})}" if plan and a.name else plan,
            }
        )
    return rows


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
    # A page per ROWS_PER_PAGE rows of whole manager groups: the paginator's items are pages.
    paginator = Paginator(_pages(groups), 1)
    page_number = form.cleaned_data["page"]
    try:
        page = paginator.page(page_number)
    except EmptyPage:
        if not groups:
            page = paginator.page(1)
        else:
            return past_the_end(request, "page", page_number, paginator.num_pages, "managers")
    on_page = page.object_list[0] if page.object_list else []
    shown = [
        {
            "group": group,
            "rows": _rows(group),
            "teams_url": teams_chat_url(group.manager.email) if group.manager else "",
        }
        for group in on_page
    ]
    audit.record(
        request,
        action=audit.Action.OUTSTANDING_VIEW,
        row_count=sum(group.count for group in on_page),
    )
    query = {key: value for key, value in filters.items() if value}
    in_state = {state: 0 for state in organisation.STILL_TO_ACT_STATES}
    for a in chosen:
        in_state[a.standing.state] += 1
    context = {
        **_read_context(read),
        "form": form,
        "choices": organisation.filter_choices(read.org),
        "filters": filters,
        "filtered": bool(query),
        "groups": shown,
        "headings": ["Name", "E-mail", "Department", "Plan", "State", "Stage", "Waiting since"],
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
        "issue_count": organisation.issue_counts(read.org)[""],
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
    counts = organisation.issue_counts(read.org)
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
