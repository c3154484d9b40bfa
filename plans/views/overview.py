"""The overview: plan totals by status, template and frequency, and conversations by template."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from plans import services
from plans.charts import overview_charts
from plans.views.common import view_plans_required


@view_plans_required
def overview(request: HttpRequest) -> HttpResponse:
    """Plan totals by status, template and frequency, and conversations by template, as
    charts. A failed plan set is the usual error page; failed conversation counts show
    inside their own chart only."""
    summary = services.organisation_overview(client=services.client_for(request))
    context = {
        "charts": overview_charts(summary),
        "conversations_error": summary.conversations_error,
        "top_templates": services.OVERVIEW_TEMPLATES,
    }
    return render(request, "plans/overview.html", context)
