"""Tables of plans, people and their plans, users and departments (django-tables2), drawn by
templates/tables/table.html (settings.DJANGO_TABLES2_TEMPLATE) with {% render_table %}."""

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import django_tables2 as tables
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.timezone import localtime
from django_tables2.data import TableData, TableListData
from django_tables2.utils import Accessor, OrderBy

from plans import services
from plans.forms import sort_people
from plans.labels import frequency_label, frequency_sort_key, status_label
from plans.roster import OTHER, Member, Team

STATUS_BADGES = {"active": "text-bg-success", "draft": "text-bg-secondary"}


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


def person_url(name: str, api_id: str) -> str:
    """The people page with this person chosen (their name finds them again upstream)."""
    return f"{reverse('people')}?{urlencode({'name': name, 'person': api_id})}"


def mailto_url(email: str) -> str | None:
    """A mailto: URL for a plausible address; None for anything else (shown as plain text)."""
    if "@" not in email or any(ch.isspace() or ch in "<>\"'" for ch in email):
        return None
    return f"mailto:{quote(email, safe='@.+-_')}"


def teams_chat_url(email: str) -> str:
    """A link that opens a Microsoft Teams chat with this address."""
    return "https://teams.microsoft.com/l/chat/0/0?" + urlencode({"users": email})


def _text_key(value: object) -> tuple[int, str]:
    """Case-insensitive text; empty values in a group of their own after the others."""
    text = str(value or "").casefold()
    return (0 if text else 1, text)


