"""The plan list's filters and paging controls, validated in one form.

django-filter's FilterSet is bound to QuerySets (it reads `queryset.model`, and
`filter_queryset` asserts it got a QuerySet), while our plans live upstream. We keep
what it is good at here: the declared filters, their labels, the generated form,
its validation and its rendering. Instead of `.qs`, `upstream_params()` hands the
cleaned values to the service, which passes them to the API as-is. Paging fields
sit on the same form, so one `is_valid()` vets every query parameter before
anything reaches the paginator or the API.
"""

import django_filters
from django import forms
from django.core.validators import RegexValidator

from plans.models import Plan

PER_PAGE_CHOICES = (10, 25, 50, 100)
DEFAULT_PER_PAGE = 25
MAX_FILTER_LENGTH = 200
MAX_PAGE = 100_000

no_control_characters = RegexValidator(
    r"[\x00-\x1f\x7f]", inverse_match=True, message="Remove control characters."
)


class PagingForm(forms.Form):
    """Base form of the FilterSet: the paging parameters every list URL may carry."""

    # Filters first, then the page size, as the form shows them.
    field_order = ["name", "template_name", "per_page", "page"]

    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    per_page = forms.TypedChoiceField(
        label="Rows per page",
        choices=[(n, n) for n in PER_PAGE_CHOICES],
        coerce=int,
        required=False,
        empty_value=DEFAULT_PER_PAGE,
    )

    def clean_page(self):
        return self.cleaned_data["page"] or 1


class PlanFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(
        label="Plan name",
        max_length=MAX_FILTER_LENGTH,
        validators=[no_control_characters],
    )
    template_name = django_filters.CharFilter(
        label="Template",
        max_length=MAX_FILTER_LENGTH,
        validators=[no_control_characters],
    )

    class Meta:
        model = Plan  # never queried; see plans.models.Plan
        fields = ["name", "template_name"]
        form = PagingForm

    @property
    def qs(self):
        raise TypeError("Plans live upstream: use upstream_params(), not .qs")

    def upstream_params(self) -> dict[str, str]:
        """The filters to send upstream. Call is_valid() first."""
        data = self.form.cleaned_data
        return {name: (data.get(name) or "").strip() for name in self.filters}

    @property
    def page(self) -> int:
        return self.form.cleaned_data["page"]

    @property
    def per_page(self) -> int:
        return self.form.cleaned_data["per_page"]
