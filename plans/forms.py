from django import forms

from plans.filters import MAX_PAGE

USERS_PER_PAGE = 50
DEPARTMENTS_PER_PAGE = 50


class DetailForm(forms.Form):
    """Query parameters of the plan detail page: which page of each assignee table."""

    users_page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    departments_page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)

    def clean(self):
        data = super().clean()
        for field in ("users_page", "departments_page"):
            data[field] = data.get(field) or 1
        return data
