"""Tables of plans, users and departments (django-tables2), drawn in Jinja2 by
templates/tables/table.html (the plans', with their phone cards, by tables/plans.html)."""

import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import django_tables2 as tables
from django.http import HttpRequest
from django.template import engines
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django_tables2.columns import BoundColumn
from django_tables2.data import TableData, TableListData
from django_tables2.rows import BoundRow
from django_tables2.utils import OrderBy

from plans import services
from plans.labels import frequency_label, frequency_sort_key, status_label

RenderFunction = TypeVar("RenderFunction", bound=Callable[..., Any])

STATUS_BADGES = {"active": "text-bg-success", "draft": "text-bg-secondary"}


@functools.lru_cache(maxsize=64)  # a list shows a handful of statuses, row after row
def status_badge(status: str | None) -> SafeString:
    css = STATUS_BADGES.get(status or "", "text-bg-light border")
    return format_html('<span class="badge {}">{}</span>', css, status_label(status))


def plan_url(api_id: str, *, back: str = "") -> str | None:
    """The plan's page; `back` is the list query string its "Back to results" link returns to.

    None for an id the plan page's URL can never carry (empty, or with a slash).
    """
    try:
        url = reverse("plans:detail", kwargs={"api_id": api_id})
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode({'back': back})}" if back else url


def mailto_url(email: str) -> str | None:
    """A mailto: URL for a plausible address; None for anything else (shown as plain text)."""
    if "@" not in email or any(ch.isspace() or ch in "<>\"'" for ch in email):
        return None
    return f"mailto:{quote(email, safe='@.+-_')}"


# Sort keys of a whole column: (groups, ranks), one of each per value. The groups keep
# their order whichever the direction; the ranks sort within them.


def _text_sort_keys(values: list[object]) -> tuple[list[int], list[str]]:
    """Case-insensitive text, empty values in a group of their own after the others."""
    ranks = [str(value or "").casefold() for value in values]
    return [0 if rank else 1 for rank in ranks], ranks


def _frequency_sort_keys(values: list[object]) -> tuple[list[int], list[tuple[int, str]]]:
    keys = [frequency_sort_key(value if isinstance(value, str) else None) for value in values]
    return [group for group, _, _ in keys], [(interval, text) for _, interval, text in keys]


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

    def __init__(
        self, *, client: services.Client, filters: dict[str, str], page: int, per_page: int
    ) -> None:
        super().__init__(data=None)
        self._client = client
        self._filters = filters
        self._limit = per_page
        self._offset = (page - 1) * per_page
        self._page: services.PlanPage | None = None

    def fetch(self) -> services.PlanPage:
        if self._page is None:
            self._page = services.plan_list(
                client=self._client, limit=self._limit, offset=self._offset, **self._filters
            )
        return self._page

    def __len__(self) -> int:
        return self.fetch().count

    def __getitem__(self, key: int | slice) -> Any:
        page = self.fetch()
        if isinstance(key, slice):
            start = (key.start or 0) - page.offset
            stop = None if key.stop is None else key.stop - page.offset
            return page.plans[max(start, 0) : stop]
        return page.plans[key - page.offset]

    def __iter__(self) -> Iterator[services.PlanSummary]:
        return iter(self.fetch().plans)


class PlanListData(_PlanNames, TableListData):
    """Every matching plan, in memory: the list's path when it filters locally or sorts.

    Sorting is case-insensitive and stable (ties keep the API's order); frequencies sort
    by interval (plans.labels). Empty values (a plan without a template, a one-off
    plan's frequency) and unknown frequencies stay after the others in either direction.
    """

    SORT_KEYS: dict[str, Callable[[list[object]], tuple[list[int], list[Any]]]] = {
        "frequency": _frequency_sort_keys
    }

    def __init__(self, plans: Sequence[services.PlanSummary]) -> None:
        super().__init__(list(plans))  # a copy: sorting reorders it in place

    def order_by(self, aliases: Any) -> None:
        if aliases:
            self.data[:] = self._sorted(aliases)

    def _sorted(self, aliases: Any) -> list[services.PlanSummary]:
        plans = list(self.data)
        for alias in reversed(aliases):  # least significant key first: stable sorts compose
            order = OrderBy(alias)
            # Plans are dataclasses and every column reads one field: getattr, not
            # Accessor.resolve, whose generality is most of the cost of sorting 5,000 plans.
            field = str(self.table.columns[order.bare].accessor)
            values = [getattr(plan, field) for plan in plans]
            groups, ranks = self.SORT_KEYS.get(order.bare, _text_sort_keys)(values)
            # Positions within each group in the requested direction, the groups always in
            # order; keyed by list lookups, which cost no Python call per plan.
            positions = sorted(
                range(len(values)), key=ranks.__getitem__, reverse=order.is_descending
            )
            positions.sort(key=groups.__getitem__)
            plans = [plans[position] for position in positions]
        return plans


