"""Logging in: Django's login form, throttled by django-axes (settings: AXES_*).

- Failures count in the database, so every worker and every instance sees the same
  counts, per pair (username, address): AXES_FAILURE_LIMIT failures of one username
  from one address lock that pair. Nobody can lock someone out from the addresses they
  use by failing from elsewhere, and colleagues behind one office address do not lock
  each other out.
- A username under attack from many addresses: once LOGIN_USERNAME_FAILURE_LIMIT
  failures for it have come from all addresses together, it is locked for every address
  it has never signed in from (axes' access log of successful sign-ins), while the
  addresses it has signed in from keep working. The attacker is slowed to that many
  guesses per AXES_COOLOFF_TIME; the person gets in from their usual places.
- A lock lasts AXES_COOLOFF_TIME from the last counted failure; attempts during a lock
  are refused without checking the password and do not extend it. An administrator
  sees who is locked and why in the admin (Axes > Access attempts, "Lock" column) and
  unlocks by deleting the rows.
- Only password log-ins are counted or refused (AXES_WHITELIST_CALLABLE): password
  failures never stop a single sign-on, whose provider does its own throttling.
- The username counts as Django's login form reads it (NFKC, surrounding spaces
  dropped), then case-folded: look-alike spellings of one name are one account.
- The client address is REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front, the
  X-Forwarded-For entry the outermost trusted proxy appended (the audit log uses the
  same rule).
- If the database fails, the form says log-in is unavailable (503) and nobody is
  logged in.
"""

import ipaddress
import logging
import unicodedata

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

log = logging.getLogger(__name__)

# axes stores usernames in a 255-character column.
MAX_USERNAME_LENGTH = 255

STORE_UNAVAILABLE_MESSAGE = (
    "Logging in is not possible right now: the dashboard's database is not answering, "
    "so it cannot check its record of failed attempts. Try again in a few minutes; if it "
    "keeps happening, tell the dashboard administrator."
)


def throttle_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The name failures count against (AXES_USERNAME_CALLABLE): one per account, however typed."""
    raw = (credentials or {}).get("username")
    if raw is None:
        raw = request.POST.get("username")
    if raw is None:
        return None
    return fold_username(raw)


def fold_username(raw: str) -> str:
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


def is_not_a_password_login(request: HttpRequest, credentials: dict | None = None) -> bool:
    """AXES_WHITELIST_CALLABLE: only password log-ins are throttled (a single sign-on's
    callback authenticates with a nonce, never a password)."""
    return not (credentials or {}).get("password")


def describe_client(username: str, ip_address: str, *args: object, **kwargs: object) -> str:
    """AXES_CLIENT_STR_CALLABLE: axes' log lines name the address, never the username
    (often an e-mail address)."""
    return f"address {ip_address}"


class LoginAttemptHandler(AxesDatabaseHandler):
    """axes' database handler: the pair's failures lock; the username's failures from all
    addresses lock only addresses it has never signed in from.

    axes compares one failure count with one AXES_FAILURE_LIMIT; the username's count
    is scaled so that LOGIN_USERNAME_FAILURE_LIMIT failures reach it.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # One queryset per AXES_LOCKOUT_PARAMETERS entry: the pair, then the username.
        by_pair, by_username = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if by_username < settings.LOGIN_USERNAME_FAILURE_LIMIT:
            return by_pair
        address = getattr(request, "axes_ip_address", None)  # set by axes on every request
        if known_address(throttle_username(request, credentials), address):
            return by_pair
        scaled = by_username * settings.AXES_FAILURE_LIMIT // settings.LOGIN_USERNAME_FAILURE_LIMIT
        return max(by_pair, scaled)

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # A successful login clears its own pair only: the failures from other addresses
        # still count against whoever is guessing there.
        by_pair, _ = self.filter_user_attempts(request, credentials)
        count, _ = by_pair.delete()
        return count


def known_address(username: str | None, address: str | None) -> bool:
    """Whether `username` has signed in from `address` before (axes' access log)."""
    if not username or not address:
        return False
    seen = AccessLog.objects.filter(ip_address=address).values_list("username", flat=True)
    return any(fold_username(name) == username for name in seen.distinct()[:1000])


def lock_reason(username: str | None, address: str | None) -> str:
    """Why attempts for `username` from `address` are refused now, or "" if they are not
    (for the admin)."""
    recent = AccessAttempt.objects.filter(
        username=username, attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME
    )
    by_pair = recent.filter(ip_address=address).aggregate(total=Sum("failures_since_start"))
    pair_failures = by_pair["total"] or 0
    if pair_failures >= settings.AXES_FAILURE_LIMIT:
        return f"locked: {pair_failures} failures from this address"
    by_username = recent.aggregate(
        total=Sum("failures_since_start"), addresses=Count("ip_address", distinct=True)
    )
    username_failures = by_username["total"] or 0
    if username_failures >= settings.LOGIN_USERNAME_FAILURE_LIMIT:
        if known_address(username, address):
            return ""
        return (
            f"new addresses locked: {username_failures} failures from "
            f"{by_username['addresses']} addresses"
        )
    return ""


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
