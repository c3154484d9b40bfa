"""The client one dashboard request uses to read Perform & Engage 365.

Views get it with `client_for(request)` and pass it to the use cases in
`plans.services`. It asks `transport` for each resource at most once per request
(`caching.Memo`), shares answers between requests for PE365_CACHE_TTL seconds, and
runs a request's concurrent calls on threads of its own, so one request's calls never
wait behind another's. All of a request's calls share one budget: PE365_TIMEOUT
seconds from the moment the client is made, and at most PE365_MAX_CALLS calls.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from plans.api import caching, clock, transport
from plans.exceptions import TooManyCalls, UpstreamTimeout

Params = dict[str, str | int]

# A user's Refresh bypasses the shared cache at most this often; a quicker one is
# served like an ordinary view, so repeated clicks cannot multiply upstream calls.
REFRESH_INTERVAL_SECONDS = 5


class Client:
    """Talks to one API account on behalf of one dashboard request."""

    @sensitive_variables("api_key")
    def __init__(
        self,
        *,
        root: str,
        username: str,
        api_key: str,
        timeout: float,
        cache_ttl: int,
        concurrency: int = 8,
        max_rows: int = 50_000,
        bypass_cache: bool = False,
        max_calls: int = 1000,
        max_response_bytes: int = 32 * 2**20,
    ) -> None:
        self.root = root
        self.timeout = timeout
        self.deadline = clock.monotonic() + timeout
        self.max_calls = max_calls
        self.calls = 0
        self.max_response_bytes = max_response_bytes
        self.cache_ttl = cache_ttl
        self.concurrency = concurrency
        # The most items one request reads of a list (plans.api.pages).
        self.max_rows = max_rows
        self.bypass_cache = bypass_cache
        self._auth = (username, api_key)
        self._account = hashlib.sha256(f"{root}\0{username}".encode()).hexdigest()[:16]
        self._memo = caching.Memo()
        self._guard = threading.Lock()
        # When the oldest data on this page was fetched upstream (for "as of …").
        self.fetched_at: float | None = None

    def __repr__(self) -> str:  # never show the key, e.g. in error reports
        return f"<Client {self.root} user={self._auth[0]!r}>"

    @classmethod
    def from_settings(cls, *, bypass_cache: bool = False, timeout: float | None = None) -> Client:
        """A client as the settings say; `timeout` replaces PE365_TIMEOUT when given."""
        return cls(
            root=settings.PE365_API_URL,
            username=settings.PE365_API_USERNAME,
            api_key=settings.PE365_API_KEY,
            timeout=settings.PE365_TIMEOUT if timeout is None else timeout,
            cache_ttl=settings.PE365_CACHE_TTL,
            concurrency=settings.PE365_CONCURRENCY,
            max_rows=settings.PE365_MAX_ROWS,
            bypass_cache=bypass_cache,
            max_calls=settings.PE365_MAX_CALLS,
            max_response_bytes=settings.PE365_MAX_RESPONSE_MB * 2**20,
        )

    def remaining(self) -> float:
        """Seconds left of the request's budget (negative once it has run out)."""
        return self.deadline - clock.monotonic()

    def get_json(
        self, path: str, params: Params | None = None, *, share: bool = True, what: str = "object"
    ) -> Any:
        """GET `path` (under the API root) once per request, from the shared cache if fresh.

        `share=False` leaves the shared cache out: for the pages of a whole result set,
        which is shared as one value (`get_assembled`) instead. A 404 says there is no
        `what` ("plan").
        """
        params = params or {}
        key = f"{path}?{urlencode(sorted(params.items()))}"
        return self._remembered(
            key, path, lambda: self._fetch(path, params, what), share=share, max_bytes=None
        )

    def fetch_json(self, path: str, params: Params | None = None, *, what: str = "object") -> Any:
        """GET `path` now, neither memoised nor shared: for a read that keeps what it parses
        from the answers instead (plans.organisation), so a thousand answers are not held."""
        return self._fetch(path, params or {}, what)

    def get_assembled(
        self, name: str, path: str, params: Params, assemble: Callable[[], Any]
    ) -> Any:
        """What `assemble` builds from several calls to `path`, kept as if it were one answer.

        Once per request and, for PE365_CACHE_TTL seconds, in the shared cache, under
        `name` (what is built, e.g. every page of a list) and `params`; a hit costs one
        cache read however many calls built it. "Data as of" is when the build began.
        """
        key = _assembled_key(name, path, params)
        return self._remembered(
            key, path, assemble, share=True, max_bytes=caching.MAX_SHARED_SET_BYTES
        )

    def kept_assembled(self, name: str, path: str, params: Params) -> Any | None:
        """What `get_assembled` would answer without building anything: this request's
        copy or the shared cache's; None when it would have to build."""
        key = _assembled_key(name, path, params)
        entry = self._memo.peek(key)
        if entry is None and self.cache_ttl and not self.bypass_cache:
            entry = caching.shared_get(self._cache_key(key))
        if entry is None:
            return None
        self._saw(entry[0])
        return entry[1]

    def _remembered(
        self,
        key: str,
        path: str,
        compute: Callable[[], Any],
        *,
        share: bool,
        max_bytes: int | None,
    ) -> Any:
        def entry() -> caching.Entry:
            if not (share and self.cache_ttl):
                return clock.now(), compute()
            return self._shared(key, path, compute, max_bytes)

        fetched_at, data = self._memo.get(key, entry)
        self._saw(fetched_at)
        return data

    def saw(self, fetched_at: float) -> None:
        """The page shows data fetched at `fetched_at` from elsewhere (a value kept by a
        use case itself, e.g. plans.organisation)."""
        self._saw(fetched_at)

    def shared_key(self, name: str) -> str:
        """The shared cache's key for `name`, this API account's own."""
        return self._cache_key(name)

    def _saw(self, fetched_at: float) -> None:
        """The page shows data fetched at `fetched_at` (its "Data as of" is the oldest)."""
        with self._guard:
            self.fetched_at = min(fetched_at, self.fetched_at or fetched_at)

    def _cache_key(self, key: str) -> str:
        return "pe365:" + hashlib.sha256(f"{self._account}\0{key}".encode()).hexdigest()

    def _shared(
        self, key: str, path: str, compute: Callable[[], Any], max_bytes: int | None
    ) -> caching.Entry:
        cache_key = self._cache_key(key)
        if not self.bypass_cache and (hit := caching.shared_get(cache_key)) is not None:
            return hit

        def compute_and_share() -> caching.Entry:
            entry = (clock.now(), compute())
            caching.shared_set(cache_key, entry, self.cache_ttl, max_bytes=max_bytes)
            return entry

        # A Refresh skips the cached copy but not a fetch already under way: that
        # answer is being fetched now, so it is as fresh as the Refresh asks for.
        try:
            return caching.single_flight(
                cache_key, compute_and_share, wait_seconds=self.remaining()
            )
        except TimeoutError:
            raise UpstreamTimeout(seconds=self.timeout, path=path) from None

    def _fetch(self, path: str, params: Params, what: str) -> Any:
        with self._guard:
            self.calls += 1
            if self.calls > self.max_calls:
                raise TooManyCalls(max_calls=self.max_calls, path=path)
        return transport.get_json(
            self.root + path,
            path=path,
            params=params,
            auth=self._auth,
            deadline=self.deadline,
            seconds=self.timeout,
            max_bytes=self.max_response_bytes,
            what=what,
        )

    @contextmanager
    def concurrently(self) -> Iterator[ThreadPoolExecutor]:
        """Threads for this request's concurrent calls, at most PE365_CONCURRENCY at once.

        They belong to this request alone, so a big page's calls never hold up another
        page's. Submitted work calls this client, whose memo is thread-safe and whose
        budget every thread shares.
        """
        with ThreadPoolExecutor(
            max_workers=self.concurrency, thread_name_prefix="pe365-call"
        ) as pool:
            yield pool


def _assembled_key(name: str, path: str, params: Params) -> str:
    return f"{name}:{path}?{urlencode(sorted(params.items()))}"


def client_for(request: HttpRequest) -> Client:
    """The client bound to this dashboard request; it dies with the request.

    Its time budget starts now. `?refresh=1` bypasses the shared cache when the
    signed-in user has not refreshed within REFRESH_INTERVAL_SECONDS.
    """
    client: Client | None = getattr(request, "_pe365_client", None)
    if client is None:
        client = Client.from_settings(bypass_cache=_may_refresh(request))
        request._pe365_client = client  # type: ignore[attr-defined]
    return client


def _may_refresh(request: HttpRequest) -> bool:
    if request.GET.get("refresh") != "1":
        return False
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return caching.claim(f"pe365:refresh:{user.pk}:{request.path}", REFRESH_INTERVAL_SECONDS)


def release_client(request: HttpRequest) -> None:
    """Let the request's client, and every answer it memoised, go once the response is made.

    Django's request objects sit in reference cycles and are freed only by a full
    garbage collection; the client of a big plan's page holds megabytes of answers.
    """
    vars(request).pop("_pe365_client", None)
