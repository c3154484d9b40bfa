"""Where upstream answers are kept: for one dashboard request, and briefly for everyone.

- `Memo`: every resource a request asks for, fetched at most once for that request,
  even when its worker threads ask at the same time. It dies with the request.
- `shared_get` / `shared_set`: Django's cache (Redis or in-process), so repeat views
  within PE365_CACHE_TTL seconds cost no upstream call. It only saves calls: when it
  fails the page is served from the API and the failure is logged, like a miss.
- `single_flight`: concurrent fetches of one key in this process (misses and Refreshes
  alike) share the first thread's answer instead of each calling the API.

The in-process cache (LocMemCache) holds at most MAX_ENTRIES entries (settings) and
never an entry bigger than `max_bytes` pickled, so its memory is bounded.
"""

from __future__ import annotations

import logging
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from django.core.cache import cache

from plans.api import clock
from plans.exceptions import UpstreamError

log = logging.getLogger(__name__)

# An answer bigger than this once pickled is served but not shared: a few of them would
# fill the cache's memory (LocMemCache keeps the pickled bytes, Redis its copy).
MAX_SHARED_ENTRY_BYTES = 2 * 2**20
# A whole result set (plans.api.pages) may be bigger: it stands for every page of a list,
# up to PE365_MAX_ROWS items read in hundreds of calls, which sharing it saves.
MAX_SHARED_SET_BYTES = 16 * 2**20

# What a cache holds for one resource: (fetched at, as clock.now(); the decoded JSON).
Entry = tuple[float, Any]


class Memo:
    """Answers (or failures) by key for one request; each key is computed at most once."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry | UpstreamError] = {}
        self._guard = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def peek(self, key: str) -> Entry | None:
        """The answer kept for `key`, if this request has one (a kept failure is none)."""
        with self._guard:
            entry = self._entries.get(key)
        return None if isinstance(entry, UpstreamError) else entry

    def get(self, key: str, compute: Callable[[], Entry]) -> Entry:
        with self._guard:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            if key not in self._entries:
                try:
                    self._entries[key] = compute()
                except UpstreamError as error:
                    # Failures are kept too: a page never asks a failing upstream twice.
                    # Without its traceback, whose frames would tie this memo (and
                    # whatever those frames held) into a cycle only a collection frees.
                    self._entries[key] = error.with_traceback(None)
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


def shared_set(key: str, entry: Entry, ttl: int, *, max_bytes: int | None = None) -> None:
    """Keep `entry` for `ttl` seconds, unless it is bigger than `max_bytes` pickled
    (MAX_SHARED_ENTRY_BYTES unless given)."""
    try:
        size = len(pickle.dumps(entry, pickle.HIGHEST_PROTOCOL))
        if size > (MAX_SHARED_ENTRY_BYTES if max_bytes is None else max_bytes):
            log.info("answer not stored in the shared cache: %d bytes pickled", size)
            return
        cache.set(key, entry, ttl)
    except Exception as error:
        log.warning("shared cache unavailable, answer not stored: %s", type(error).__name__)


def claim(key: str, seconds: float) -> bool:
    """True unless a claim of `key` was granted within the last `seconds` (shared by every
    worker with Redis). Two claims at the same moment may both be granted: single flight
    still makes their reads one."""
    now = clock.now()
    try:
        granted_at = cache.get(key)
        if granted_at is not None and now - granted_at < seconds:
            return False
        cache.set(key, now, int(seconds) + 1)
    except Exception as error:
        # Without a cache every view calls the API anyway: nothing to protect it from.
        log.warning("shared cache unavailable, claim granted: %s", type(error).__name__)
    return True


# The fetch under way for each key, dropped when it ends, so the table holds only
# in-flight keys and never grows with the number of pages ever viewed.
_flights: dict[str, Future[Entry]] = {}
_flights_guard = threading.Lock()


def single_flight(key: str, fetch: Callable[[], Entry], *, wait_seconds: float) -> Entry:
    """`fetch()`, unless a fetch of `key` is under way in this process: then its outcome.

    A caller that joins a fetch waits at most `wait_seconds` for it (TimeoutError).
    """
    with _flights_guard:
        flight = _flights.get(key)
        leading = flight is None
        if flight is None:
            flight = _flights[key] = Future()
    if not leading:
        return flight.result(timeout=max(wait_seconds, 0.0))
    try:
        entry = fetch()
    except BaseException as error:
        flight.set_exception(error)
        raise
    else:
        flight.set_result(entry)
        return entry
    finally:
        with _flights_guard:
            del _flights[key]
