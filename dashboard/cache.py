"""The shared cache on Redis, never costing a page more than a moment when Redis fails.

Every operation of Django's RedisCache runs behind a small circuit breaker: a Redis
error (refused, timed out, reset) is logged once, the operation answers as a miss or
a no-op, and the cache is then skipped for SKIP_AFTER_FAILURE_SECONDS, so pages call
the API directly instead of each waiting for Redis's socket timeout. After that, one
operation tries Redis again while the others keep skipping; its success closes the
breaker. The breaker is shared by every thread of the process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

from plans.api import clock

log = logging.getLogger(__name__)

SKIP_AFTER_FAILURE_SECONDS = 30.0

T = TypeVar("T")


class CircuitBreaker:
    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._open = False
        self._skip_until = 0.0

    @property
    def is_open(self) -> bool:
        return self._open

    def allows_a_call(self) -> bool:
        now = clock.monotonic()
        with self._lock:
            if now < self._skip_until:
                return False
            if self._open:
                # Half open: this caller tries Redis; everyone else keeps skipping.
                self._skip_until = now + SKIP_AFTER_FAILURE_SECONDS
            return True

    def record_failure(self, error: BaseException) -> None:
        with self._lock:
            was_open = self._open
            self._open = True
            self._skip_until = clock.monotonic() + SKIP_AFTER_FAILURE_SECONDS
        if not was_open:
            log.warning(
                "cache %s unavailable (%s: %s); skipping it for %g s",
                self.name,
                type(error).__name__,
                error,
                SKIP_AFTER_FAILURE_SECONDS,
            )

    def record_success(self) -> None:
        if not self._open:
            return
        with self._lock:
            self._open = False
            self._skip_until = 0.0
        log.warning("cache %s is back", self.name)


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(location: str) -> CircuitBreaker:
    """One breaker per Redis location and process (Django makes a cache object per thread)."""
    with _breakers_lock:
        return _breakers.setdefault(location, CircuitBreaker(location))


class ResilientRedisCache(RedisCache):
    """Django's RedisCache; a failing Redis reads as a miss and is skipped for a while."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self.breaker = breaker_for(server if isinstance(server, str) else ",".join(server))

    def _guard(self, operation: Callable[[], T], fallback: T) -> T:
        if not self.breaker.allows_a_call():
            return fallback
        try:
            result = operation()
        except (RedisError, OSError) as error:
            self.breaker.record_failure(error)
            return fallback
        self.breaker.record_success()
        return result

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return self._guard(partial(super().add, key, value, timeout, version), False)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._guard(partial(super().get, key, default, version), default)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._guard(partial(super().set, key, value, timeout, version), None)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self._guard(partial(super().touch, key, timeout, version), False)

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._guard(partial(super().delete, key, version), False)

    def get_many(self, keys: Iterable[Any], version: Any = None) -> dict[Any, Any]:
        return self._guard(partial(super().get_many, keys, version), {})

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._guard(partial(super().has_key, key, version), False)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        result = self._guard(partial(super().incr, key, delta, version), None)
        if result is None:
            # What Django's caches raise for a missing key: the value is not there.
            raise ValueError(f"Key {key!r} not found (cache unavailable).")
        return result

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> list[Any]:
        return self._guard(partial(super().set_many, data, timeout, version), list(data))

    def delete_many(self, keys: Iterable[Any], version: Any = None) -> None:
        self._guard(partial(super().delete_many, keys, version), None)

    def clear(self) -> None:
        self._guard(super().clear, None)
