"""Plan list and plan detail. Views validate the query string, call the service, render.

Upstream failures are not handled here: plans.middleware.UpstreamErrorMiddleware turns
every `UpstreamError` into a page with the right status.
"""

from django.contrib.auth.decorators import permission_required
from django.core.paginator import EmptyPage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from plans import services
from plans.filters import PlanFilter
from plans.forms import DEPARTMENTS_PER_PAGE, USERS_PER_PAGE, DetailForm
from plans.tables import DepartmentTable, PlanPageData, PlanTable, UserTable, status_badge

view_plans_required = permission_required("plans.view_plans", raise_exception=True)


def _without_refresh(request: HttpRequest) -> HttpResponse | None:
    """After a Refresh (cache bypassed, fresh copy stored), land on the clean URL."""
    if request.GET.get("refresh") != "1":
        return None
    query = request.GET.copy()
    del query["refresh"]
    return redirect(f"{request.path}?{query.urlencode()}" if query else request.path)


@view_plans_required
def plan_list(request: HttpRequest) -> HttpResponse:
    filterset = PlanFilter(request.GET)
    if not filterset.is_valid():
        return render(request, "plans/plan_list.html", {"filter": filterset}, status=400)

    data = PlanPageData(
        client=services.client_for(request),
        filters=filterset.upstream_params(),
        page=filterset.page,
        per_page=filterset.per_page,
    )
    table = PlanTable(data)
    try:
        table.paginate(page=filterset.page, per_page=filterset.per_page)
    except EmptyPage:
        raise Http404(f"There is no page {filterset.page} of these results.") from None
    if redirect_response := _without_refresh(request):
        return redirect_response
    page = table.page
    context = {
        "filter": filterset,
        "table": table,
        "count": table.paginator.count,
        "first": page.start_index(),
        "last": page.end_index(),
    }
    return render(request, "plans/plan_list.html", context)


@view_plans_required
def plan_detail(request: HttpRequest, api_id: str) -> HttpResponse:
    form = DetailForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    plan = services.plan_get(client=services.client_for(request), api_id=api_id)
    if redirect_response := _without_refresh(request):
        return redirect_response

    users = UserTable(plan.assigned_users, prefix="users_")
    departments = DepartmentTable(plan.assigned_departments, prefix="departments_")
    try:
        users.paginate(page=form.cleaned_data["users_page"], per_page=USERS_PER_PAGE)
        departments.paginate(
            page=form.cleaned_data["departments_page"], per_page=DEPARTMENTS_PER_PAGE
        )
    except EmptyPage:
        raise Http404("There is no such page of assignees.") from None
    context = {
        "plan": plan,
        "status_badge": status_badge(plan.status),
        "users": users,
        "departments": departments,
    }
    return render(request, "plans/plan_detail.html", context)
