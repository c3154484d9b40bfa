"""The plan list's filters and paging controls, validated in one form.

django-filter's FilterSet is bound to QuerySets (it reads `queryset.model`, and
`filter_queryset` asserts it got a QuerySet), while our plans live upstream. We keep
what it is good at here: the declared filters, their labels, the generated form,
its validation and its rendering. Instead of `.qs`, `upstream_params()` hands the
cleaned values to the service, which passes them to the API as-is. Paging fields
sit on the same form, so one `is_valid()` vets every query parameter before
anything reaches the paginator or the API.

The API filters by name and template only. Status and frequency are filtered here,
over the whole upstream-filtered result set (`filter_plans()`), and so is `sort`:
when any of them is in the URL the list reads every matching plan instead of one page.
"""

import unicodedata
from collections.abc import Iterable
from typing import Any

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.http import HttpRequest

from plans.labels import ONE_OFF_LABEL, STATUS_LABELS, frequency_sort_key
from plans.models import Plan
from plans.services import PlanSummary

PER_PAGE_CHOICES = (10, 25, 50, 100)
DEFAULT_PER_PAGE = 25
MAX_FILTER_LENGTH = 200
MAX_PAGE = 100_000

# Filters the API applies itself; every other filter needs the whole result set.
UPSTREAM_FILTERS = ("name", "template_name")
STATUS_CHOICES = list(STATUS_LABELS.items())
# The frequency value that selects plans without one (the API sends null).
ONE_OFF = "one-off"
# Sortable columns of plans.tables.PlanTable; "-name" sorts descending.
SORT_COLUMNS = ("name", "template", "status", "frequency")
SORT_CHOICES = [
    ("name", "Plan, A to Z"),
    ("-name", "Plan, Z to A"),
    ("template", "Template, A to Z"),
    ("-template", "Template, Z to A"),
    ("status", "Status, active first"),
    ("-status", "Status, draft first"),
    ("frequency", "Frequency, most often first"),
    ("-frequency", "Frequency, least often first"),
]


