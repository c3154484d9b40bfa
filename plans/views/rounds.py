"""A plan's rounds: each round's start, people and completion, and the current round's
completion curve beside the previous round's ("are we behind last time at the same point?").

It reads what participation reads (the plan, then its conversations: one value in the
shared cache), and shows counts only, no one's name, so viewing it is not audited.
"""

from datetime import UTC, datetime
from typing import Any

import django_tables2 as tables
from django import forms
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import EmptyPage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from plans import rounds, services
from plans.api import clock
from plans.curves import curve_chart
from plans.filters import MAX_PAGE
from plans.tables import DashboardTable
from plans.views.common import past_the_end, view_plans_required

ROUNDS_PER_PAGE = 25

_NUMBER = {"th": {"class": "text-end"}, "td": {"class": "text-end"}}


class RoundsForm(forms.Form):
    """The rounds page's one parameter: the page of the rounds table."""

    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)

    def clean_page(self) -> int:
        return self.cleaned_data["page"] or 1


class RoundTable(DashboardTable):
    """A plan's rounds, the newest first."""

    number = tables.Column(verbose_name="Round", empty_values=())
    start = tables.DateTimeColumn(verbose_name="Started", format="j M Y")
    people = tables.Column(attrs=_NUMBER)
    completed = tables.Column(attrs=_NUMBER)
    percent = tables.Column(verbose_name="% completed", attrs=_NUMBER, empty_values=())

    pager_label = "rounds"

    class Meta:
        orderable = False
        attrs = {"class": "table table-sm align-middle rounds-table table-cards"}
        empty_text = "This plan has not generated any conversations yet."

    def __init__(self, *args: Any, current: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current

    def render_number(self, record: rounds.Round) -> SafeString:
        if record.number == self.current:
            return format_html(
                'Round {} <span class="badge text-bg-primary">current</span>', record.number
            )
        return format_html("Round {}", record.number)

    def render_people(self, value: int) -> str:
        return intcomma(value)

    def render_completed(self, value: int) -> str:
        return intcomma(value)

    def render_percent(self, record: rounds.Round) -> str:
        return f"{record.percent} %"


@view_plans_required
def plan_rounds(request: HttpRequest, api_id: str) -> HttpResponse:
    form = RoundsForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    found = rounds.plan_rounds(client=services.client_for(request), api_id=api_id)
    comparison = rounds.compare(found, now=datetime.fromtimestamp(clock.now(), tz=UTC))
    table = RoundTable(
        list(reversed(found.rounds)), current=len(found.rounds), prefix="", orderable=False
    )
    page = form.cleaned_data["page"]
    try:
        table.paginate(page=page, per_page=ROUNDS_PER_PAGE)
    except EmptyPage:
        return past_the_end(request, "page", page, table.paginator.num_pages, "rounds")
    context = {
        "plan_name": found.plan_name,
        "detail_url": reverse("plans:detail", kwargs={"api_id": api_id}),
        "found": found,
        "comparison": comparison,
        "chart": curve_chart(comparison) if comparison else None,
        "table": table,
    }
    return render(request, "plans/plan_rounds.html", context)
