"""Demo mode: with no PE365_API_URL (under DJANGO_DEBUG=1 or PE365_DEMO=1) the dashboard
serves the demo API's made-up data.

The demo API is a program of its own (`python -m demo_api`); in demo mode the dashboard
starts it in a thread of its web process (from dashboard/wsgi.py, so management
commands never start it) and points the client's settings at it. The API client
itself knows nothing of it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


def start_demo_api() -> None:
    """In demo mode, start the demo API and make the client's settings point at it."""
    if not settings.PE365_USE_DEMO:
        return
    from demo_api import DEMO_API_KEY, DEMO_USERNAME, start_demo_server

    server = start_demo_server(
        latency_ms=settings.PE365_DEMO_LATENCY_MS, fault=settings.PE365_DEMO_FAULT or None
    )
    settings.PE365_API_URL = server.url
    settings.PE365_API_USERNAME = DEMO_USERNAME
    settings.PE365_API_KEY = DEMO_API_KEY


@checks.register(checks.Tags.compatibility)
def check_demo_fault(**kwargs: Any) -> list[checks.CheckMessage]:
    """PE365_DEMO_FAULT names one of the demo API's fault kinds (it stops start-up otherwise)."""
    if not settings.PE365_DEMO_FAULT:
        return []
    from demo_api.server import FAULT_KINDS, parse_fault

    if parse_fault(settings.PE365_DEMO_FAULT) is not None:
        return []
    return [
        checks.Error(
            f"PE365_DEMO_FAULT must be one of {', '.join(sorted(FAULT_KINDS))} "
            f"(optionally :<argument>, e.g. slow:15), not {settings.PE365_DEMO_FAULT!r}.",
            id="dashboard.E001",
        )
    ]
