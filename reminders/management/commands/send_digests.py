"""Queue each manager's list of their people still to act across active plans (cron, e.g.
Monday 08:00); `--dry-run` prints what it would send and queues nothing."""

from typing import Any

from django.core.management.base import BaseCommand

from plans import organisation
from plans.api.client import Client
from reminders import services as reminders
from reminders.remind import manager_lists


class Command(BaseCommand):
    help = "Queue one message per manager listing exactly their people still to act."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be sent; queue nothing."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        # The kept read if it is fresh, else a read of its own (a schedule has no page budget).
        org = organisation.kept(Client.from_settings()) or organisation.read_and_keep(
            organisation.background_client()
        )
        lists = manager_lists(org)
        queued = skipped = 0
        for manager, lines in sorted(lists.values(), key=lambda item: item[0].name):
            if dry_run:
                self.stdout.write(f"{manager.name} <{manager.email}>: {len(lines)} people")
                for line in lines:
                    where = line.stage or reminders.STATE_LABELS.get(line.state, line.state)
                    self.stdout.write(f"  {line.plan_name}: {line.person_name} ({where})")
                continue
            try:
                reminders.queue_digest(manager=manager, people=lines, sender=None)
            except reminders.NoAddress as error:
                skipped += 1
                self.stderr.write(f"Skipped: {error}")
            else:
                queued += 1
        if dry_run:
            self.stdout.write(f"Dry run: {len(lists)} managers' lists would be queued.")
        else:
            self.stdout.write(f"{queued} managers' lists queued, {skipped} skipped.")
