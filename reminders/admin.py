from django.contrib import admin

from reminders.models import Batch, Reminder


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """Read-only: the record of what was sent (its delivery lives in post-office's Email)."""

    list_display = (
        "created_at",
        "kind",
        "person_name",
        "person_email",
        "plan_name",
        "sender_username",
    )
    list_filter = ("kind",)
    search_fields = ("person_name", "person_email", "person_id", "plan_name", "plan_id")
    date_hierarchy = "created_at"
    raw_id_fields = ("email", "batch", "sender")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "plan_name", "sender_username", "message_count")
    list_filter = ("kind",)
    search_fields = ("plan_name", "plan_id", "sender_username")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
