"""Where upstream answers are kept: for one dashboard request, and briefly for everyone.

- `Memo`: every resource a request asks for, fetched at most once for that request,
  even when its worker threads ask at the same time. It dies with the request.
- `shared_get` / `shared_set`: Django's cache (Redis or in-process), so repeat views
  within PE365_CACHE_TTL seconds cost no upstream call. It only saves calls: when it
  fails the page is served from the API and the failure is logged, like a miss.
- `single_flight`: concurrent misses for one key in this process wait for the first
  thread's answer instead of each calling the API.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache import cache

from plans.exceptions import UpstreamError

log = logging.getLogger(__name__)

# What a cache holds for one resource: (fetched at, as time.time(); the decoded JSON).
Entry = tuple[float, Any]


class Memo:
    """Answers (or failures) by key for one request; each key is computed at most once."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry | UpstreamError] = {}
        self._guard = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def get(self, key: str, compute: Callable[[], Entry]) -> Entry:
        with self._guard:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            if key not in self._entries:
                try:
                    self._entries[key] = compute()
                except UpstreamError as error:
                    # Failures are kept too: a page never asks a failing upstream twice.
                    self._entries[key] = error
            entry = self._entries[key]
        if isinstance(entry, UpstreamError):
            raise entry
        return entry


def shared_get(key: str) -> Entry | None:
    try:
        entry: Entry | None = cache.get(key)
    except Exception as error:  # any backend's error: Redis, memcached, pickling
        log.warning("shared cache unavailable, calling upstream: %s", type(error).__name__)
        return None
    return entry


def shared_set(key: str, entry: Entry, ttl: int) -> None:
    try:
        cache.set(key, entry, ttl)
    except Exception as error:
        log.warning("shared cache unavailable, answer not stored: %s", type(error).__name__)


# One lock per key being fetched right now, dropped when its last waiter leaves, so the
# table holds only in-flight keys and never grows with the number of pages ever viewed.
_flights: dict[str, tuple[threading.Lock, int]] = {}
_flights_guard = threading.Lock()


@contextmanager
def single_flight(key: str) -> Iterator[None]:
    with _flights_guard:
        lock, waiters = _flights.get(key) or (threading.Lock(), 0)
        _flights[key] = (lock, waiters + 1)
    try:
        with lock:
            yield
    finally:
        with _flights_guard:
            lock, waiters = _flights[key]
            if waiters == 1:
                del _flights[key]
            else:
                _flights[key] = (lock, waiters - 1)
