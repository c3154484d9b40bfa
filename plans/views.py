"""The overview, plan list, plan detail, a plan's participation, people, and the CSV
exports. Views validate the query string, call the service, render.

Upstream failures of the main resource are not handled here:
plans.middleware.UpstreamErrorMiddleware turns every `UpstreamError` into a page with
the right status. The plan page's side panels (template, progress) are a page of their
own that the plan page loads after it is shown; their service call hands back each
panel's error instead of raising it, so one failing panel never hides the other.
Participation is loaded the same way, and shows its own failure inside its section.
"""

from collections import Counter
from contextlib import suppress
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify

import audit
from plans import services
from plans.charts import overview_charts
from plans.exceptions import UpstreamError
from plans.exports import csv_response
from plans.filters import PlanFilter
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
from plans.tables import (
    DepartmentTable,
    PlanListData,
    PlanPageData,
    PlanTable,
    UserTable,
    plan_url,
    status_badge,
)

_permission_required = permission_required("plans.view_plans", raise_exception=True)


def view_plans_required(view):
    """Plan pages: the view_plans permission, and only GET or HEAD (they change nothing)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
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
def plan_list(request: HttpRequest) -> HttpResponse:
    filterset = PlanFilter(request.GET)
    if not filterset.is_valid():
        filterset.offer_frequencies(())
        return render(request, "plans/plan_list.html", {"filter": filterset}, status=400)

    client = services.client_for(request)
    # Detail links carry the list's query, for their "Back to results" link.
    back = list_query(request.GET.urlencode())
    if filterset.needs_all_plans:
        # The API cannot filter by status or frequency, nor sort: read every match.
        table = _all_matching_plans(filterset, client, back=back)
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
        raise Http404(f"There is no page {filterset.page} of these results.") from None
    if redirect_response := _without_refresh(request):
        return redirect_response
    if not filterset.needs_all_plans:
        filterset.offer_frequencies(data.fetch().plans)
    page = table.page
    chips = [
        (label, value, _url_without(request, "plans:list", param))
        for param, label, value in filterset.active_filters()
    ]
    context = {
        "filter": filterset,
        "table": table,
        "count": table.paginator.count,
        "first": page.start_index(),
        "last": page.end_index(),
        "chips": chips,
        "clear_filters_url": _url_without(request, "plans:list", *filterset.filters),
        "export_url": _url_without(request, "plans:export", "per_page"),
    }
    return render(request, "plans/plan_list.html", context)


@view_plans_required
def plan_export(request: HttpRequest) -> HttpResponse:
    """Every plan of the list's current filters and sort order, as CSV."""
    filterset = PlanFilter(request.GET)
    if not filterset.is_valid():
        filterset.offer_frequencies(())
        return render(request, "plans/plan_list.html", {"filter": filterset}, status=400)
    table = _all_matching_plans(filterset, services.client_for(request))
    try:
        audit.record(request, action=audit.Action.EXPORT_PLANS, row_count=len(table.data))
    except audit.AuditUnavailable as error:
        return audit.refusal(request, error)
    header = ["Plan", "Template", "Status", "Frequency", "Plan ID", "Template ID", "Link"]
    plans_root = reverse("plans:list")
    rows = (
        [
            plan.name,
            plan.template_name,
            plan.status,
            plan.frequency or "One-off",
            plan.api_id,
            plan.template_api_id,
            request.build_absolute_uri(url)
            if (url := plan_url(plan.api_id, root=plans_root))
            else "",
        ]
        for plan in table.data
    )
    return csv_response("plans", header, rows)


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
    try:
        users.paginate(page=form.cleaned_data["users_page"], per_page=USERS_PER_PAGE)
        departments.paginate(
            page=form.cleaned_data["departments_page"], per_page=DEPARTMENTS_PER_PAGE
        )
    except EmptyPage:
        raise Http404("There is no such page of assignees.") from None
    if redirect_response := _without_refresh(request):
        # The side panels and participation load separately but belong to this view: a
        # Refresh fetches their answers again too, before landing on the clean URL.
        services.plan_extras(client=client, plan=plan)
        # A failure here shows in the participation part when it loads.
        with suppress(UpstreamError):
            services.plan_participation(client=client, plan=plan)
        return redirect_response

    back = form.cleaned_data["back"]
    detail_url = plan_url(plan.api_id) or request.path
    users_export_url = reverse("plans:users_export", kwargs={"api_id": api_id})
    context = {
        "plan": plan,
        "status_badge": status_badge(plan.status),
        "panels_url": reverse("plans:panels", kwargs={"api_id": api_id}),
        "participation_url": _participation_url(api_id, q=query),
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
def plan_panels(request: HttpRequest, api_id: str) -> HttpResponse:
    """The plan page's side panels, its template's details and its progress, as a page.

    They cost several upstream calls after the plan's own (the template; a draft count
    and every page of completed conversations: 20 for a plan of 3,000), so the plan
    page is sent without them and static/js/plan-panels.js loads them from here once
    it is shown. Without JavaScript, the plan page links here instead.
    """
    client = services.client_for(request)
    plan = services.plan_get(client=client, api_id=api_id)
    # Template and progress: concurrent, and each failure stays inside its own panel.
    extras = services.plan_extras(client=client, plan=plan)
    if redirect_response := _without_refresh(request):
        return redirect_response
    context = {
        "plan": plan,
        "detail_url": reverse("plans:detail", kwargs={"api_id": api_id}),
        "template": extras.template,
        "template_error": extras.template_error,
        "progress": extras.progress,
        "progress_error": extras.progress_error,
    }
    return render(request, "plans/plan_panels.html", context)


def _participation_url(api_id: str, **params: str) -> str:
    url = reverse("plans:participation", kwargs={"api_id": api_id})
    query = urlencode({key: value for key, value in params.items() if value})
    return f"{url}?{query}" if query else url


def _person_url(name: str, api_id: str) -> str:
    return f"{reverse('people')}?{urlencode({'name': name, 'person': api_id})}"


@view_plans_required
def plan_participation(request: HttpRequest, api_id: str) -> HttpResponse:
    """Where each of a plan's assigned users stands in it: filtered, sorted, paged.

    It reads every conversation of the plan (a page of the API per 100), so the plan
    page is sent without it and loads it from here once shown: the whole page, from
    which static/js/plan-participation.js takes #participation, or with an
    `HX-Request` header, the fragment alone. Without JavaScript the plan page links here.
    A failure to read the conversations shows inside the fragment (on the page of its
    own, with the error's status).
    """
    form = ParticipationForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    client = services.client_for(request)
    plan = services.plan_get(client=client, api_id=api_id)
    context: dict = {"plan": plan, "detail_url": reverse("plans:detail", kwargs={"api_id": api_id})}
    status = 200
    try:
        participation = services.plan_participation(client=client, plan=plan)
    except UpstreamError as error:
        context["error"] = error
        status = error.status_code
    else:
        if redirect_response := _without_refresh(request):
            return redirect_response
        try:
            context.update(_participation_context(request, form, api_id, participation))
        except EmptyPage:
            raise Http404("There is no such page of people.") from None
    if request.headers.get("HX-Request") == "true":
        # The section alone, to be swapped into the plan page: a failure is described
        # inside it, so it is sent as a success (htmx swaps only those) and shows there.
        response = render(request, "plans/participation_fragment.html", context)
    else:
        response = render(request, "plans/participation.html", context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _participation_context(
    request: HttpRequest,
    form: ParticipationForm,
    api_id: str,
    participation: services.Participation,
) -> dict:
    query, state, sort = (form.cleaned_data[key] for key in ("q", "state", "sort"))
    searched = form.searched(participation.participants)
    selected = form.selected(participation.participants)
    page = Paginator(selected, PARTICIPANTS_PER_PAGE).page(form.cleaned_data["page"])

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
def plan_users_export(request: HttpRequest, api_id: str) -> HttpResponse:
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
        plans_root = reverse("plans:list")
        context["person"] = person
        context["plan_rows"] = [
            (
                plan,
                f"{url}?{urlencode({'q': person.name})}"
                if (url := plan_url(plan.plan_api_id, root=plans_root))
                else "",
            )
            for plan in plans
        ]
        context["search_url"] = f"{reverse('people')}?{urlencode({'name': name})}"
    if redirect_response := _without_refresh(request):
        return redirect_response
    return render(request, "plans/people.html", context)
