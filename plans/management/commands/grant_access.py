from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError

GROUP_NAME = "HR admins"  # created by migration plans/0002, holds plans.view_plans
# Given to the group by migration plans/0003 too; an administrator may take it from the
# group in the admin and give it person by person with --reminders.
SEND_REMINDERS = "send_reminders"


class Command(BaseCommand):
    help = (
        f"Let a user see conversation plans (add them to {GROUP_NAME!r}), or --revoke it; "
        "with --reminders, also let them send reminders (or, with --revoke, only stop that)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--revoke", action="store_true", help=f"remove the user from {GROUP_NAME!r}"
        )
        parser.add_argument(
            "--reminders",
            action="store_true",
            help="give the user plans.send_reminders themselves (with --revoke: take it away, "
            "leaving their access to plans as it is)",
        )

    def handle(
        self, *args: Any, username: str, revoke: bool, reminders: bool, **options: Any
    ) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(
                f"No user {username!r}. Create the login first, in the admin "
                "(/admin/ > Users > Add user)."
            ) from None
        group = Group.objects.get(name=GROUP_NAME)
        if reminders:
            message = self.reminders(user, group, username, revoke=revoke)
        elif revoke:
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

    def reminders(self, user: Any, group: Group, username: str, *, revoke: bool) -> str:
        permission = Permission.objects.get(
            content_type__app_label="plans", codename=SEND_REMINDERS
        )
        if revoke:
            user.user_permissions.remove(permission)
            message = f"{username} no longer has plans.{SEND_REMINDERS} of their own."
            if group.permissions.filter(pk=permission.pk).exists() and (
                user.groups.filter(pk=group.pk).exists()
            ):
                message += (
                    f" {GROUP_NAME} still holds it: take it from the group in the admin "
                    "(/admin/ > Groups) to stop every HR admin sending reminders."
                )
            elif user.is_superuser:
                message += " As a superuser they can still send reminders."
            return message
        user.groups.add(group)
        user.user_permissions.add(permission)
        message = (
            f"{username} can now see conversation plans (member of {GROUP_NAME}) "
            "and send reminders."
        )
        if not user.is_active:
            message += " Their account is inactive, so they cannot log in yet."
        return message
