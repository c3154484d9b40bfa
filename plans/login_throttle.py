"""Login throttling: a few wrong passwords lock further attempts out for a while.

Failures are counted in Django's cache, per username and per client address:

- 5 failures for one username within 15 minutes lock that username for 15 minutes,
  whichever address the attempts come from (slows down guessing one account);
- 20 failures from one address lock that address for 15 minutes, whichever usernames
  it tries (slows down trying one common password against many accounts). The limit is
  higher because colleagues may share an office address.

While locked, the form refuses every attempt, right or wrong, with 429 and a message
saying how long to wait; the password is not even checked, so guesses teach nothing.
A successful login clears its username's count but not its address's, so one valid
account cannot be used to reset an attacker's address count.

The address is REMOTE_ADDR. Behind a reverse proxy that is the proxy's address, so
the per-address limit then applies to everyone together; X-Forwarded-For is not
trusted, because any client can send it. The cache is per process unless REDIS_URL
is set: with several processes and no Redis, each counts on its own.
"""

import hashlib
import math
import time

from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest

USERNAME_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 20
LOCKOUT_SECONDS = 15 * 60


def _subjects(request: HttpRequest, username: str) -> list[tuple[str, int]]:
    """Cache key suffixes and failure limits that apply to this attempt."""
    address = request.META.get("REMOTE_ADDR", "")
    subjects = [(f"address:{address}", ADDRESS_FAILURE_LIMIT)]
    username = username.strip().casefold()
    if username:
        # Hashed: usernames of any length or alphabet make valid keys, and none is stored.
        digest = hashlib.sha256(username.encode()).hexdigest()
        subjects.append((f"username:{digest}", USERNAME_FAILURE_LIMIT))
    return subjects


def lockout_remaining(request: HttpRequest, username: str) -> float:
    """Seconds until this username and address may try again (0 when not locked)."""
    keys = [f"login-locked:{subject}" for subject, _ in _subjects(request, username)]
    ends = [cache.get(key) or 0 for key in keys]
    return max(0.0, max(ends) - time.time())


def record_failure(request: HttpRequest, username: str) -> None:
    for subject, limit in _subjects(request, username):
        key = f"login-failures:{subject}"
        # The window starts at the first failure; incr keeps the key's expiry.
        cache.add(key, 0, LOCKOUT_SECONDS)
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, LOCKOUT_SECONDS)
            failures = 1
        if failures >= limit:
            cache.set(f"login-locked:{subject}", time.time() + LOCKOUT_SECONDS, LOCKOUT_SECONDS)
            cache.delete(key)


def clear_username_failures(request: HttpRequest, username: str) -> None:
    for subject, _ in _subjects(request, username):
        if subject.startswith("username:"):
            cache.delete(f"login-failures:{subject}")


def lockout_message(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return (
        f"Too many failed log-in attempts. Try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}. If you have forgotten your password, ask a "
        "dashboard administrator to reset it."
    )


class ThrottledLoginView(LoginView):
    """Django's LoginView, refusing attempts while the username or address is locked."""

    def post(self, request, *args, **kwargs):
        remaining = lockout_remaining(request, request.POST.get("username", ""))
        if remaining:
            return self._refuse(remaining)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        # Only a wrong username/password counts; an empty field is just a form error.
        if form.has_error(NON_FIELD_ERRORS, "invalid_login"):
            username = form.data.get("username", "")
            record_failure(self.request, username)
            remaining = lockout_remaining(self.request, username)
            if remaining:
                return self._refuse(remaining)
        return super().form_invalid(form)

    def form_valid(self, form):
        clear_username_failures(self.request, form.get_user().get_username())
        return super().form_valid(form)

    def _refuse(self, remaining: float):
        # A fresh form keeps the username typed but never checks the password.
        form = self.get_form_class()(
            request=self.request, initial={"username": self.request.POST.get("username", "")}
        )
        context = self.get_context_data(form=form, lockout=lockout_message(remaining))
        return self.render_to_response(context, status=429)
