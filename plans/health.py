"""Health checks for load balancers and monitoring: no login, plain text, no secrets.

- /healthz says the process is up and serving requests. It touches nothing else, so
  a slow API or database never gets a healthy instance restarted.
- /readyz says the dashboard can do its job: one authenticated call to the API
  (one plan) answered within PE365_TIMEOUT. Otherwise 503 with the reason a person
  would see on a plan page (it may name a setting, never a value).

Both are exempt from the login requirement and from the HTTPS redirect
(SECURE_REDIRECT_EXEMPT), because probes usually speak plain HTTP to the instance.
"""

import threading
import time

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from plans import services
from plans.exceptions import NotFound, UpstreamError

# /readyz needs no login, so anyone who can reach it could make the dashboard call the
# API with its key. One check per interval per process, whatever the probe rate.
READINESS_INTERVAL_SECONDS = 5.0

_readiness_lock = threading.Lock()
_last_readiness: tuple[float, int, str] | None = None  # (checked at, status, text)


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
    global _last_readiness
    # Concurrent probes wait for the one check in flight instead of each calling the API.
    with _readiness_lock:
        now = time.monotonic()
        if _last_readiness is None or now - _last_readiness[0] >= READINESS_INTERVAL_SECONDS:
            try:
                services.upstream_check()
            except NotFound:
                # The plans path itself is missing: the API root is not the API's.
                _last_readiness = (now, 503, "not ready: no plans API at PE365_API_URL.")
            except UpstreamError as error:
                _last_readiness = (now, 503, f"not ready: {error.message} {error.detail}".strip())
            else:
                _last_readiness = (now, 200, "ready")
        _, status, text = _last_readiness
    return _plain(text, status)


def forget_readiness() -> None:
    """Drop the remembered result, so the next /readyz checks again (for tests)."""
    global _last_readiness
    with _readiness_lock:
        _last_readiness = None
