from typing import Any
from urllib.parse import parse_qsl, urlencode

from django import forms

from plans.filters import MAX_FILTER_LENGTH, MAX_PAGE, PlanFilter, fold, no_control_characters
from plans.services import Department, User

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
        return tuple(
            u
            for u in users
            if needle in fold(u.name) or needle in fold(u.email.rpartition("@")[0] or u.email)
        )

    def matching_departments(self, departments: tuple[Department, ...]) -> tuple[Department, ...]:
        """Departments whose name contains the search text, ignoring case and accents."""
        needle = fold(self.cleaned_data.get("q", ""))
        if not needle:
            return departments
        return tuple(d for d in departments if needle in fold(d.name))
