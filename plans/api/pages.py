"""Reading a whole result set of a list endpoint, which the API serves only in pages.

The first page gives the count and the page size the API actually serves (it may cap
the `limit` asked for); the other pages are then asked for at once, at that size, on
the request's pool of PE365_CONCURRENCY threads, and put back in offset order. The
API gives no snapshot of a list, so the reader copes with a list that changes while it
is read: a short page is topped up from where it stopped, an empty page means the list
ran out, and a count that grows is read on to, up to the reader's row limit.

The items read are kept as one value (`Client.get_assembled`): once per request, and
for PE365_CACHE_TTL seconds in the shared cache, so paging through a sorted or filtered
list, or exporting it, reads the upstream once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from plans.api import reader
from plans.api.client import Client, Params
from plans.exceptions import TooManyRows

Item = TypeVar("Item")

# What the first page asks for; the other pages ask for what the first page served.
PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Listing(Generic[Item]):
    """Items of a list in the API's order, and how many the API counted in all."""

    count: int
    items: tuple[Item, ...]

    @property
    def complete(self) -> bool:
        return len(self.items) >= self.count


def read_all(
    client: Client,
    path: str,
    params: Params,
    *,
    what: str,
    parse: Callable[[Any], Item],
    pool: Executor | None = None,
) -> tuple[Item, ...]:
    """Every item of the list at `path` matching `params`, each read by `parse`.

    Raises `TooManyRows`, after one call, when the list counts more than the client's
    `max_rows` (PE365_MAX_ROWS): no page reads, holds or sorts more than that.
    `what` names the list in error messages ("a plan list").
    """
    listing = _remembered(client, path, params, what, parse, client.max_rows, pool, max_pages=None)
    return listing.items


def read_upto(
    client: Client,
    path: str,
    params: Params,
    *,
    what: str,
    parse: Callable[[Any], Item],
    max_pages: int,
    pool: Executor | None = None,
) -> Listing[Item]:
    """The items of the first `max_pages` pages of the list at `path`, and its count: a
    scan bounded in calls, whatever page size the API serves."""
    return _remembered(
        client, path, params, what, parse, client.max_rows, pool, max_pages=max_pages
    )


def _remembered(
    client: Client,
    path: str,
    params: Params,
    what: str,
    parse: Callable[[Any], Item],
    max_rows: int,
    pool: Executor | None,
    *,
    max_pages: int | None,
) -> Listing[Item]:
    def build() -> Listing[Item]:
        count, items = _read(client, path, params, what, parse, max_rows, pool, max_pages=max_pages)
        return Listing(count=count, items=tuple(items))

    name = f"all {max_rows}" if max_pages is None else f"first {max_pages} pages"
    listing: Listing[Item] = client.get_assembled(name, path, params, build)
    return listing


def _read(
    client: Client,
    path: str,
    params: Params,
    what: str,
    parse: Callable[[Any], Item],
    max_rows: int,
    pool: Executor | None,
    *,
    max_pages: int | None,
) -> tuple[int, list[Item]]:
    """(count, items); past `max_rows` it refuses, unless `max_pages` bounds the read."""
    refuse = max_pages is None

    def page(offset: int, limit: int) -> tuple[int, list[Item]]:
        """One page, its items read as it arrives so its JSON can go at once."""
        query = {**params, "limit": limit, "offset": offset}
        data = client.get_json(path, query, share=False)  # shared as one value instead
        count, results = reader.list_page(data, path=path, what=what)
        return count, [parse(item) for item in results]

    def window(offset: int, size: int) -> tuple[int, list[Item]]:
        """The items at `offset` to `offset + size`, topping up a page the API cut short."""
        count, items = page(offset, size)
        while items and len(items) < size and offset + len(items) < count:
            count, more = page(offset + len(items), size - len(items))
            if not more:
                break
            items.extend(more)
        return count, items

    def check(count: int) -> None:
        if refuse and count > max_rows:
            raise TooManyRows(
                f"The list counts {count:,} entries, more than the dashboard reads at once "
                f"({max_rows:,}).",
                detail=f"GET {path} counts {count:,} items; PE365_MAX_ROWS is {max_rows:,}.",
                path=path,
                count=count,
                max_rows=max_rows,
            )

    count, items = page(0, min(PAGE_SIZE, max_rows))
    check(count)
    step = len(items)
    if max_pages is not None:
        max_rows = min(max_rows, max_pages * step)
    target = min(count, max_rows)
    if not step or len(items) >= target:
        return count, items[:max_rows]
    with _executor(client, pool) as executor:
        while len(items) < target:
            offsets = range(len(items), target, step)
            windows = list(executor.map(lambda offset: window(offset, step), offsets))
            for _, results in windows:
                items.extend(results)
            count = max(seen for seen, _ in windows)
            check(count)
            if any(not results for _, results in windows):
                break  # the list ran out before its count: there is nothing more to read
            target = min(count, max_rows)
    return count, items[:max_rows]


@contextmanager
def _executor(client: Client, pool: Executor | None) -> Iterator[Executor]:
    """The caller's pool when it has one, so its calls share that pool's bound; else the
    request's own."""
    if pool is not None:
        yield pool
        return
    with client.concurrently() as own:
        yield own
