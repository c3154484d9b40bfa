"""Tables of plans, users and departments (django-tables2)."""

from urllib.parse import quote

import django_tables2 as tables
from django.utils.html import format_html
from django_tables2.data import TableData
from django_tables2.utils import A

from plans import services

STATUS_BADGES = {"active": "text-bg-success", "draft": "text-bg-secondary"}


def status_badge(status: str) -> str:
    css = STATUS_BADGES.get(status, "text-bg-light")
    return format_html('<span class="badge {}">{}</span>', css, status or "unknown")


class PlanPageData(TableData):
    """Serves the paginator one upstream page of plans, fetched on first use.

    django-tables2 copies any plain sequence into a list (one upstream call per row
    for a lazy one). A TableData subclass is used as-is: the paginator calls
    `len()` (the upstream `count`) and then slices the current page, and both are
    answered from the single call made for that page. The paginator clamps the last
    slice (e.g. [125:137]), so slices are served relative to the fetched window.
    """

    def __init__(self, *, client: services.Client, filters: dict, page: int, per_page: int):
        super().__init__(data=None)
        self._query = dict(client=client, limit=per_page, offset=(page - 1) * per_page, **filters)
        self._page: services.PlanPage | None = None

    def fetch(self) -> services.PlanPage:
        if self._page is None:
            self._page = services.plan_list(**self._query)
        return self._page

    def __len__(self) -> int:
        return self.fetch().count

    def __getitem__(self, key):
        page = self.fetch()
        if isinstance(key, slice):
            start = (key.start or 0) - page.offset
            stop = None if key.stop is None else key.stop - page.offset
            return page.plans[max(start, 0) : stop]
        return page.plans[key - page.offset]

    def __iter__(self):
        return iter(self.fetch().plans)

    @property
    def verbose_name(self) -> str:
        return "plan"

    @property
    def verbose_name_plural(self) -> str:
        return "plans"


class PlanTable(tables.Table):
    name = tables.Column(
        verbose_name="Plan",
        linkify=("plans:detail", {"api_id": A("api_id")}),
    )
    template_name = tables.Column(verbose_name="Template")
    status = tables.Column()
    frequency = tables.Column(default="—", empty_values=(None, ""))

    class Meta:
        orderable = False  # the API offers no ordering
        # bootstrap5-responsive with the rows written out: the per-cell machinery was
        # most of the list page's time (tests/test_plan_table.py keeps the two in step).
        template_name = "plans/plan_table.html"
        attrs = {"class": "table table-hover align-middle plans-table"}
        empty_text = "No plans match these filters."

    def render_status(self, value):
        return status_badge(value)


def mailto_link(email: str) -> str:
    """A mailto: link for a plausible address; anything else is shown as plain text."""
    if "@" not in email or any(ch.isspace() or ch in "<>\"'" for ch in email):
        return email
    return format_html('<a href="mailto:{}">{}</a>', quote(email, safe="@.+-_"), email)


class UserTable(tables.Table):
    name = tables.Column()
    email = tables.Column(empty_values=("",), default="—")

    class Meta:
        orderable = False
        template_name = "django_tables2/bootstrap5-responsive.html"
        attrs = {"class": "table table-sm align-middle"}
        empty_text = "No users are assigned to this plan."

    def render_email(self, value):
        return mailto_link(value)


class DepartmentTable(tables.Table):
    name = tables.Column(verbose_name="Department")

    class Meta:
        orderable = False
        template_name = "django_tables2/bootstrap5-responsive.html"
        attrs = {"class": "table table-sm align-middle"}
        empty_text = "No departments are assigned to this plan."
