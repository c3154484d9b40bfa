"""The client one dashboard request uses to read Perform & Engage 365.

Views get it with `client_for(request)` and pass it to the use cases in
`plans.services`. It asks `transport` for each resource at most once per request
(`caching.Memo`), shares answers between requests for PE365_CACHE_TTL seconds, and
runs a request's concurrent calls on threads of its own, so one request's calls never
wait behind another's. All of a request's calls share one `RequestBudget`: PE365_TIMEOUT
seconds from the moment the client is made, and at most PE365_MAX_CALLS calls.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from plans.api import caching, transport
from plans.api.budget import RequestBudget

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
        self.budget = RequestBudget(seconds=timeout, max_calls=max_calls)
        self.max_response_bytes = max_response_bytes
        self.cache_ttl = cache_ttl
        self.concurrency = concurrency
        # The most items one request reads of a list (plans.api.pages).
        self.max_rows = max_rows
        self.bypass_cache = bypass_cache
        self._auth = (username, api_key)
        self._account = hashlib.sha256(f"{root}\0{username}".encode()).hexdigest()[:16]
        self._memo = caching.Memo()
        self._fetched_guard = threading.Lock()
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

    def get_json(self, path: str, params: Params | None = None, *, share: bool = True) -> Any:
        """GET `path` (under the API root) once per request, from the shared cache if fresh.

        `share=False` leaves the shared cache out: for the pages of a whole result set,
        which is shared as one value (`get_assembled`) instead.
        """
        params = params or {}
        memo_key = f"{path}?{urlencode(sorted(params.items()))}"
        return self._remembered(
            memo_key,
            path,
            lambda: self._fetch(path, params),
            share=share,
            whole_set=False,
        )

    def get_assembled(
        self, name: str, path: str, params: Params, assemble: Callable[[], Any]
    ) -> Any:
        """What `assemble` builds from several calls to `path`, kept as if it were one answer.

        Once per request and, for PE365_CACHE_TTL seconds, in the shared cache, under
        `name` (what is built, e.g. every page of a list) and `params`; a hit costs one
        cache read however many calls built it. "Data as of" is when the build began.
        """
        memo_key = f"{name}:{path}?{urlencode(sorted(params.items()))}"
        return self._remembered(memo_key, path, assemble, share=True, whole_set=True)

    def _remembered(
        self,
        memo_key: str,
        path: str,
        compute: Callable[[], Any],
        *,
        share: bool,
        whole_set: bool,
    ) -> Any:
        def entry() -> caching.Entry:
            if not share:
                return time.time(), compute()
            return self._cached(memo_key, path, compute, whole_set=whole_set)

        fetched_at, data = self._memo.get(memo_key, entry)
        with self._fetched_guard:
            self.fetched_at = (
                fetched_at if self.fetched_at is None else min(self.fetched_at, fetched_at)
            )
        return data

    def _cached(
        self, memo_key: str, path: str, compute: Callable[[], Any], *, whole_set: bool
    ) -> caching.Entry:
        if not self.cache_ttl:
            return time.time(), compute()
        cache_key = "pe365:" + hashlib.sha256(f"{self._account}\0{memo_key}".encode()).hexdigest()
        shared_get = caching.shared_get_set if whole_set else caching.shared_get
        if not self.bypass_cache and (hit := shared_get(cache_key)) is not None:
            return hit

        def compute_and_share() -> caching.Entry:
            entry = (time.time(), compute())
            if whole_set:
                caching.shared_set_set(cache_key, entry, self.cache_ttl)
            else:
                caching.shared_set(cache_key, entry, self.cache_ttl)
            return entry

        # A Refresh skips the cached copy but not a fetch already under way: that
        # answer is being fetched now, so it is as fresh as the Refresh asks for.
        try:
            return caching.single_flight(
                cache_key, compute_and_share, wait_seconds=self.budget.remaining()
            )
        except TimeoutError:
            raise transport.timeout_error(path, self.budget.seconds) from None

    def _fetch(self, path: str, params: Params) -> Any:
        return transport.get_json(
            self.root + path,
            path=path,
            params=params,
            auth=self._auth,
            budget=self.budget,
            max_bytes=self.max_response_bytes,
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
    return caching.claim(f"pe365:refresh:{user.pk}", REFRESH_INTERVAL_SECONDS)


def release_client(request: HttpRequest) -> None:
    """Let the request's client, and every answer it memoised, go once the response is made.

    Django's request objects sit in reference cycles and are freed only by a full
    garbage collection; the client of a big plan's page holds megabytes of answers.
    """
    vars(request).pop("_pe365_client", None)
