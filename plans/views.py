"""Plan list, plan detail and their CSV exports. Views validate the query string, call
the service, render.

Upstream failures of the main resource are not handled here:
plans.middleware.UpstreamErrorMiddleware turns every `UpstreamError` into a page with
the right status. The plan page's side panels (template, progress) are a page of their
own that the plan page loads after it is shown; their service call hands back each
panel's error instead of raising it, so one failing panel never hides the other.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.core.paginator import EmptyPage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from django_htmx.http import push_url

from plans import services
from plans.exports import csv_response
from plans.filters import DEFAULT_PER_PAGE, PlanFilter
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


def _clean_list_url(request: HttpRequest) -> str:
    """The list URL of this request's query without empty or default parameters.

    htmx sends every field of the filter form; the address bar shows only what narrows
    or orders the list, e.g. /plans/?status=active.
    """
    defaults = {"per_page": str(DEFAULT_PER_PAGE), "page": "1"}
    query = [
        (name, value)
        for name, value in request.GET.items()
        if value.strip() and value != defaults.get(name) and name != "refresh"
    ]
    url = reverse("plans:list")
    return f"{url}?{urlencode(query)}" if query else url


def _for_htmx(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Pages that answer htmx with a part of themselves vary on its request header."""
    patch_vary_headers(response, ("HX-Request",))
    return response


@view_plans_required
def plan_list(request: HttpRequest) -> HttpResponse:
    filterset = PlanFilter(request.GET)
    if not filterset.is_valid():
        filterset.offer_frequencies(())
        response = render(request, "plans/plan_list.html", {"filter": filterset}, status=400)
        return _for_htmx(request, response)

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
    if request.htmx and not request.htmx.history_restore_request:
        # The filter form applied on change: swap the results, show the clean URL.
        response = render(request, "plans/plan_list_results.html", context)
        return _for_htmx(request, push_url(response, _clean_list_url(request)))
    return _for_htmx(request, render(request, "plans/plan_list.html", context))


@view_plans_required
def plan_export(request: HttpRequest) -> HttpResponse:
    """Every plan of the list's current filters and sort order, as CSV."""
    filterset = PlanFilter(request.GET)
    if not filterset.is_valid():
        filterset.offer_frequencies(())
        return render(request, "plans/plan_list.html", {"filter": filterset}, status=400)
    table = _all_matching_plans(filterset, services.client_for(request))
    header = ["Plan", "Template", "Status", "Frequency", "Plan ID", "Template ID", "Link"]
    rows = (
        [
            plan.name,
            plan.template_name,
            status_label(plan.status),
            frequency_label(plan.frequency),
            plan.api_id,
            plan.template_api_id,
            request.build_absolute_uri(url) if (url := plan_url(plan.api_id)) else "",
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
        # The side panels load separately (plan_panels) but belong to this view: a
        # Refresh fetches their answers again too, before landing on the clean URL.
        services.plan_extras(client=client, plan=plan)
        return redirect_response

    back = form.cleaned_data["back"]
    detail_url = plan_url(api_id) or request.path
    users_export_url = reverse("plans:users_export", kwargs={"api_id": api_id})
    context = {
        "plan": plan,
        "status_badge": status_badge(plan.status),
        "panels_url": reverse("plans:panels", kwargs={"api_id": api_id}),
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
    """The plan page's side panels, its template's details and its progress.

    They cost several upstream calls after the plan's own (the template; a draft count
    and every page of completed conversations: 20 for a plan of 3,000), so the plan
    page is sent without them and htmx loads them from here once it is shown (the
    panels alone); without JavaScript, the plan page links here (a page of its own).
    """
    client = services.client_for(request)
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
def plan_users_export(request: HttpRequest, api_id: str) -> HttpResponse:
    """The plan's assigned users matching the detail page's search, as CSV."""
    form = DetailForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    plan = services.plan_get(client=services.client_for(request), api_id=api_id)
    users = form.matching_users(plan.assigned_users)
    rows = ([user.name, user.email, user.api_id] for user in users)
    stem = f"{slugify(plan.name)[:60] or 'plan'}-users"
    return csv_response(stem, ["Name", "Email", "User ID"], rows)
