from typing import Any

from django.apps import AppConfig
from django.contrib import messages
from django.contrib.auth.signals import user_logged_out
from django.http import HttpRequest


def say_logged_out(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """The login page after Log out says it worked (the message travels in a cookie, as the
    session it could ride in is ending). Only the Log out button's: an idle session's end
    is not someone logging out."""
    match = request.resolver_match if request is not None else None
    if request is not None and match is not None and match.url_name == "logout":
        messages.success(request, "You have logged out.", fail_silently=True)


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "Conversation plans"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        import dashboard.demo  # noqa: F401  (registers its system check)
        from plans.middleware import stamp_session_at_login

        user_logged_in.connect(stamp_session_at_login, dispatch_uid="plans.stamp_session")
        user_logged_out.connect(say_logged_out, dispatch_uid="plans.say_logged_out")