def _frequency_key(value: object) -> tuple[int, tuple[int, str]]:
    """By interval (plans.labels), unknown wordings next, one-offs last."""
    group, interval, text = frequency_sort_key(value if isinstance(value, str) else None)
    return (group, (interval, text))


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
    by interval. Empty values (a plan without a template, a one-off plan's frequency) and
    unknown frequencies stay after the others in either direction, which django-tables2's
    own list sorting (plain comparison of the values) does not do.
    """

    SORT_KEYS: dict[str, Callable[[object], tuple[int, Any]]] = {"frequency": _frequency_key}

    def __init__(self, plans: Sequence[services.PlanSummary]) -> None:
        super().__init__(list(plans))  # a copy: sorting reorders it in place

    def order_by(self, aliases: Any) -> None:
        for alias in reversed(aliases):  # least significant first: stable sorts compose
            order = OrderBy(alias)
            accessor = self.table.columns[order.bare].accessor
            key = self.SORT_KEYS.get(order.bare, _text_key)
            keyed = [(key(accessor.resolve(plan)), plan) for plan in self.data]
            # Within each group in the asked direction; the groups always in order.
            keyed.sort(key=lambda pair: pair[0][1], reverse=order.is_descending)
            keyed.sort(key=lambda pair: pair[0][0])
            self.data[:] = [plan for _key, plan in keyed]


class DashboardTable(tables.Table):
    """Every table of the dashboard, drawn by templates/tables/table.html (settings)."""

    # The pager's label, "Pages of plans" (tables/table.html); without one, the table's
    # prefix names it ("users_": "Pages of users"), else "Pages of items".
    pager_label = ""
    # Where its sort and page links lead (tables/table.html puts it before their query).
    link_base = ""

    def drawn_from(self) -> tuple[Any, ...]:
        """What the table's HTML depends on besides its rows and the request's query: part
        of the key under which `{% render_kept_table %}` (plans.templatetags) keeps it."""
        return (self.link_base,)


def _link_to_plan(record: services.PlanSummary, table: "PlanTable") -> str | None:
    return plan_url(record.api_id, back=table.back)


class PlanTable(DashboardTable):
    # Sorting needs every matching plan: the view only passes `sort` to a table over
    # PlanListData. Header links keep the other parameters (tables/table.html).
    name = tables.Column(verbose_name="Plan", empty_values=(), linkify=_link_to_plan)
    template = tables.Column(accessor="template_name", verbose_name="Template", default="—")
    status = tables.Column(empty_values=())
    frequency = tables.Column(empty_values=())

    pager_label = "plans"

    class Meta:
        order_by_field = "sort"
        # table-cards: a card per row on phones (dashboard.css).
        attrs = {"class": "table table-hover align-middle plans-table table-cards"}
        empty_text = "No plans match these filters."

    def __init__(self, *args: Any, back: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.back = back

    def drawn_from(self) -> tuple[Any, ...]:
        return (*super().drawn_from(), self.back)

    def render_name(self, value: str) -> str:
        return value or "(unnamed plan)"

    def render_status(self, value: str) -> SafeString:
        return status_badge(value)

    def render_frequency(self, value: str | None) -> str:
        return frequency_label(value)


def _department_names(departments: Sequence[services.Department]) -> str:
    return ", ".join(department.name for department in departments) or "—"


class PeopleTable(DashboardTable):
    """People whose name matches a search, each linking to the plans they are in."""

    name = tables.Column(empty_values=())
    email = tables.Column(verbose_name="E-mail", default="—")
    departments = tables.Column(empty_values=())
    manager = tables.Column(accessor="manager__name", default="—")

    pager_label = "people"

    class Meta:
        orderable = False
        attrs = {"class": "table table-sm align-middle table-cards"}

    def render_name(self, value: str, record: services.Person) -> SafeString:
        # Linked by hand, not with linkify: a leaver's badge follows the link, outside it.
        name = value or "—"
        cell = format_html('<a href="{}">{}</a>', person_url(value, record.api_id), name)
        if not record.api_id:
            cell = format_html("{}", name)
        if record.active is False:
            cell = format_html('{} <span class="badge text-bg-light">inactive</span>', cell)
        return cell

    def render_email(self, value: str) -> SafeString:
        return breakable_email(value)

    def render_departments(self, value: Sequence[services.Department]) -> str:
        return _department_names(value)


def _link_to_plan_for(record: services.PersonPlan, table: "PersonPlanTable") -> str | None:
    url = plan_url(record.plan_api_id)
    return f"{url}?{urlencode({'q': table.person.name})}" if url else None


def _standing_detail(standing: services.Standing) -> SafeString | str:
    """Completed: when. Otherwise the stage, and when the conversation last moved."""
    if standing.state == services.COMPLETED:
        return format_html("on {}", _time(standing.completed)) if standing.completed else "—"
    moved = format_html(", last moved {}", _time(standing.moved)) if standing.moved else ""
    return format_html("{}{}", standing.stage or "—", moved)


def _time(when: Any) -> SafeString:
    local = localtime(when)
    return format_html(
        '<time datetime="{}">{}</time>', local.isoformat(), date_format(local, "j M Y")
    )


class PersonPlanTable(DashboardTable):
    """The plans a person is in and where they stand; each links to the plan searched for them."""

    plan_name = tables.Column(verbose_name="Plan", empty_values=(), linkify=_link_to_plan_for)
    template_name = tables.Column(verbose_name="Template", default="—")
    state = tables.Column(accessor="standing", verbose_name="State")
    stage = tables.Column(accessor="standing", verbose_name="Stage and date")
    rounds = tables.Column(
        accessor="standing__rounds_completed",
        verbose_name="Rounds completed",
        attrs={"th": {"class": "text-end"}, "td": {"class": "text-end"}},
    )

    pager_label = "plans"

    class Meta:
        orderable = False
        attrs = {"class": "table table-sm align-middle table-cards"}

    def __init__(self, *args: Any, person: services.Person, **kwargs: Any) -> None:
        super().__init__(
            *args,
            empty_text=f"{person.name or 'This person'} has no conversations in any plan yet.",
            **kwargs,
        )
        self.person = person

    def render_plan_name(self, value: str) -> str:
        return value or "(unnamed plan)"

    def render_state(self, value: services.Standing) -> SafeString:
        return format_html(
            '<span class="badge participation-{}">{}</span>', value.state, value.state_label
        )

    def render_stage(self, value: services.Standing) -> SafeString | str:
        return _standing_detail(value)

    def render_rounds(self, value: int) -> str:
        return intcomma(value)


def _link_to_mailbox(value: str) -> str | None:
    return mailto_url(value)


def breakable_email(email: str) -> SafeString:
    """An e-mail address that may wrap after its @ and its dots only, never mid-word
    (a <wbr> there; dashboard.css keeps `word-break: normal` on it)."""
    pieces = re.split(r"(?<=[@.])", email)
    return SafeString("<wbr>".join(str(escape(piece)) for piece in pieces))


def _link_to_person(record: Member) -> str | None:
    user = record.user
    if not user.api_id:
        return None
    return f"{reverse('people')}?{urlencode({'name': user.name, 'person': user.api_id})}"


class PlanPeopleData(TableListData):
    """A plan's people, ordered as the people table's `sort` says (plans.forms.sort_people)."""

    data: list[Member]
    verbose_name = "person"
    verbose_name_plural = "people"

    def order_by(self, aliases: Any) -> None:
        if aliases:
            self.data = sort_people(self.data, str(aliases[0]))


class PlanPeopleTable(DashboardTable):
    """A plan's people: who they are, their departments and manager, where they stand.

    Sorted by `sort`, paged by `page` and `per_page` (all in the URL); its links lead to
    `link_base` (the plan page, or the people's page of their own without JavaScript).
    """

    # The person's page is not a view of this table: the browser follows it, not htmx
    # (the plan page's people section follows its own links in place, with hx-boost).
    name = tables.Column(
        accessor="user__name",
        default="—",
        linkify=_link_to_person,
        attrs={"a": {"hx-boost": "false"}},
    )
    email = tables.Column(accessor="user__email", verbose_name="E-mail", default="—")
    departments = tables.Column(verbose_name="Department", empty_values=())
    manager = tables.Column(empty_values=())
    state = tables.Column(accessor="standing__state", empty_values=())
    date = tables.Column(accessor="standing", verbose_name="Stage and date", empty_values=())
    rounds = tables.Column(
        accessor="standing__rounds_completed",
        verbose_name="Rounds done",
        attrs={"th": {"class": "text-end"}, "td": {"class": "text-end"}},
    )
    pager_label = "people"

    class Meta:
        order_by_field = "sort"
        per_page_field = "per_page"
        # table-cards: a card per row on phones (dashboard.css).
        attrs = {"class": "table table-sm align-middle plan-people-table table-cards"}
        empty_text = "No users are assigned to this plan."

    def __init__(
        self,
        *args: Any,
        link_base: str,
        reminded: dict[str, datetime] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Its sort and page links lead to the plan page when the table is shown in it
        # (tables/table.html puts this before their query).
        self.link_base = link_base
        # When each person was last reminded about the plan (reminders.services).
        self.reminded = reminded or {}

    def reminded_ago(self, api_id: str) -> str | None:
        """How long ago the person was last reminded ("3 days"), None if never."""
        reminded = self.reminded.get(api_id)
        return None if reminded is None else timesince(reminded, now=timezone.now(), depth=1)

    def drawn_from(self) -> tuple[Any, ...]:
        # "Reminded 3 days ago" changes with the reminders sent and with time.
        page = getattr(self, "page", None)
        shown = [row.record.user.api_id for row in page.object_list] if page else []
        return (*super().drawn_from(), [self.reminded_ago(api_id) for api_id in shown])

    def render_email(self, value: str) -> SafeString:
        address = breakable_email(value)
        url = mailto_url(value)
        return format_html('<a href="{}" class="email">{}</a>', url, address) if url else address

    def render_departments(self, record: Member) -> str:
        return _department_names(record.departments)

    def render_manager(self, record: Member) -> str:
        return record.manager.name if record.manager and record.manager.name else "—"

    def render_state(self, record: Member) -> SafeString:
        standing = record.standing
        badge = format_html(
            '<span class="badge participation-{}">{}</span>', standing.state, standing.state_label
        )
        ago = self.reminded_ago(record.user.api_id)
        if ago is None:
            return badge
        return format_html(
            '{}<br><small class="text-body-secondary reminded">Reminded {} ago</small>', badge, ago
        )

    def render_date(self, value: services.Standing) -> SafeString | str:
        # Completed on; the stage reached and when it last moved; nothing yet.
        if value.state == services.NOT_STARTED:
            return "—"
        return _standing_detail(value)

    def render_rounds(self, value: int) -> str:
        return intcomma(value)


def _link_to_team(record: Team, table: "TeamTable") -> str | None:
    """The people table filtered to this group (none for "Other": no one filter shows it)."""
    if record.key == OTHER:
        return None
    return table.team_url(record.key)


_NUMBER = {"th": {"class": "text-end"}, "td": {"class": "text-end"}}


class CountColumn(tables.Column):
    """A count: right-aligned, with thousands separators."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, attrs=_NUMBER, **kwargs)

    def render(self, value: int) -> str:
        return intcomma(value)


class PercentColumn(CountColumn):
    """A whole percentage, right-aligned."""

    def render(self, value: int) -> str:
        return f"{value}%"


class TeamData(TableListData):
    """Groups, sorted with one key per group: django-tables2's list sorting resolves the
    accessors in every comparison, which kept the warm people table above 25 ms (28 ms)."""

    data: list[Team]

    def order_by(self, aliases: Any) -> None:
        accessors: list[OrderBy] = []
        for alias in aliases:
            column = self.table.columns[OrderBy(alias).bare]
            same_way = alias[0] == column.order_by_alias[0]
            accessors += column.order_by if same_way else column.order_by.opposite
        for accessor in reversed(accessors):  # stable sorts, the least significant first
            resolve = Accessor(accessor.bare).resolve
            self.data.sort(key=resolve, reverse=accessor.is_descending)


class TeamTable(DashboardTable):
    """Completion by department (ManagerTeamTable: by manager); each group links to its
    people."""

    name = tables.Column(verbose_name="Department", order_by=("sort_name",), linkify=_link_to_team)
    people = CountColumn()
    completed = CountColumn()
    in_progress = CountColumn(verbose_name="In progress")
    not_started = CountColumn(verbose_name="Not started")
    percent = PercentColumn(accessor="percent_completed", verbose_name="% completed")

    class Meta:
        order_by_field = "sort"
        attrs = {"class": "table table-sm align-middle team-table table-cards"}
        empty_text = "No users are assigned to this plan."

    def __init__(
        self, *args: Any, by: str, link_base: str, team_url: Callable[[str], str], **kwargs: Any
    ) -> None:
        super().__init__(*args, prefix=f"by_{by}_", **kwargs)
        self.link_base = link_base
        self.team_url = team_url
        self.pager_label = "managers" if by == "manager" else "departments"


class ManagerTeamTable(TeamTable):
    name = tables.Column(verbose_name="Manager", order_by=("sort_name",), linkify=_link_to_team)

    class Meta(TeamTable.Meta):  # django-tables2 does not inherit Meta by itself
        pass