def stated_signature(fn: RenderFunction) -> RenderFunction:
    """States a cell function's signature, which django-tables2 reads for every cell it renders.

    inspect.signature() returns a stated `__signature__` instead of working it out each time.
    """
    fn.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]
    return fn


@stated_signature
def _link_to_plan(record: services.PlanSummary, table: "PlanTable") -> str | None:
    return plan_url(record.api_id, back=table.back)


class CellsOnceRow(BoundRow):
    """A row whose cells are each rendered once, however often a template shows them (the
    plan list shows each row twice: the table, and the cards on phones), and straight from
    the record.

    Every column of the dashboard's tables reads one field of the record and renders from
    the value alone (its `render_*` method or Column.render), and may link to a URL made
    from the record or the value (`linkify`, without attributes of its own); so a cell is
    the value, its column's default when empty, its render and its link, as
    django-tables2 makes it.
    """

    def __init__(self, record: Any, table: tables.Table) -> None:
        super().__init__(record, table=table)
        self._rendered: dict[str, Any] = {}

    def __iter__(self) -> Iterator[Any]:
        # The shown columns' cells, without BoundRow.items()'s per-cell bookkeeping for
        # callable column attributes, which these tables do not have.
        for name in self.table.shown_columns:
            yield self.get_cell(name)

    def get_cell(self, name: str) -> Any:
        if name not in self._rendered:
            self._rendered[name] = self._render(name)
        return self._rendered[name]

    def _render(self, name: str) -> Any:
        # Hand-written: django-tables2's generic path (accessor resolution and signature
        # inspection for every cell) costs more than 15 % of a list page.
        bound_column = self.table.shown_columns[name]
        value = getattr(self.record, str(bound_column.accessor))
        if value in bound_column.column.empty_values:
            return bound_column.default
        content = bound_column.render(value)
        if not bound_column.link:
            return content
        url = bound_column.link.compose_url(record=self.record, value=value, table=self.table)
        return format_html('<a href="{}">{}</a>', url, content) if url else content


class DashboardTable(tables.Table):
    """A table whose page of rows is made once, so that each row renders its cells once."""

    shown_columns: dict[str, BoundColumn]

    def as_html(self, request: HttpRequest) -> SafeString:
        """The table drawn by its template (templates/tables/), for a page to show.

        The pages are Jinja2 templates, where django-tables2's {% render_table %} tag does
        not exist: the view draws the table and the page shows the HTML.
        """
        self.before_render(request)
        template = engines["jinja2"].get_template(self.template_name)
        return mark_safe(template.render({"table": self}, request))  # noqa: S308 (autoescaped)

    def paginate(self, *args: Any, **kwargs: Any) -> None:
        super().paginate(*args, **kwargs)
        # By name, in order: BoundColumns looks a name up by walking every column.
        self.shown_columns = {column.name: column for column in self.columns}
        rows = self.page.object_list.data
        self.page.object_list = [CellsOnceRow(record, table=self) for record in rows]


class PlanTable(DashboardTable):
    # Sorting needs every matching plan: the view only passes `sort` to a table over
    # PlanListData. Header links keep the other parameters (tables/table.html).
    name = tables.Column(verbose_name="Plan", empty_values=(), linkify=_link_to_plan)
    template = tables.Column(accessor="template_name", verbose_name="Template", default="—")
    status = tables.Column(empty_values=())
    frequency = tables.Column(empty_values=())

    class Meta:
        template_name = "tables/plans.html"
        order_by_field = "sort"
        attrs = {"class": "table table-hover align-middle plans-table"}
        empty_text = "No plans match these filters."

    def __init__(self, *args: Any, back: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.back = back

    @stated_signature
    def render_name(self, value: str) -> str:
        return value or "(unnamed plan)"

    @stated_signature
    def render_status(self, value: str) -> SafeString:
        return status_badge(value)

    @stated_signature
    def render_frequency(self, value: str | None) -> str:
        return frequency_label(value)


@stated_signature
def _link_to_mailbox(value: str) -> str | None:
    return mailto_url(value)


class UserTable(DashboardTable):
    name = tables.Column(default="—")
    email = tables.Column(default="—", linkify=_link_to_mailbox)

    class Meta:
        template_name = "tables/table.html"
        orderable = False
        attrs = {"class": "table table-sm align-middle"}
        empty_text = "No users are assigned to this plan."


class DepartmentTable(DashboardTable):
    name = tables.Column(verbose_name="Department", default="—")

    class Meta:
        template_name = "tables/table.html"
        orderable = False
        attrs = {"class": "table table-sm align-middle"}
        empty_text = "No departments are assigned to this plan."
