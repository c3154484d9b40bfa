from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError

DEMO_LOGIN = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - only ever created while the demo API is in use


class Command(BaseCommand):
    help = (
        "Create (or reset) the demo login, a member of HR admins who may read the audit log. "
        "Demo mode only."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="where the dashboard runs"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.PE365_USE_DEMO:
            raise CommandError(
                "The demo login is only for the built-in demo API. With PE365_API_URL set, "
                "create real accounts: python manage.py createsuperuser"
            )
        user, _ = get_user_model().objects.get_or_create(username=DEMO_LOGIN)
        user.set_password(DEMO_PASSWORD)
        # The demo shows the audit log too: the admin lets staff with the view permission
        # read it (a real HR admin is given it by grant_access, not by this command).
        user.is_staff = True
        user.save()
        user.groups.add(Group.objects.get(name="HR admins"))
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="audit", codename="view_auditentry")
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo login ready: open {options['url']} and log in as "
                f"{DEMO_LOGIN!r} with password {DEMO_PASSWORD!r}."
            )
        )
