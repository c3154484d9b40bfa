"""Logging in: Django's login form, throttled by django-axes (settings: AXES_*).

- Failures count per username and per client address, in the database, so every
  worker and every instance sees the same counts. AXES_FAILURE_LIMIT failures for one
  username lock it, whichever address they come from; LOGIN_ADDRESS_FAILURE_LIMIT
  failures from one address lock that address, whichever usernames it tries. A lock
  lasts AXES_COOLOFF_TIME from the last counted failure; attempts during a lock are
  refused without checking the password and do not extend it. An administrator
  unlocks early in the admin (Axes > Access attempts: delete the rows).
- The username counts as Django's login form reads it (NFKC, surrounding spaces
  dropped), then case-folded: look-alike spellings of one name are one account.
- The client address is REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front, the
  X-Forwarded-For entry the outermost trusted proxy appended.
- If the attempt store fails (a database error), the form says log-in is unavailable
  (503) and nobody is logged in.
"""

import ipaddress
import logging
import unicodedata

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

log = logging.getLogger(__name__)

# axes stores usernames in a 255-character column.
MAX_USERNAME_LENGTH = 255

STORE_UNAVAILABLE_MESSAGE = (
    "Logging in is not possible right now: the dashboard cannot check its record of "
    "failed attempts. Try again in a few minutes; if it keeps happening, tell the "
    "dashboard administrator."
)


def throttle_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The name failures count against (AXES_USERNAME_CALLABLE): one per account, however typed."""
    raw = (credentials or {}).get("username")
    if raw is None:
        raw = request.POST.get("username")
    if raw is None:
        return None
    # What AuthenticationForm does (UsernameField: strip, then NFKC), then case-folded
    # and normalised again, since case folding can leave text that NFKC would change.
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", raw.strip()).casefold())
    return folded[:MAX_USERNAME_LENGTH]


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def client_address(request: HttpRequest) -> str | None:
    """The client's address (AXES_CLIENT_IP_CALLABLE), trusting only TRUSTED_PROXY_COUNT proxies.

    Each proxy appends the address it received the request from to X-Forwarded-For, so
    with N trusted proxies the client is the N-th entry from the right; entries further
    left were written by the client and prove nothing. django-ipware's proxy count
    expects proxies to list themselves instead, which nginx and most load balancers do
    not, so it returns a client-chosen entry or none.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        if len(forwarded) >= hops and _is_address(forwarded[-hops]):
            return forwarded[-hops]
    return remote


class LoginAttemptHandler(AxesDatabaseHandler):
    """axes' database handler with a higher limit for an address than for a username.

    axes compares one failure count with one AXES_FAILURE_LIMIT; the address's count is
    scaled so that LOGIN_ADDRESS_FAILURE_LIMIT failures reach it.
    """

    def _per_parameter(self, request: HttpRequest, credentials: dict | None) -> list[QuerySet]:
        # One queryset per AXES_LOCKOUT_PARAMETERS entry: ["username", "ip_address"].
        return self.get_user_attempts(request, credentials)

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        by_username, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self._per_parameter(request, credentials)
        )
        scaled = by_address * settings.AXES_FAILURE_LIMIT // settings.LOGIN_ADDRESS_FAILURE_LIMIT
        return max(by_username, scaled)

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # A successful login clears its username's failures, not its address's: one valid
        # account must not reset the count of an address guessing at others.
        by_username, _ = self.filter_user_attempts(request, credentials)
        count, _ = by_username.delete()
        return count


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page a locked-out attempt gets (AXES_LOCKOUT_CALLABLE)."""
    context = {
        "lockout_minutes": round(settings.AXES_COOLOFF_TIME.total_seconds() / 60),
        "username": throttle_username(request, credentials) or "",
    }
    return render(request, "registration/locked_out.html", context, status=429)


class LoginView(auth_views.LoginView):
    """Django's login view; a failing attempt store refuses with a message instead of a 500."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            return super().post(request, *args, **kwargs)
        except DatabaseError as error:
            log.error("login refused: the login attempt store failed: %s", type(error).__name__)
            # A login interrupted after the password check must not stay logged in. Only
            # in-memory changes here: the database may be what is failing.
            request.session.clear()
            request.user = AnonymousUser()
            form = self.get_form_class()(
                request=request, initial={"username": request.POST.get("username", "")}
            )
            context = self.get_context_data(form=form, unavailable=STORE_UNAVAILABLE_MESSAGE)
            return self.render_to_response(context, status=503)
