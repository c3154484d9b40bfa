from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

GROUP_NAME = "HR admins"  # created by migration plans/0002, holds plans.view_plans


class Command(BaseCommand):
    help = f"Let a user see conversation plans (add them to {GROUP_NAME!r}), or --revoke it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--revoke", action="store_true", help=f"remove the user from {GROUP_NAME!r}"
        )

    def handle(self, *args: Any, username: str, revoke: bool, **options: Any) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(
                f"No user {username!r}. Create the login first, in the admin "
                "(/admin/ > Users > Add user)."
            ) from None
        group = Group.objects.get(name=GROUP_NAME)
        if revoke:
            user.groups.remove(group)
            message = f"{username} is no longer in {GROUP_NAME}."
            if user.is_superuser:
                message += " As a superuser they still see everything."
        else:
            user.groups.add(group)
            message = f"{username} can now see conversation plans (member of {GROUP_NAME})."
            if not user.is_active:
                message += " Their account is inactive, so they cannot log in yet."
        self.stdout.write(self.style.SUCCESS(message))
