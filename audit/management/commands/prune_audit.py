from datetime import timedelta
from typing import Any

from axes.models import AccessLog
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from audit.models import AuditEntry


class Command(BaseCommand):
    help = (
        "Remove audit entries, and the successful sign-ins the login throttle knows "
        "addresses by, older than AUDIT_RETENTION_DAYS (default 365). "
        "Schedule it daily (see the README, Audit log)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="keep this many days instead of AUDIT_RETENTION_DAYS",
        )

    def handle(self, *args: Any, days: int | None, **options: Any) -> None:
        keep = settings.AUDIT_RETENTION_DAYS if days is None else days
        if keep < 1:
            raise CommandError("--days must be at least 1.")
        cutoff = timezone.now() - timedelta(days=keep)
        # One DELETE statement: nothing refers to an entry, so Django need not load them.
        removed, _ = AuditEntry.objects.filter(created_at__lt=cutoff).delete()
        AccessLog.objects.filter(attempt_time__lt=cutoff).delete()
        self.stdout.write(f"Removed {removed} audit entries older than {keep} days.")
