"""Query parameters of the organisation-wide pages: `/outstanding/`, its CSV and the data
that needs fixing."""

from typing import Any

from django import forms

from plans.api.paths import MAX_ID_LENGTH
from plans.api.results import IN_PROGRESS, NOT_STARTED
from plans.filters import MAX_FILTER_LENGTH, MAX_PAGE, no_control_characters
from plans.organisation import ISSUE_LABELS

STATE_CHOICES = [("", "Still to act"), (IN_PROGRESS, "In progress"), (NOT_STARTED, "Not started")]


def _id_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_ID_LENGTH,
        required=False,
        validators=[no_control_characters],
    )


class OutstandingForm(forms.Form):
    """Filters of `/outstanding/` and `/outstanding.csv`; every value lives in the URL."""

    template = forms.CharField(
        label="Template",
        max_length=MAX_FILTER_LENGTH,
        required=False,
        validators=[no_control_characters],
    )
    plan = _id_field("Plan")
    department = _id_field("Department")
    manager = _id_field("Manager")
    state = forms.ChoiceField(label="State", choices=STATE_CHOICES, required=False)
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)

    FILTERS = ("template", "plan", "department", "manager", "state")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["page"] = data.get("page") or 1
        return data

    def filters(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(key) or "" for key in self.FILTERS}


class DataIssuesForm(forms.Form):
    issue = forms.ChoiceField(
        label="Show", choices=[("", "Every issue"), *ISSUE_LABELS.items()], required=False
    )
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["page"] = data.get("page") or 1
        return data
