from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django import forms

from plans.api.paths import MAX_ID_LENGTH
from plans.filters import MAX_FILTER_LENGTH, MAX_PAGE, PlanFilter, fold, no_control_characters
from plans.roster import STILL_TO_ACT, Member, select
from plans.services import COMPLETED, IN_PROGRESS, NOT_STARTED

_EARLIEST = datetime.min.replace(tzinfo=UTC)

MAX_BACK_LENGTH = 2000


def list_query(raw: str) -> str:
    """The plan list's own parameters from a query string, re-encoded; anything else dropped.

    The result only ever follows "/plans/?", so a "Back to results" link built from it
    cannot lead anywhere but the plan list (no open redirect), whatever `raw` holds.
    """
    if len(raw) > MAX_BACK_LENGTH:
        return ""
    allowed = set(PlanFilter.base_filters) | set(PlanFilter._meta.form.base_fields)
    return urlencode([(k, v) for k, v in parse_qsl(raw) if k in allowed])


# A plan's people: the state tabs (besides "Everyone"), in the order they are shown.
STATE_FILTER_CHOICES = [
    (COMPLETED, "Completed"),
    (IN_PROGRESS, "In progress"),
    (NOT_STARTED, "Not started"),
    (STILL_TO_ACT, "Still to act"),
]
# What the heading says each view shows.
STATE_HEADINGS = {"": "Everyone", **dict(STATE_FILTER_CHOICES)}
# The `state` value bookmarks made before "to_act" still carry.
OLD_STILL_TO_ACT = "outstanding"
PEOPLE_PER_PAGE_CHOICES = (25, 50, 100)
PEOPLE_PER_PAGE = 25  # a phone screen or two of cards; 3,000 people stay 120 pages
# Sortable columns of plans.tables.PlanPeopleTable; "-name" sorts descending.
PEOPLE_SORTS = ("name", "email", "departments", "manager", "state", "date", "rounds")
# Sortable columns of plans.tables.TeamTable (completion by department or manager).
TEAM_SORTS = ("name", "people", "completed", "in_progress", "not_started", "percent")
# Completion by team: the groups furthest behind first, this many to a page.
TEAM_DEFAULT_SORT = "percent"
TEAMS_PER_PAGE = 10
# Who has to act first comes first: not started, then in progress, then completed.
STATE_ORDER = {NOT_STARTED: 0, IN_PROGRESS: 1, COMPLETED: 2}


def _sort_choices(columns: Sequence[str]) -> list[tuple[str, str]]:
    return [(key, key) for column in columns for key in (column, f"-{column}")]


class PlanPeopleForm(forms.Form):
    """Query parameters of a plan's people table, its completion by team, and users.csv.

    Unknown parameters are ignored (the plan page's `back` travels along with them).
    """

    q = forms.CharField(
        label="Search name, e-mail, department or manager",
        max_length=MAX_FILTER_LENGTH,
        required=False,
        validators=[no_control_characters],
    )
    state = forms.ChoiceField(
        label="State",
        choices=[("", "Everyone"), *STATE_FILTER_CHOICES, (OLD_STILL_TO_ACT, "Still to act")],
        required=False,
    )
    department = forms.CharField(
        max_length=MAX_ID_LENGTH, required=False, validators=[no_control_characters]
    )
    manager = forms.CharField(
        max_length=MAX_ID_LENGTH, required=False, validators=[no_control_characters]
    )
    sort = forms.ChoiceField(choices=_sort_choices(PEOPLE_SORTS), required=False)
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    per_page = forms.TypedChoiceField(
        label="People per page",
        choices=[(n, n) for n in PEOPLE_PER_PAGE_CHOICES],
        coerce=int,
        required=False,
        empty_value=PEOPLE_PER_PAGE,  # type: ignore[arg-type]
    )
    # The completion-by-team tables' own sorting (their prefixes: plans.tables.TeamTable).
    by_department_sort = forms.ChoiceField(choices=_sort_choices(TEAM_SORTS), required=False)
    by_manager_sort = forms.ChoiceField(choices=_sort_choices(TEAM_SORTS), required=False)
    by_department_page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    by_manager_page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for field in ("page", "by_department_page", "by_manager_page"):
            data[field] = data.get(field) or 1
        for field in ("by_department_sort", "by_manager_sort"):
            data[field] = data.get(field) or TEAM_DEFAULT_SORT
        return data

    def clean_state(self) -> str:
        state: str = self.cleaned_data["state"]
        return STILL_TO_ACT if state == OLD_STILL_TO_ACT else state

    @property
    def filters(self) -> dict[str, str]:
        """The selection's filters, as `roster.select` takes them."""
        return {key: self.cleaned_data[key] for key in ("state", "q", "department", "manager")}

    def selected(self, members: Sequence[Member]) -> list[Member]:
        """The members the filters choose, sorted as the URL says (`sort_people`)."""
        return sort_people(select(members, **self.filters), self.cleaned_data["sort"])


