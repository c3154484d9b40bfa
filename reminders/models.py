"""What the dashboard sent: one row per message, holding copies of what it said to whom.

The dashboard stores no people; a reminder keeps only the name and address it was sent to,
so the outbox and the cooldown still read right after the person changes upstream.
Delivery (queued, sent, failed with its reason, retrying) lives in post-office's Email and
its Log, which the row points to.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    DIGEST = "digest", "Manager's list"


class Batch(models.Model):
    """One send (a reminder to a selection, or one manager's list), keyed by the one-time
    token of the preview it came from: a second submit of the same preview finds it."""

    token = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    plan_id = models.CharField("plan ID", max_length=200, blank=True)
    plan_name = models.CharField(max_length=300, blank=True)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sender_username = models.CharField("sent by", max_length=150, blank=True)
    message_count = models.PositiveIntegerField("messages", default=0)
    created_at = models.DateTimeField("when", default=timezone.now, db_index=True)

    class Meta:
        verbose_name_plural = "batches"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        sender = self.sender_username or "schedule"
        return f"{self.get_kind_display()} by {sender}: {self.message_count}"


class Reminder(models.Model):
    """One message to one person: a reminder about a plan, or a manager's list."""

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.REMINDER)
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="reminders")
    # Copies: a digest has no single plan and leaves them empty.
    plan_id = models.CharField("plan ID", max_length=200, blank=True)
    plan_name = models.CharField(max_length=300, blank=True)
    person_id = models.CharField("person ID", max_length=200)
    person_name = models.CharField("recipient", max_length=300, blank=True)
    person_email = models.EmailField("address", max_length=254)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sender_username = models.CharField("sent by", max_length=150, blank=True)
    created_at = models.DateTimeField("when", default=timezone.now, db_index=True)
    email = models.OneToOneField(
        "post_office.Email",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reminder",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["plan_id", "person_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.person_name or self.person_email}"
