"""Reading a whole result set of a list endpoint, which the API serves only in pages."""

from __future__ import annotations

from typing import Any

from plans.api import reader
from plans.api.client import Client, Params
from plans.exceptions import MalformedResponse

# Ask for big pages and stop after a bound, so an upstream that never stops paging
# cannot keep a page looping.
PAGE_SIZE = 100
MAX_PAGES = 100


def read_all(client: Client, path: str, params: Params, *, what: str) -> list[Any]:
    """Every item of the list at `path` matching `params`, in the API's order.

    The next offset is the number of items actually received, since the API may cap
    the page size below what is asked for.
    """
    items: list[Any] = []
    for _ in range(MAX_PAGES):
        data = client.get_json(path, {**params, "limit": PAGE_SIZE, "offset": len(items)})
        count, results = reader.list_page(data, path=path, what=what)
        items.extend(results)
        if not results or len(items) >= count:
            return items
    raise MalformedResponse(
        f"Perform & Engage 365 kept sending pages after {MAX_PAGES} pages, more than the "
        "dashboard reads in one go. Narrow the list by plan name or template, or drop the "
        "status, frequency and sort options.",
        detail=f"GET {path} still had more after {MAX_PAGES * PAGE_SIZE} rows.",
        path=path,
        upstream_status=200,
    )