class DetailForm(PlanPeopleForm):
    """Query parameters of the plan page: its people table's, and the way back."""

    # The list's query string, so "Back to results" restores the admin's filters.
    back = forms.CharField(required=False, strip=False)

    def clean_back(self) -> str:
        return list_query(self.cleaned_data.get("back") or "")


def _by_name(person: Member) -> tuple[str, str]:
    return person.user.name.casefold(), person.user.api_id


def _text(value: str) -> tuple[int, str]:
    """Case- and accent-insensitive text; empty values in a group of their own, last."""
    return (0 if value else 1, fold(value))


_SORT_KEYS: dict[str, Callable[[Member], Any]] = {
    "name": lambda m: _text(m.user.name),
    "email": lambda m: _text(m.user.email),
    "departments": lambda m: _text(", ".join(sorted(fold(d.name) for d in m.departments))),
    "manager": lambda m: _text(m.manager.name if m.manager else ""),
    "rounds": lambda m: m.standing.rounds_completed,
}


def sort_people(people: Sequence[Member], sort: str) -> list[Member]:
    """People in the plan's order (no `sort`) or by a column, ties by name; a leading "-"
    reverses. By state: who has to act first, first. By date (completed on, or last
    moved): oldest first. Empty values (no date, department or manager) stay last either
    way."""
    chosen = list(people)
    if not sort:
        return chosen  # the plan's own order
    descending = sort.startswith("-")
    column = sort.lstrip("-")
    chosen.sort(key=_by_name)
    if column == "state":
        chosen.sort(key=lambda p: STATE_ORDER[p.standing.state], reverse=descending)
    elif column == "date":
        dated = [p for p in chosen if p.standing.date is not None]
        dated.sort(key=lambda p: p.standing.date or _EARLIEST, reverse=descending)
        chosen = dated + [p for p in chosen if p.standing.date is None]
    elif column == "rounds":
        chosen.sort(key=_SORT_KEYS[column], reverse=descending)
    else:
        keyed = [(_SORT_KEYS[column](p), p) for p in chosen]
        keyed.sort(key=lambda pair: pair[0][1], reverse=descending)
        keyed.sort(key=lambda pair: pair[0][0])  # the empty ones last either way
        chosen = [p for _key, p in keyed]
    return chosen


PEOPLE_SHOWN = 50


class PeopleForm(forms.Form):
    """Query parameters of the people page: a name to search, and the person chosen."""

    name = forms.CharField(
        label="Name",
        max_length=MAX_FILTER_LENGTH,
        required=False,
        validators=[no_control_characters],
        widget=forms.SearchInput(attrs={"class": "form-control"}),
    )
    person = forms.CharField(
        max_length=MAX_ID_LENGTH, required=False, validators=[no_control_characters]
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("person") and not data.get("name"):
            raise forms.ValidationError("Give the person's name along with their id.")
        return data
