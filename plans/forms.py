from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django import forms

from plans.api.paths import MAX_ID_LENGTH
from plans.filters import MAX_FILTER_LENGTH, MAX_PAGE, PlanFilter, fold, no_control_characters
from plans.services import (
    COMPLETED,
    IN_PROGRESS,
    NOT_STARTED,
    Department,
    Participant,
    User,
)

_EARLIEST = datetime.min.replace(tzinfo=UTC)

USERS_PER_PAGE = 50
DEPARTMENTS_PER_PAGE = 50
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


def user_matches(needle: str, user: User) -> bool:
    """Whether a folded search text is in the person's name or e-mail before the @."""
    return needle in fold(user.name) or needle in fold(user.email.rpartition("@")[0] or user.email)


class DetailForm(forms.Form):
    """Query parameters of the plan detail page: assignee search, paging, the way back."""

    q = forms.CharField(
        label="Search people and departments",
        max_length=MAX_FILTER_LENGTH,
        required=False,
        validators=[no_control_characters],
    )
    users_page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    departments_page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    # The list's query string, so "Back to results" restores the admin's filters.
    back = forms.CharField(required=False, strip=False)

    def clean_back(self) -> str:
        return list_query(self.cleaned_data.get("back") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for field in ("users_page", "departments_page"):
            data[field] = data.get(field) or 1
        return data

    def matching_users(self, users: tuple[User, ...]) -> tuple[User, ...]:
        """People whose name or e-mail address before the @ contains the search text.

        Case and accents are ignored. The domain is left out: every address shares it,
        so searching "example" would otherwise match everyone.
        """
        needle = fold(self.cleaned_data.get("q", ""))
        if not needle:  # everyone: a plan may have thousands of users
            return users
        return tuple(u for u in users if user_matches(needle, u))

    def matching_departments(self, departments: tuple[Department, ...]) -> tuple[Department, ...]:
        """Departments whose name contains the search text, ignoring case and accents."""
        needle = fold(self.cleaned_data.get("q", ""))
        if not needle:
            return departments
        return tuple(d for d in departments if needle in fold(d.name))


PARTICIPANTS_PER_PAGE = 50
# `state` values: the three states, and "outstanding" for everyone who still has to act.
OUTSTANDING = "outstanding"
STATE_FILTER_CHOICES = [
    (COMPLETED, "Completed"),
    (IN_PROGRESS, "In progress"),
    (NOT_STARTED, "Not started"),
    (OUTSTANDING, "Still to act (in progress or not started)"),
]
STATES_SELECTED = {
    COMPLETED: {COMPLETED},
    IN_PROGRESS: {IN_PROGRESS},
    NOT_STARTED: {NOT_STARTED},
    OUTSTANDING: {IN_PROGRESS, NOT_STARTED},
}
PARTICIPATION_SORTS = ("name", "state", "date")
# Who has to act first comes first: not started, then in progress, then completed.
STATE_ORDER = {NOT_STARTED: 0, IN_PROGRESS: 1, COMPLETED: 2}


def _by_name(participant: Participant) -> tuple[str, str]:
    return participant.user.name.casefold(), participant.user.api_id


class ParticipationForm(forms.Form):
    """Query parameters of a plan's participation list and its CSV export."""

    q = forms.CharField(
        label="Search people (name or e-mail)",
        max_length=MAX_FILTER_LENGTH,
        required=False,
        validators=[no_control_characters],
    )
    state = forms.ChoiceField(
        label="State", choices=[("", "Everyone"), *STATE_FILTER_CHOICES], required=False
    )
    sort = forms.ChoiceField(
        choices=[(key, key) for sort in PARTICIPATION_SORTS for key in (sort, f"-{sort}")],
        required=False,
    )
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)

    def clean_page(self) -> int:
        return self.cleaned_data["page"] or 1

    def searched(self, participants: Sequence[Participant]) -> list[Participant]:
        """Participants the plan page's search would show (`DetailForm.matching_users`)."""
        needle = fold(self.cleaned_data["q"])
        if not needle:
            return list(participants)
        return [p for p in participants if user_matches(needle, p.user)]

    def chosen(self, participants: Sequence[Participant]) -> list[Participant]:
        """The searched participants in the chosen state, in the plan's order."""
        chosen = self.searched(participants)
        if state := self.cleaned_data["state"]:
            wanted = STATES_SELECTED[state]
            chosen = [p for p in chosen if p.standing.state in wanted]
        return chosen

    def selected(self, participants: Sequence[Participant]) -> list[Participant]:
        """The chosen participants sorted as the URL says (`sort_participants`)."""
        return sort_participants(self.chosen(participants), self.cleaned_data["sort"])


def sort_participants(participants: Sequence[Participant], sort: str) -> list[Participant]:
    """Participants in the plan's order (no `sort`), by name, by state (who has to act first,
    first), or by date (completed on, or last moved; oldest first, people without one last
    either way); a leading "-" reverses."""
    chosen = list(participants)
    if not sort:
        return chosen  # the plan's own order
    descending = sort.startswith("-")
    chosen.sort(key=_by_name)
    if sort.lstrip("-") == "state":
        chosen.sort(key=lambda p: STATE_ORDER[p.standing.state], reverse=descending)
    elif sort.lstrip("-") == "date":
        dated = [p for p in chosen if p.standing.date is not None]
        dated.sort(key=lambda p: p.standing.date or _EARLIEST, reverse=descending)
        chosen = dated + [p for p in chosen if p.standing.date is None]
    elif descending:
        chosen.reverse()
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