def fold(text: str) -> str:
    """Text for matching: case and accents ignored ("Évaluation" and "evaluation" are equal)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


no_control_characters = RegexValidator(
    r"[\x00-\x1f\x7f]", inverse_match=True, message="Remove control characters."
)


class PageSizeSelect(forms.Select):
    """The page size select, showing the default size chosen when the URL names none."""

    def format_value(self, value: Any) -> Any:
        return super().format_value(value or DEFAULT_PER_PAGE)


class PagingForm(forms.Form):
    """Base form of the FilterSet: the paging parameters every list URL may carry."""

    # Filters first, then the page size, as the form shows them.
    field_order = ["name", "template_name", "status", "frequency", "per_page", "page", "sort"]

    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    per_page = forms.TypedChoiceField(
        label="Rows per page",
        choices=[(n, n) for n in PER_PAGE_CHOICES],
        coerce=int,
        required=False,
        empty_value=DEFAULT_PER_PAGE,  # type: ignore[arg-type]  # any value is allowed
        widget=PageSizeSelect,
    )

    # Set by the table's column header links (django-tables2, order_by_field = "sort"),
    # and kept by the filter form while filters change; phones, whose cards have no
    # headings, choose it in the form (shown below 576 px only, dashboard.css).
    sort = forms.ChoiceField(
        label="Sort by",
        choices=[("", "Perform & Engage 365’s order"), *SORT_CHOICES],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{"label_suffix": "", **kwargs})
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean_page(self) -> int:
        return int(self.cleaned_data["page"] or 1)


class PlanFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(
        label="Plan name",
        max_length=MAX_FILTER_LENGTH,
        validators=[no_control_characters],
        widget=forms.SearchInput,
    )
    # A choice of the organisation's templates (offered by a datalist), but any text is
    # accepted: an old bookmark's value still filters. choose_template() turns a typed
    # name into the template's exact name, which the API needs (it is accent-sensitive).
    template_name = django_filters.CharFilter(
        label="Template",
        max_length=MAX_FILTER_LENGTH,
        validators=[no_control_characters],
        # htmx fills the datalist with the organisation's templates (plan_list.html).
        widget=forms.SearchInput(attrs={"list": "template-options", "autocomplete": "off"}),
    )

    status = django_filters.ChoiceFilter(
        label="Status", choices=STATUS_CHOICES, empty_label="Any status"
    )
    # Frequencies are whatever the plans say ("Every 4 weeks", ...), so any value is
    # accepted: one no plan has simply matches nothing. The select offers the values
    # the list has seen (offer_frequencies()).
    frequency = django_filters.CharFilter(
        label="Frequency",
        max_length=MAX_FILTER_LENGTH,
        validators=[no_control_characters],
        widget=forms.Select,
    )

    class Meta:
        model = Plan  # never queried; see plans.models.Plan
        fields = ["name", "template_name", "status", "frequency"]
        form = PagingForm

    @property
    def qs(self) -> None:
        raise TypeError("Plans live upstream: use upstream_params(), not .qs")

    def choose_template(self, template_names: Iterable[str]) -> None:
        """Use the exact name of the template the typed one stands for, if there is one.

        Matching ignores case and accents: the same name, or else the one template whose
        name contains it. Anything else (several candidates, none) stays as typed.
        """
        typed = (self.form.cleaned_data.get("template_name") or "").strip()
        if not typed:
            return
        wanted = fold(typed)
        names = list(dict.fromkeys(name for name in template_names if name))
        same = [name for name in names if fold(name) == wanted]
        containing = [name for name in names if wanted in fold(name)]
        if len(same) == 1:
            self._choose_template(same[0])
        elif not same and len(containing) == 1:
            self._choose_template(containing[0])

    def _choose_template(self, name: str) -> None:
        # The field shows the name chosen too, not the one typed.
        self.form.cleaned_data["template_name"] = name
        data = self.form.data.copy()
        data["template_name"] = name
        self.form.data = data

    def clean_query(self) -> list[tuple[str, Any]]:
        """The list's parameters without empty or default values, as a URL should carry them."""
        data = self.form.cleaned_data
        defaults = {"page": 1, "per_page": DEFAULT_PER_PAGE}
        query: list[tuple[str, Any]] = []
        for name in self.form.fields:
            value = data.get(name)
            if isinstance(value, str):
                value = value.strip()
            if value in (None, "") or defaults.get(name) == value:
                continue
            query.append((name, value))
        return query

    def upstream_params(self) -> dict[str, str]:
        """The filters to send upstream. Call is_valid() first."""
        data = self.form.cleaned_data
        return {name: (data.get(name) or "").strip() for name in UPSTREAM_FILTERS}

    @property
    def needs_all_plans(self) -> bool:
        """Whether the list must read every matching plan (local filters or sorting)."""
        data = self.form.cleaned_data
        return bool(data.get("status") or data.get("frequency") or data.get("sort"))

    @property
    def sort(self) -> str:
        return self.form.cleaned_data.get("sort") or ""

    def local_filters(self) -> tuple[str, str]:
        """The status and frequency asked for ("" for any): what `filter_plans` selects by."""
        data = self.form.cleaned_data
        return data.get("status") or "", data.get("frequency") or ""

    def filter_plans(self, plans: Iterable[PlanSummary]) -> list[PlanSummary]:
        """The plans that pass the status and frequency filters, in their original order."""
        status, frequency = self.local_filters()
        return [
            plan
            for plan in plans
            if (not status or plan.status == status) and _has_frequency(plan, frequency)
        ]

    def offer_frequencies(self, plans: Iterable[PlanSummary]) -> None:
        """Fill the frequency select with the recurring values seen in `plans`, by interval."""
        seen = {plan.frequency.casefold(): plan.frequency for plan in plans if plan.frequency}
        current = self.form.cleaned_data.get("frequency") or ""
        if current and current != ONE_OFF and current.casefold() not in seen:
            seen[current.casefold()] = current  # keep the URL's value selectable
        recurring = sorted(seen.values(), key=frequency_sort_key)
        self.form.fields["frequency"].widget.choices = [
            ("", "Any frequency"),
            (ONE_OFF, ONE_OFF_LABEL),
            *((value, value) for value in recurring),
        ]

    def active_filters(self) -> list[tuple[str, str, str]]:
        """(parameter, label, shown value) of every filter in use, in form order."""
        data = self.form.cleaned_data
        shown = {"status": STATUS_LABELS, "frequency": {ONE_OFF: ONE_OFF_LABEL}}
        chips = []
        for name, field in self.form.fields.items():
            value = data.get(name)
            if name in self.filters and value:
                chips.append((name, field.label, shown.get(name, {}).get(value, value)))
        return chips

    @property
    def page(self) -> int:
        return self.form.cleaned_data["page"]

    @property
    def per_page(self) -> int:
        return self.form.cleaned_data["per_page"]


def _has_frequency(plan: PlanSummary, frequency: str) -> bool:
    if not frequency:
        return True
    if frequency == ONE_OFF:
        return plan.frequency is None
    return (plan.frequency or "").casefold() == frequency.casefold()


def list_filters_in_use(request: HttpRequest) -> list[tuple[str, str]]:
    """(label, value) of the plan list's filters in this request, for its error page.

    The list's error page names them and links to the list without them, which may work
    where the filtered list did not.
    """
    match = request.resolver_match
    if not match or match.view_name not in ("plans:list", "plans:export"):
        return []
    filterset = PlanFilter(request.GET)
    if not filterset.is_valid():
        return []
    return [(label, value) for _name, label, value in filterset.active_filters()]
