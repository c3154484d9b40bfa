import contextlib
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from plans import organisation


class Command(BaseCommand):
    help = (
        "Read the organisation (every active plan, its people and their conversations) into "
        "the shared cache every ORGANISATION_REFRESH_AFTER seconds, so no page waits for it. "
        "Needs a shared cache (REDIS_URL) to reach the web workers. --once reads it once "
        "(for cron)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="read once and stop")

    def handle(self, *args: Any, once: bool, **options: Any) -> None:
        if not settings.PE365_CACHE_TTL:
            raise CommandError("PE365_CACHE_TTL is 0: there is no shared cache to keep it in.")
        if organisation._in_process_cache():
            self.stderr.write(
                "No REDIS_URL: the read stays in this process and no web worker sees it "
                "(useful only to time the read)."
            )
        if once:
            org = organisation.read_and_keep(organisation.background_client())
            self.stdout.write(
                f"Read {len(org.plans)} active plans, {len(org.assignments)} assignments "
                f"and {len(org.people)} people in {org.calls} calls."
            )
            return
        self.stdout.write("Keeping the organisation read fresh; Ctrl-C stops.")
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the way to stop it
            organisation.keep_fresh()
