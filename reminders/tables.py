"""The outbox table (django-tables2), drawn by templates/tables/table.html."""

from typing import Any

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from post_office.models import STATUS

from reminders.models import Reminder

STATE_BADGES = {
    STATUS.queued: ("Queued", "text-bg-secondary"),
    STATUS.sent: ("Sent", "text-bg-success"),
    STATUS.failed: ("Failed", "text-bg-danger"),
    STATUS.requeued: ("Retrying", "text-bg-warning"),
}


class OutboxTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name="When", format="j M Y H:i")
    kind = tables.Column(verbose_name="Kind")
    recipient = tables.Column(
        verbose_name="Recipient", accessor="person_name", order_by=("person_name", "person_email")
    )
    plan_name = tables.Column(verbose_name="Plan", default="—")
    sender_username = tables.Column(verbose_name="Sent by", default="schedule")
    state = tables.Column(
        verbose_name="State", accessor="email__status", orderable=False, empty_values=()
    )

    class Meta:
        model = Reminder
        fields = ("created_at", "kind", "recipient", "plan_name", "sender_username", "state")
        order_by = ("-created_at",)
        attrs = {"class": "table table-sm align-middle"}

    def render_recipient(self, record: Reminder) -> SafeString:
        return format_html(
            '{}<br><span class="small text-body-secondary">{}</span>',
            record.person_name or "—",
            record.person_email,
        )

    def render_state(self, record: Reminder, **kwargs: Any) -> SafeString:
        email = record.email
        if email is None:
            return format_html('<span class="badge text-bg-light border">{}</span>', "Unknown")
        label, css = STATE_BADGES.get(email.status, ("Unknown", "text-bg-light border"))
        reason = getattr(record, "failure", "") or ""
        detail: SafeString | str
        if email.status == STATUS.requeued and email.scheduled_time:
            detail = format_html(
                "Next try at {}. {}", f"{timezone.localtime(email.scheduled_time):%H:%M}", reason
            )
        else:
            detail = format_html("{}", reason) if email.status in (STATUS.failed,) else ""
        if detail:
            return format_html(
                '<span class="badge {}">{}</span><br><span class="small">{}</span>',
                css,
                label,
                detail,
            )
        return format_html('<span class="badge {}">{}</span>', css, label)
