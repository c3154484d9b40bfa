"""The outbox's filters: django-filter over the Reminder QuerySet."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from post_office.models import STATUS

from reminders.models import Kind, Reminder

# What the outbox calls post-office's statuses; "requeued" is a failure waiting to be retried.
STATES = {
    "queued": STATUS.queued,
    "sent": STATUS.sent,
    "failed": STATUS.failed,
    "retrying": STATUS.requeued,
}
STATE_CHOICES = [(state, state.capitalize()) for state in STATES]


class OutboxFilter(django_filters.FilterSet):
    plan = django_filters.CharFilter(
        label="Plan", method="filter_plan", max_length=200, help_text="Name or ID"
    )
    person = django_filters.CharFilter(
        label="Recipient", method="filter_person", max_length=300, help_text="Name, e-mail or ID"
    )
    state = django_filters.ChoiceFilter(
        label="State", choices=STATE_CHOICES, method="filter_state", empty_label="Any"
    )
    kind = django_filters.ChoiceFilter(label="Kind", choices=Kind.choices, empty_label="Any")

    class Meta:
        model = Reminder
        fields: list[str] = []

    def filter_plan(self, queryset: QuerySet[Reminder], name: str, value: str) -> Any:
        value = value.strip()
        return queryset.filter(Q(plan_id=value) | Q(plan_name__icontains=value))

    def filter_person(self, queryset: QuerySet[Reminder], name: str, value: str) -> Any:
        value = value.strip()
        return queryset.filter(
            Q(person_id=value) | Q(person_name__icontains=value) | Q(person_email__icontains=value)
        )

    def filter_state(self, queryset: QuerySet[Reminder], name: str, value: str) -> Any:
        return queryset.filter(email__status=STATES[value])
