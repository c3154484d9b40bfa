"""Health checks for load balancers and monitoring: no login, plain text, no secrets.

- /healthz says the process is up and serving requests. It touches nothing else, so
  a slow API or database never gets a healthy instance restarted.
- /readyz says the dashboard can do its job: the database answers a query (and, on
  SQLite, would let a write through), the cache answers a set and get, and the API
  answers one authenticated call, each within PE365_READINESS_TIMEOUT. Otherwise 503
  with each reason (it may name a setting, never a value).

/readyz never waits for a check: it answers at once with the last result, and when
that is older than READINESS_INTERVAL_SECONDS it starts one check in the background
(at most one per process at a time, whatever the probe rate; anyone who can reach
/readyz could otherwise make the dashboard call the API with its key). A result is
stamped when its check ends. Before the first result it answers "not ready: checking".
django-health-check runs its checks inside each probe and writes a row of its own to
check the database, which is what this module avoids; the three checks are short.

Both are exempt from the login requirement and from the HTTPS redirect
(SECURE_REDIRECT_EXEMPT), because probes usually speak plain HTTP to the instance.
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.db.utils import load_backend
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from plans import services
from plans.exceptions import NotFound, UpstreamError

log = logging.getLogger(__name__)

READINESS_INTERVAL_SECONDS = 5.0


@dataclass(frozen=True)
class Readiness:
    ended_at: float  # time.monotonic() when the check ended
    status: int
    text: str


_lock = threading.Lock()
_last: Readiness | None = None
_running: threading.Thread | None = None
_started_at = 0.0


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(f"{text}\n", status=status, content_type="text/plain; charset=utf-8")


@login_not_required
@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return _plain("ok")


@login_not_required
@require_safe
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    global _running, _started_at
    with _lock:
        now = time.monotonic()
        last = _last
        due = last is None or now - last.ended_at >= READINESS_INTERVAL_SECONDS
        if due and _running is None:
            _running = threading.Thread(target=_run_check, name="readiness-check", daemon=True)
            _started_at = now
            _running.start()
        # Each part of a check is bounded; one running far past all of them is stuck.
        stuck = _running is not None and now - _started_at > _longest_check_seconds()
    if stuck:
        return _plain("not ready: the readiness check has not finished.", 503)
    if last is None:
        return _plain("not ready: checking", 503)
    return _plain(last.text, last.status)


def _longest_check_seconds() -> float:
    return 3 * settings.PE365_READINESS_TIMEOUT + 10


def _run_check() -> None:
    global _last, _running
    try:
        problems = [
            problem
            for problem in (check_database(), check_cache(), check_api())
            if problem is not None
        ]
        if problems:
            result = Readiness(time.monotonic(), 503, f"not ready: {' '.join(problems)}")
        else:
            result = Readiness(time.monotonic(), 200, "ready")
    except Exception as error:  # a check that fails unexpectedly still ends the check
        log.exception("readiness check failed")
        result = Readiness(
            time.monotonic(), 503, f"not ready: check failed ({type(error).__name__})."
        )
    with _lock:
        _last = result
        _running = None


def database_settings() -> dict[str, Any]:
    return connections[DEFAULT_DB_ALIAS].settings_dict


def check_database() -> str | None:
    """A real query on a private connection with a short timeout, closed afterwards."""
    timeout = settings.PE365_READINESS_TIMEOUT
    default = database_settings()
    options = dict(default.get("OPTIONS", {}))
    engine = default["ENGINE"]
    if engine.endswith("sqlite3"):
        options["timeout"] = timeout  # seconds to wait for a lock
    elif engine.endswith("postgresql"):
        options["connect_timeout"] = max(2, math.ceil(timeout))  # libpq's minimum is 2
        options["options"] = f"-c statement_timeout={int(timeout * 1000)}"
    backend = load_backend(engine)
    connection = backend.DatabaseWrapper({**default, "OPTIONS": options}, DEFAULT_DB_ALIAS)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM django_session LIMIT 1")
            if connection.vendor == "sqlite":
                # A read gets through a lock that stops every login and session save.
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute("ROLLBACK")
    except Error as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        return f"database: {first_line[:200]}."
    finally:
        connection.close()
    return None


def check_cache() -> str | None:
    """A set and get round trip through the shared cache (which skips a failing Redis)."""
    key = f"readyz:{secrets.token_hex(8)}"
    token = secrets.token_hex(8)
    try:
        cache.set(key, token, 30)
        answered = cache.get(key) == token
        cache.delete(key)
    except Exception as error:  # any backend's own error
        return f"cache: {type(error).__name__}."
    return None if answered else "cache: unavailable (REDIS_URL does not answer)."


def check_api() -> str | None:
    try:
        services.upstream_check(timeout=settings.PE365_READINESS_TIMEOUT)
    except NotFound:
        # The plans path itself is missing: the API root is not the API's.
        return "API: no plans API at PE365_API_URL."
    except UpstreamError as error:
        return f"API: {error.message} {error.detail}".strip()
    return None


def forget_readiness() -> None:
    """Drop the remembered result, so the next /readyz checks again (for tests)."""
    global _last
    wait_for_check()
    with _lock:
        _last = None


def wait_for_check(timeout: float = 30) -> None:
    """Wait until no check is running (for tests and shutdown)."""
    with _lock:
        running = _running
    if running is not None:
        running.join(timeout)
