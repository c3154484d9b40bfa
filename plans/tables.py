"""Tables of plans, users and departments (django-tables2)."""

import html
from urllib.parse import quote, urlencode

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString
from django_tables2.data import TableData, TableListData
from django_tables2.utils import OrderBy

from plans import services

STATUS_BADGES = {"active": "text-bg-success", "draft": "text-bg-secondary"}


def _badge(status: str) -> SafeString:
    css = STATUS_BADGES.get(status, "text-bg-light")
    return format_html('<span class="badge {}">{}</span>', css, status or "unknown")


# Every row of the plan list has one of these: made once, not once per row.
_KNOWN_BADGES = {status: _badge(status) for status in STATUS_BADGES}


def status_badge(status: str) -> SafeString:
    return _KNOWN_BADGES.get(status) or _badge(status)


def _cell(value) -> str:
    """A cell's HTML, as conditional_escape() gives it for the str and SafeString cells
    here, without its per-call check for lazy strings (thousands of cells per page)."""
    return value if isinstance(value, SafeString) else html.escape(value)


class _PlanNames:
    """How the tables' data containers name their rows (pager labels, empty text)."""

    verbose_name = "plan"
    verbose_name_plural = "plans"


class PlanPageData(_PlanNames, TableData):
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


class PlanListData(_PlanNames, TableListData):
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


def plan_url(api_id: str, *, back: str = "", root: str = "") -> str | None:
    """The plan's detail URL; `back` is the list query string its "Back" link returns to.

    The URL reverse("plans:detail", ...) gives (tests/test_table_rows.py compares them
    for awkward ids), built from the list URL `root` (looked up when not given):
    reverse() pattern-matches on every call, and a page of 100 plans or a CSV export
    builds one URL per plan. None for an id the detail URL can never carry.
    """
    if not api_id or "/" in api_id:  # <str:api_id> is one non-empty path segment
        return None
    url = f"{root or reverse('plans:list')}{quote(api_id, safe=RFC3986_SUBDELIMS + '~:@')}/"
    return f"{url}?{back_query(back)}" if back else url


def back_query(back: str) -> str:
    """The detail URL's query string that carries the way back to the list."""
    return urlencode({"back": back}) if back else ""


class WrittenOutTable(tables.Table):
    """A table whose body rows are written out by `cells`, for speed.

    django-tables2's generic row resolves every cell through its column (accessor,
    render method, signature inspection, copies of the attributes), which was most of
    the list and detail pages' time (README, "Performance"). Header, pager and empty
    text stay django-tables2's, in plans/table.html. tests/test_table_rows.py renders
    every table both ways and requires identical rows, so `cells` cannot drift from
    the columns.
    """

    class Meta:
        template_name = "plans/written_out_table.html"

    def cells(self, record) -> tuple:
        """The record's cell contents in column order; str values are escaped."""
        raise NotImplementedError

    @property
    def rows_html(self) -> SafeString:
        rows = [row.record for row in self.paginated_rows]
        if not rows:
            if not self.empty_text:
                return SafeString("")
            return format_html(
                '<tr><td colspan="{}">{}</td></tr>', len(self.columns), self.empty_text
            )
        # "even"/"odd" as django-tables2 numbers its rows, from 0.
        return SafeString(
            "\n".join(
                f'<tr class="{"odd" if index % 2 else "even"}">'
                + "".join(f"<td>{_cell(value)}</td>" for value in self.cells(record))
                + "</tr>"
                for index, record in enumerate(rows)
            )
        )


class PlanTable(WrittenOutTable):
    # Sorting needs every matching plan: the view only passes `sort` to a table over
    # PlanListData. Header links (django-tables2's own) keep the other parameters.
    name = tables.Column(verbose_name="Plan", empty_values=())
    template = tables.Column(accessor="template_name", verbose_name="Template")
    status = tables.Column()
    frequency = tables.Column(default="—", empty_values=(None, ""))

    class Meta(WrittenOutTable.Meta):
        order_by_field = "sort"
        attrs = {"class": "table table-hover align-middle plans-table"}
        empty_text = "No plans match these filters."

    def __init__(self, *args, back: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.back = back
        # Looked up once per table, not once per row (see plan_url).
        self.plans_root = reverse("plans:list")
        self.link_query = f"?{back_query(back)}" if back else ""

    def render_name(self, value, record):
        url = plan_url(record.api_id, root=self.plans_root)
        label = value or "(unnamed plan)"
        if not url:
            return label
        return SafeString(
            f'<a href="{html.escape(url + self.link_query)}">{html.escape(label)}</a>'
        )

    def render_status(self, value):
        return status_badge(value)

    def cells(self, plan: services.PlanSummary) -> tuple:
        return (
            self.render_name(plan.name, plan),
            plan.template_name or "—",
            self.render_status(plan.status) if plan.status else "—",
            plan.frequency or "—",
        )


def mailto_link(email: str) -> str:
    """A mailto: link for a plausible address; anything else is shown as plain text."""
    if "@" not in email or any(ch.isspace() or ch in "<>\"'" for ch in email):
        return email
    return format_html('<a href="mailto:{}">{}</a>', quote(email, safe="@.+-_"), email)


class UserTable(WrittenOutTable):
    name = tables.Column()
    email = tables.Column(empty_values=("",), default="—")

    class Meta(WrittenOutTable.Meta):
        orderable = False
        attrs = {"class": "table table-sm align-middle"}
        empty_text = "No users are assigned to this plan."

    def render_email(self, value):
        return mailto_link(value)

    def cells(self, user: services.User) -> tuple:
        return (user.name or "—", self.render_email(user.email) if user.email else "—")


class DepartmentTable(WrittenOutTable):
    name = tables.Column(verbose_name="Department")

    class Meta(WrittenOutTable.Meta):
        orderable = False
        attrs = {"class": "table table-sm align-middle"}
        empty_text = "No departments are assigned to this plan."

    def cells(self, department: services.Department) -> tuple:
        return (department.name or "—",)
