"""The outbox: every reminder and manager's list sent, with its delivery state."""

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_tables2 import RequestConfig
from post_office.models import Log

from plans.views.common import view_plans_required
from reminders.filters import OutboxFilter
from reminders.models import Reminder
from reminders.tables import OutboxTable

PER_PAGE = 50


@view_plans_required
def outbox(request: HttpRequest) -> HttpResponse:
    latest_failure = Log.objects.filter(email=OuterRef("email")).order_by("-date", "-id")
    reminders = Reminder.objects.select_related("email").annotate(
        failure=Subquery(latest_failure.values("message")[:1])
    )
    filters = OutboxFilter(request.GET or None, queryset=reminders)
    table = OutboxTable(filters.qs)
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    return render(
        request,
        "reminders/outbox.html",
        {"filter": filters, "table": table, "outbox_only": not settings.EMAIL_HOST},
    )
