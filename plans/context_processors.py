from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def dashboard(request: HttpRequest) -> dict[str, Any]:
    """What base.html shows on every page: the demo banner and how fresh the data is."""
    client = getattr(request, "_pe365_client", None)
    fetched_at = client.fetched_at if client else None
    return {
        "demo_mode": settings.PE365_USE_DEMO,
        "data_as_of": datetime.fromtimestamp(fetched_at, tz=UTC) if fetched_at else None,
    }
