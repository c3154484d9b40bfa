from typing import Any

from django.apps import AppConfig
from django.contrib import messages
from django.contrib.auth.signals import user_logged_out
from django.http import HttpRequest


def say_logged_out(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """The login page after Log out says it worked (the message travels in a cookie, as the
    session it could ride in is ending)."""
    if request is not None:
        messages.success(request, "You have logged out.", fail_silently=True)


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "Conversation plans"

    def ready(self) -> None:
        import dashboard.demo  # noqa: F401  (registers its system check)

        user_logged_out.connect(say_logged_out, dispatch_uid="plans.say_logged_out")
