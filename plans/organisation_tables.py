"""Tables of the organisation-wide pages (django-tables2, drawn by templates/tables/table.html):
people still to act under one manager, completion by group, data that needs fixing."""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from plans import organisation
from plans.api.results import Department
from plans.tables import (
    CountColumn,
    DashboardTable,
    PercentColumn,
    breakable_email,
    person_url,
    plan_url,
)


def _departments(value: Sequence[Department]) -> str:
    return ", ".join(department.name for department in value) or "—"


def _link_person(record: Any) -> str | None:
    return person_url(record.name, record.user.api_id) if record.user.api_id else None


def _group_url(kind: str, record: organisation.Completion) -> str:
    if kind == "template":
        return f"{reverse('outstanding')}?{urlencode({'template': record.key})}"
    if record.key == "":
        if kind == "department":
            issue = organisation.NO_DEPARTMENT
            return f"{reverse('data_issues')}?{urlencode({'issue': issue})}"
        return f"{reverse('outstanding')}?{urlencode({'manager': organisation.NO_MANAGER})}"
    return f"{reverse('outstanding')}?{urlencode({kind: record.key})}"


class CompletionTable(DashboardTable):
    """Assignments of active plans by group, each row leading to its people still to act."""

    label = tables.Column(verbose_name="Group", empty_values=())
    assigned = CountColumn(verbose_name="Assigned")
    completed = CountColumn(verbose_name="Completed")
    in_progress = CountColumn(verbose_name="In progress")
    not_started = CountColumn(verbose_name="Not started")
    percent_completed = PercentColumn(verbose_name="% completed")

    class Meta:
        attrs = {"class": "table table-sm align-middle table-cards completion-table"}
        order_by_field = "sort"

    def __init__(self, *args: Any, kind: str, heading: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.columns["label"].column.verbose_name = heading
        # Sort and page links lead to the completion page, also from inside the overview.
        self.link_base = reverse("completion")
        self.pager_label = f"{kind}s"

    def render_label(self, record: organisation.Completion) -> SafeString:
        empty = {"department": "No department", "manager": "No manager", "template": "No template"}
        label = record.label or empty[self.kind]
        link = format_html('<a href="{}">{}</a>', _group_url(self.kind, record), label)
        if record.email:
            return format_html(
                '{} <span class="text-body-secondary small">{}</span>', link, record.email
            )
        return link


class DataIssueTable(DashboardTable):
    """People in active plans whose record needs fixing, with their plans."""

    name = tables.Column(empty_values=(), linkify=_link_person)
    email = tables.Column(verbose_name="E-mail", empty_values=())
    issues = tables.Column(accessor="issue_labels", verbose_name="To fix", empty_values=())
    plans = tables.Column(verbose_name="Active plans", empty_values=())

    pager_label = "people"

    class Meta:
        orderable = False
        attrs = {"class": "table table-sm align-middle table-cards data-issue-table"}
        empty_text = (
            "Every person in the active plans has a manager, a department and an active account."
        )

    def render_name(self, value: str) -> str:
        return value or "—"

    def render_email(self, value: str) -> SafeString | str:
        return breakable_email(value) if value else "—"

    def render_issues(self, value: list[str]) -> SafeString:
        return format_html_join(
            " ", '<span class="badge text-bg-warning">{}</span>', ((label,) for label in value)
        )

    def render_plans(self, value: Sequence[organisation.PlanRef]) -> SafeString:
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((plan_url(plan.api_id) or "#", plan.name or "(unnamed plan)") for plan in value),
        )
