"""Tables of plans, users and departments (django-tables2)."""

from urllib.parse import quote, urlencode

import django_tables2 as tables
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django_tables2.data import TableData, TableListData
from django_tables2.utils import OrderBy

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


class PlanListData(TableListData):
    """Every matching plan, in memory: the list's path when it filters locally or sorts.

    Sorting is case-insensitive and stable (ties keep the API's order), and empty
    values (a one-off plan's frequency) go last in either direction.
    """

    def order_by(self, aliases):
        for alias in reversed(aliases):  # least significant key first: stable sorts compose
            order = OrderBy(alias)
            accessor = self.table.columns[order.bare].accessor

            def text(plan, accessor=accessor):
                return str(accessor.resolve(plan, quiet=True) or "").casefold()

            present = [plan for plan in self.data if text(plan)]
            empty = [plan for plan in self.data if not text(plan)]
            present.sort(key=text, reverse=order.is_descending)
            self.data = present + empty

    @property
    def verbose_name(self) -> str:
        return "plan"

    @property
    def verbose_name_plural(self) -> str:
        return "plans"


def plan_url(api_id: str, *, back: str = "") -> str | None:
    """The plan's detail URL; `back` is the list query string its "Back" link returns to."""
    try:
        url = reverse("plans:detail", kwargs={"api_id": api_id})
    except NoReverseMatch:  # an id the detail URL can never carry (e.g. with a "/")
        return None
    return f"{url}?{back_query(back)}" if back else url


def back_query(back: str) -> str:
    """The detail URL's query string that carries the way back to the list."""
    return urlencode({"back": back}) if back else ""


class PlanTable(tables.Table):
    # Sorting needs every matching plan: the view only passes `sort` to a table over
    # PlanListData. Header links (django-tables2's own) keep the other parameters.
    name = tables.Column(verbose_name="Plan", empty_values=())
    template = tables.Column(accessor="template_name", verbose_name="Template")
    status = tables.Column()
    frequency = tables.Column(default="—", empty_values=(None, ""))

    class Meta:
        order_by_field = "sort"
        # plans/table.html with the rows written out: django-tables2's per-cell machinery
        # was most of the list page's time (tests/test_plan_table.py keeps the two in step).
        template_name = "plans/plan_table.html"
        attrs = {"class": "table table-hover align-middle plans-table"}
        empty_text = "No plans match these filters."

    def __init__(self, *args, back: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.back = back
        self.back_query = back_query(back)  # for plans/plan_table.html

    def render_name(self, value, record):
        url = plan_url(record.api_id, back=self.back)
        label = value or "(unnamed plan)"
        return format_html('<a href="{}">{}</a>', url, label) if url else label

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
        template_name = "plans/table.html"
        attrs = {"class": "table table-sm align-middle"}
        empty_text = "No users are assigned to this plan."

    def render_email(self, value):
        return mailto_link(value)


class DepartmentTable(tables.Table):
    name = tables.Column(verbose_name="Department")

    class Meta:
        orderable = False
        template_name = "plans/table.html"
        attrs = {"class": "table table-sm align-middle"}
        empty_text = "No departments are assigned to this plan."
