"""Reading a whole result set of a list endpoint, which the API serves only in pages.

The first page gives the count and the page size the API actually serves (it may cap
the `limit` asked for); the other pages are then asked for at once, at that size, on
the request's pool of PE365_CONCURRENCY threads, and put back in offset order. The
API gives no snapshot of a list, so the reader copes with a list that changes while it
is read: a short page is topped up from where it stopped, an empty page means the list
ran out, and a count that grows is read on to, up to the reader's row limit.

The items read are kept as one value (`Client.get_assembled`): once per request, and
for PE365_CACHE_TTL seconds in the shared cache, so paging through a sorted or filtered
list, or exporting it, reads the upstream once. `stream_all` hands the items on page by
page as they arrive (an export starts with the first page) and keeps the set once read.
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


def read_all(
    client: Client,
    path: str,
    params: Params,
    *,
    noun: str,
    parse: Callable[[Any], Item],
    pool: Executor | None = None,
) -> tuple[Item, ...]:
    """Every item of the list at `path` matching `params`, each read by `parse`.

    Raises `TooManyRows`, after one call, when the list counts more than the client's
    `max_rows` (PE365_MAX_ROWS): no page reads, holds or sorts more than that.
    `noun` names the list's items in error messages ("plans").
    """
    return _Scan(client, path, params, noun, parse, pool).remembered().items


@dataclass(frozen=True, slots=True)
class Stream(Generic[Item]):
    """A list's count, as its first page gives it, and its items as its pages arrive."""

    count: int
    items: Iterator[Item]


def stream_all(
    client: Client,
    path: str,
    params: Params,
    *,
    noun: str,
    parse: Callable[[Any], Item],
) -> Stream[Item]:
    """Every item `read_all` gives, handed on page by page as the pages arrive.

    The first page is read before this returns, so its failures, and `TooManyRows`, come
    from here; a later page's failure comes from iterating `items`. A set this request
    or the shared cache already holds is served from there; a set read to its end is
    kept as `read_all` keeps it.
    """
    scan = _Scan(client, path, params, noun, parse)
    kept: Listing[Item] | None = client.kept_assembled(scan.name, path, params)
    if kept is not None:
        return Stream(count=kept.count, items=iter(kept.items))
    windows = scan.windows()
    count, first = next(windows)

    def items() -> Iterator[Item]:
        read = list(first)
        yield from first
        last_count = count
        for seen, window in windows:
            last_count = seen
            read.extend(window)
            yield from window
        listing = Listing(count=last_count, items=tuple(read[: client.max_rows]))
        client.get_assembled(scan.name, path, params, lambda: listing)

    return Stream(count=count, items=items())


@dataclass(frozen=True, slots=True)
class _Scan(Generic[Item]):
    """One read of the list at `path`: its items each read by `parse`, at most the
    client's `max_rows` of them (refused past it)."""

    client: Client
    path: str
    params: Params
    noun: str
    parse: Callable[[Any], Item]
    pool: Executor | None = None

    @property
    def name(self) -> str:
        """What the read keeps its set under (`Client.get_assembled`)."""
        return f"all {self.client.max_rows}"

    def remembered(self) -> Listing[Item]:
        """The whole read, kept as one value (`Client.get_assembled`)."""

        def build() -> Listing[Item]:
            count, items = 0, []
            for seen, window in self.windows():
                count = seen
                items.extend(window)
            return Listing(count=count, items=tuple(items[: self.client.max_rows]))

        listing: Listing[Item] = self.client.get_assembled(self.name, self.path, self.params, build)
        return listing

    def windows(self) -> Iterator[tuple[int, list[Item]]]:
        """The list's items a page at a time, in offset order, each page with the count
        the list has as far as the read has gone; past `max_rows` it refuses. The first
        page is read alone; the others are asked for at once and each is handed on as soon
        as the pages before it are."""
        client, path = self.client, self.path
        max_rows = client.max_rows

        def page(offset: int, limit: int) -> tuple[int, list[Item]]:
            """One page, its items read as it arrives so its JSON can go at once."""
            query = {**self.params, "limit": limit, "offset": offset}
            data = client.get_json(path, query, share=False)  # shared as one value instead
            count, results = reader.list_page(data, path=path, noun=self.noun, limit=limit)
            return count, [self.parse(item) for item in results]

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
            if count > max_rows:
                raise TooManyRows(count=count, max_rows=max_rows, noun=self.noun, path=path)

        count, first = page(0, min(PAGE_SIZE, max_rows))
        check(count)
        yield count, first
        read = step = len(first)
        target = min(count, max_rows)
        if not step or read >= target:
            return
        with _executor(client, self.pool) as executor:
            while read < target:
                offsets = range(read, target, step)
                # The largest count the pages of this round give, so far.
                count, ran_out = 0, False
                for seen, results in executor.map(lambda offset: window(offset, step), offsets):
                    count = max(count, seen)
                    ran_out = ran_out or not results
                    read += len(results)
                    yield count, results
                check(count)
                if ran_out:
                    break  # the list ran out before its count: there is nothing more to read
                target = min(count, max_rows)


@contextmanager
def _executor(client: Client, pool: Executor | None) -> Iterator[Executor]:
    """The caller's pool when it has one, so its calls share that pool's bound; else the
    request's own."""
    if pool is not None:
        yield pool
        return
    with client.concurrently() as own:
        yield own
