"""The audit log in the admin: read-only, filterable, searchable, exportable as CSV."""

import csv
from collections.abc import Iterator
from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from audit.models import AuditEntry
from plans.exports import neutralise
from plans.login import lock_reason

CSV_HEADER = [
    "When",
    "User",
    "Action",
    "Plan ID",
    "Plan",
    "Person",
    "Filters",
    "Rows",
    "Address",
]


class _Echo:
    """A file-like object whose write hands the line back, for a streamed CSV."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(entries: QuerySet[AuditEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    # iterator(): a year of entries is read in chunks, never held in memory at once.
    for entry in entries.iterator(chunk_size=2000):
        row = [
            entry.created_at.isoformat(),
            entry.username,
            entry.get_action_display(),
            entry.plan_id,
            entry.plan_name,
            entry.person,
            entry.filters,
            entry.row_count,
            entry.client_address,
        ]
        yield writer.writerow([neutralise(cell) for cell in row])


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "username",
        "action",
        "plan_name",
        "person",
        "row_count",
        "client_address",
    ]
    list_filter = ["action", "created_at", "username"]
    search_fields = ["plan_id", "plan_name", "person"]
    date_hierarchy = "created_at"
    actions = ["export_csv"]
    list_select_related = False
    show_full_result_count = False

    # Entries are evidence: nobody adds, edits or deletes them here (prune_audit ages
    # them out).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Export selected entries as CSV", permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> Any:
        filename = f"audit-log-{timezone.localdate():%Y%m%d}.csv"
        return StreamingHttpResponse(
            _csv_lines(queryset.order_by("created_at", "id")),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


class LoginAttemptAdmin(AccessAttemptAdmin):
    """axes' failed log-in attempts, with who is locked out now and why."""

    list_display = ["attempt_time", "username", "ip_address", "failures_since_start", "lock"]
    list_filter = ["attempt_time"]

    @admin.display(description="Lock")
    def lock(self, attempt: AccessAttempt) -> str:
        return lock_reason(attempt.username, attempt.ip_address) or "not locked"


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, LoginAttemptAdmin)
