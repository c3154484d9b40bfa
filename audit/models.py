from django.conf import settings
from django.db import models

from audit.actions import Action


class AuditEntry(models.Model):
    """One access to personal data (an export, a view, a lookup) or one sign-in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # A copy, so the entry still names the person after their account is deleted.
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=32, choices=Action.choices)
    plan_id = models.CharField("plan ID", max_length=200, blank=True)
    plan_name = models.CharField(max_length=300, blank=True)
    person = models.CharField(
        max_length=300, blank=True, help_text="The person searched for or viewed."
    )
    filters = models.JSONField(
        default=dict, blank=True, help_text="The page's query string (for a sign-in: how)."
    )
    row_count = models.PositiveIntegerField("rows", null=True, blank=True)
    created_at = models.DateTimeField("when", auto_now_add=True, db_index=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["action", "created_at"])]

    def __str__(self) -> str:
        return f"{self.username}: {self.get_action_display()} at {self.created_at:%Y-%m-%d %H:%M}"
