"""The Perform & Engage 365 API client: the only module in the dashboard that talks HTTP.

Views ask for plans through the `plan_*` functions below, passing the `Client` bound
to their request (`client_for(request)`). The client

- memoises every upstream resource for the life of one dashboard request, so a page
  fetches each resource at most once however often tables and templates ask for it;
- keeps a short-lived shared copy in Django's cache (PE365_CACHE_TTL), keyed by API
  root and account, so repeat views within seconds cost no upstream call;
- spends at most PE365_TIMEOUT seconds on a call, retries included, and turns every
  failure into one of the exceptions in `plans.exceptions`.

Results are frozen dataclasses, so templates never depend on the API's JSON shapes.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import requests
from django.conf import settings
from django.core.cache import cache
from django.views.decorators.debug import sensitive_variables

from plans.exceptions import (
    CredentialsRejected,
    MalformedResponse,
    NotFound,
    UpstreamError,
    UpstreamThrottled,
    UpstreamTimeout,
    UpstreamUnavailable,
)

log = logging.getLogger(__name__)

PLANS_PATH = "/api/v2/conversation_plans/"
TEMPLATES_PATH = "/api/v2/conversation_templates/"
CONVERSATIONS_PATH = "/api/v2/conversations/"

# Reading a whole result set (to filter by status, sort, export): ask for big pages and
# stop after a bound, so an upstream that never stops paging cannot keep us looping.
ALL_PAGE_SIZE = 100
MAX_ALL_PAGES = 100
# Plan progress scans the plan's completed conversations for the latest completion date.
MAX_CONVERSATION_PAGES = 50
# Secondary calls of the detail page (template, progress) run on a small shared pool.
SECONDARY_WORKERS = 4

# Retries: GETs are idempotent, so connection errors and the statuses that mean
# "try again" are retried with exponential backoff, within the call's time budget.
MAX_ATTEMPTS = 3
RETRY_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_SECONDS = 0.2
RETRY_AFTER_CAP_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 3.05

# An id that holds a path separator, a query or fragment marker, a dot-segment,
# whitespace, a percent sign or a control character can never be a real API id.
# Refusing it here means no input can make the client request another upstream path.
_IMPOSSIBLE_ID = re.compile(r"[/?#\\%\s\x00-\x1f\x7f]|\.\.|^\.$")
MAX_ID_LENGTH = 200


# --- Results -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class User:
    api_id: str
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class Department:
    api_id: str
    name: str


@dataclass(frozen=True, slots=True)
class PlanSummary:
    api_id: str
    name: str
    template_name: str
    template_api_id: str
    status: str
    frequency: str | None


@dataclass(frozen=True, slots=True)
class PlanDetail:
    api_id: str
    name: str
    template_name: str
    template_api_id: str
    status: str
    frequency: str | None
    assigned_users: tuple[User, ...]
    assigned_departments: tuple[Department, ...]


@dataclass(frozen=True, slots=True)
class Template:
    api_id: str
    name: str
    active: bool
    draft: bool
    deleted: bool
    created: datetime | None
    updated: datetime | None

    @property
    def state(self) -> str:
        if self.deleted:
            return "deleted"
        if self.draft:
            return "draft"
        return "active" if self.active else "inactive"


@dataclass(frozen=True, slots=True)
class PlanProgress:
    """How many conversations a plan has generated, and when the last one was completed.

    `complete` is False when the plan has more completed conversations than the
    dashboard scans (or the API sent a short page): `last_completed` is then the
    latest of those it read.
    """

    draft: int
    final: int
    last_completed: datetime | None
    complete: bool = True
    scanned: int = 0  # completed conversations read for `last_completed`

    @property
    def total(self) -> int:
        return self.draft + self.final

    @property
    def percent_final(self) -> int:
        return round(100 * self.final / self.total) if self.total else 0


@dataclass(frozen=True, slots=True)
class PlanExtras:
    """The detail page's secondary data; each part is either a value or the error it met."""

    template: Template | None
    template_error: UpstreamError | None
    progress: PlanProgress | None
    progress_error: UpstreamError | None


@dataclass(frozen=True, slots=True)
class PlanPage:
    """One window of the plan list: `plans` starts at position `offset` of `count`."""

    count: int
    offset: int
    plans: tuple[PlanSummary, ...]


# --- The client ------------------------------------------------------------------------

_thread_state = threading.local()


def _session() -> requests.Session:
    """One pooled session per thread: requests does not promise Session is thread-safe."""
    session = getattr(_thread_state, "session", None)
    if session is None:
        session = requests.Session()
        session.headers.update({"Accept": "application/json", "User-Agent": "pe365-dashboard"})
        _thread_state.session = session
    return session


_demo_lock = threading.Lock()
_demo_server = None


def _demo_root() -> str:
    """Start the built-in demo API on first use (in this process) and return its root."""
    global _demo_server
    with _demo_lock:
        if _demo_server is None:
            from plans.demo_api import start_demo_server

            _demo_server = start_demo_server(
                latency_ms=settings.PE365_DEMO_LATENCY_MS, fault=settings.PE365_DEMO_FAULT or None
            )
        return _demo_server.url


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
        bypass_cache: bool = False,
    ) -> None:
        self.root = root
        self.timeout = timeout
        self.cache_ttl = cache_ttl
        self.bypass_cache = bypass_cache
        self._auth = (username, api_key)
        self._account = hashlib.sha256(f"{root}\0{username}".encode()).hexdigest()[:16]
        self._memo: dict[str, tuple[float, Any] | UpstreamError] = {}
        # The detail page asks from worker threads too: one lock per memo key keeps
        # "at most once per request" true when two threads ask for the same resource.
        self._memo_guard = threading.Lock()
        self._memo_locks: dict[str, threading.Lock] = {}
        # When the oldest data on this page was fetched upstream (for "as of …").
        self.fetched_at: float | None = None

    def __repr__(self) -> str:  # never show the key, e.g. in error reports
        return f"<Client {self.root} user={self._auth[0]!r}>"

    @classmethod
    @sensitive_variables("api_key")
    def from_settings(cls, *, bypass_cache: bool = False) -> Client:
        if settings.PE365_USE_DEMO:
            from plans.demo_api import DEMO_API_KEY, DEMO_USERNAME

            root, username, api_key = _demo_root(), DEMO_USERNAME, DEMO_API_KEY
        else:
            root = settings.PE365_API_URL
            username, api_key = settings.PE365_API_USERNAME, settings.PE365_API_KEY
        return cls(
            root=root,
            username=username,
            api_key=api_key,
            timeout=settings.PE365_TIMEOUT,
            cache_ttl=settings.PE365_CACHE_TTL,
            bypass_cache=bypass_cache,
        )

    def get_json(self, path: str, params: dict[str, str | int] | None = None) -> Any:
        """GET `path` (under the API root) once per request, from the shared cache if fresh."""
        query = urlencode(sorted((params or {}).items()))
        memo_key = f"{path}?{query}"
        with self._memo_guard:
            key_lock = self._memo_locks.setdefault(memo_key, threading.Lock())
        with key_lock:
            if memo_key not in self._memo:
                try:
                    self._memo[memo_key] = self._cached_fetch(path, params or {}, memo_key)
                except UpstreamError as error:
                    # Failures are memoised too: a page never asks a failing upstream twice.
                    self._memo[memo_key] = error
            entry = self._memo[memo_key]
        if isinstance(entry, UpstreamError):
            raise entry
        fetched_at, data = entry
        with self._memo_guard:
            self.fetched_at = (
                fetched_at if self.fetched_at is None else min(self.fetched_at, fetched_at)
            )
        return data

    def _cached_fetch(self, path: str, params: dict, memo_key: str) -> tuple[float, Any]:
        if not self.cache_ttl:
            return time.time(), self._fetch(path, params)
        cache_key = "pe365:" + hashlib.sha256(f"{self._account}\0{memo_key}".encode()).hexdigest()
        if not self.bypass_cache and (hit := _cache_get(cache_key)) is not None:
            return hit
        # Single flight: concurrent misses for one key in this process wait for the
        # first thread's answer instead of each calling the API.
        with _single_flight(cache_key):
            if not self.bypass_cache and (hit := _cache_get(cache_key)) is not None:
                return hit
            entry = (time.time(), self._fetch(path, params))
            _cache_set(cache_key, entry, self.cache_ttl)
            return entry

    # Every frame from here down (requests, urllib3) holds the credentials or the
    # Authorization header; Django's error reports show them all as "********".
    @sensitive_variables()
    def _fetch(self, path: str, params: dict) -> Any:
        url = self.root + path
        started = time.monotonic()
        deadline = started + self.timeout
        attempt = 0
        while True:
            attempt += 1
            remaining = max(deadline - time.monotonic(), 0.001)
            try:
                response = _session().get(
                    url,
                    params=params,
                    auth=self._auth,
                    timeout=(min(CONNECT_TIMEOUT_SECONDS, remaining), remaining),
                    allow_redirects=False,
                )
            except requests.Timeout:
                error: UpstreamError = UpstreamTimeout(
                    f"Perform & Engage 365 did not answer within {self.timeout:g} seconds. "
                    "Try again in a minute.",
                    path=path,
                )
                wait = None  # the budget is spent
            except requests.ConnectionError:
                error = UpstreamUnavailable(
                    "Perform & Engage 365 could not be reached. Try again in a minute; "
                    "if it keeps happening, check the service status or PE365_API_URL.",
                    path=path,
                )
                wait = BACKOFF_SECONDS * 2 ** (attempt - 1)
            except requests.RequestException:
                error = UpstreamUnavailable(
                    "The request to Perform & Engage 365 failed. Try again in a minute.",
                    path=path,
                )
                wait = None
            else:
                if response.status_code in RETRY_STATUSES and attempt < MAX_ATTEMPTS:
                    wait = _retry_delay(response, attempt)
                    if time.monotonic() + wait < deadline:
                        time.sleep(wait)
                        continue
                self._log(path, response.status_code, started, attempt)
                return _decode(response, path)
            if wait is None or attempt >= MAX_ATTEMPTS or time.monotonic() + wait >= deadline:
                self._log(path, type(error).__name__, started, attempt)
                raise error
            time.sleep(wait)

    @staticmethod
    def _log(path: str, outcome: int | str, started: float, attempts: int) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        level = logging.INFO if outcome == 200 else logging.WARNING
        log.log(
            level,
            "upstream GET %s -> %s in %.0f ms (%d attempts)",
            path,
            outcome,
            elapsed_ms,
            attempts,
        )


# --- Shared cache helpers -----------------------------------------------------------------
#
# The shared cache only saves upstream calls; it must never take a page down. If it fails
# (Redis restarting, unreachable, full), the page is served straight from the API and the
# failure is logged, like a miss.


def _cache_get(key: str) -> tuple[float, Any] | None:
    try:
        return cache.get(key)
    except Exception as error:  # any backend's error: Redis, memcached, pickling
        log.warning("shared cache unavailable, calling upstream: %s", type(error).__name__)
        return None


def _cache_set(key: str, entry: tuple[float, Any], ttl: int) -> None:
    try:
        cache.set(key, entry, ttl)
    except Exception as error:
        log.warning("shared cache unavailable, answer not stored: %s", type(error).__name__)


# One lock per key being fetched right now, dropped when its last waiter leaves, so the
# table holds only in-flight keys and never grows with the number of pages ever viewed.
_flights: dict[str, tuple[threading.Lock, int]] = {}
_flights_guard = threading.Lock()


@contextmanager
def _single_flight(key: str) -> Iterator[None]:
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


def _retry_delay(response: requests.Response, attempt: int) -> float:
    """Honour Retry-After (seconds or HTTP date) up to a cap, else back off exponentially."""
    header = response.headers.get("Retry-After", "").strip()
    if header.isdigit():
        return min(float(header), RETRY_AFTER_CAP_SECONDS)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        when = None
    if when is not None and when.tzinfo is not None:
        seconds = (when - datetime.now(UTC)).total_seconds()
        return min(max(seconds, 0.0), RETRY_AFTER_CAP_SECONDS)
    return BACKOFF_SECONDS * 2 ** (attempt - 1)


def _decode(response: requests.Response, path: str) -> Any:
    """Map the API's answer to data or to the matching exception."""
    status = response.status_code
    if status == 200:
        try:
            return response.json()
        except ValueError:
            raise MalformedResponse(
                "Perform & Engage 365 sent a reply the dashboard could not read. "
                "Try again in a minute; if it keeps happening, tell the dashboard's maintainers.",
                path=path,
                upstream_status=status,
            ) from None
    if status == 404:
        raise NotFound(
            "Perform & Engage 365 has nothing at that address.", path=path, upstream_status=404
        )
    if status == 401:
        raise CredentialsRejected(
            "Perform & Engage 365 rejected the dashboard's API key. An administrator should "
            "check PE365_API_USERNAME and PE365_API_KEY.",
            path=path,
            upstream_status=401,
        )
    if status == 403:
        raise CredentialsRejected(
            "The dashboard's API key is not allowed to read conversation plans. An administrator "
            "should set PE365_API_USERNAME and PE365_API_KEY to a key with read access.",
            path=path,
            upstream_status=403,
        )
    if status == 429:
        raise UpstreamThrottled(
            "Perform & Engage 365 is receiving too many requests right now. Try again in a minute.",
            path=path,
            upstream_status=429,
        )
    if status >= 500:
        raise UpstreamUnavailable(
            f"Perform & Engage 365 answered with a server error (HTTP {status}). "
            "Try again in a minute.",
            path=path,
            upstream_status=status,
        )
    raise UpstreamError(
        f"Perform & Engage 365 refused the dashboard's request (HTTP {status}). "
        "Tell the dashboard's maintainers.",
        path=path,
        upstream_status=status,
    )


def client_for(request) -> Client:
    """The client bound to this dashboard request; it dies with the request."""
    client = getattr(request, "_pe365_client", None)
    if client is None:
        client = Client.from_settings(bypass_cache=request.GET.get("refresh") == "1")
        request._pe365_client = client
    return client


def release_client(request) -> None:
    """Let the request's client, and every answer it memoised, go once the response is made.

    Django's request objects sit in reference cycles, so a finished request is freed
    only when the garbage collector next runs a full collection. The client of a big
    plan's page holds megabytes of parsed answers; a dozen of them waiting for that
    collection grew a worker by 40 MB (plans.middleware.ReleaseClientMiddleware).
    """
    vars(request).pop("_pe365_client", None)


# --- Parsing: tolerant of what the API may omit or add, strict about the rest ------------


def _malformed(path: str, what: str) -> MalformedResponse:
    return MalformedResponse(
        f"Perform & Engage 365 sent {what} the dashboard could not read. "
        "Try again in a minute; if it keeps happening, tell the dashboard's maintainers.",
        path=path,
        upstream_status=200,
    )


def _object(value: Any, path: str, what: str) -> dict:
    if not isinstance(value, dict):
        raise _malformed(path, what)
    return value


def _text(data: dict, key: str, path: str, what: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise _malformed(path, what)
        return ""
    if not isinstance(value, str):
        raise _malformed(path, what)
    return value


def _list(data: dict, key: str, path: str, what: str) -> list:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _malformed(path, what)
    return value


def _plan_fields(data: Any, path: str) -> dict[str, Any]:
    item = _object(data, path, "a plan")
    return {
        "api_id": _text(item, "api_id", path, "a plan without an id", required=True),
        "name": _text(item, "name", path, "a plan name"),
        "template_name": _text(item, "template_name", path, "a template name"),
        "template_api_id": _text(item, "template_api_id", path, "a template id"),
        "status": _text(item, "status", path, "a plan status"),
        "frequency": _text(item, "frequency", path, "a plan frequency") or None,
    }


def _user(data: Any, path: str) -> User:
    item = _object(data, path, "an assigned user")
    return User(
        api_id=_text(item, "api_id", path, "a user id"),
        name=_text(item, "name", path, "a user name"),
        email=_text(item, "email", path, "a user email"),
    )


def _department(data: Any, path: str) -> Department:
    item = _object(data, path, "an assigned department")
    return Department(
        api_id=_text(item, "api_id", path, "a department id"),
        name=_text(item, "name", path, "a department name"),
    )


def _count(data: dict, path: str, what: str = "a plan list") -> int:
    count = data.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise _malformed(path, what)
    return count


def _results(data: dict, path: str, what: str) -> list:
    results = data.get("results")
    if not isinstance(results, list):
        raise _malformed(path, what)
    return results


def _flag(data: dict, key: str, path: str, what: str) -> bool:
    value = data.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _malformed(path, what)
    return value


def _moment(data: dict, key: str, path: str, what: str) -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime (UTC when the API gives no offset)."""
    value = _text(data, key, path, what)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _malformed(path, what) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- Plans ---------------------------------------------------------------------------------


def _object_path(collection: str, api_id: str, what: str) -> str:
    """The upstream path of one object; its id always travels as a single path segment."""
    if not api_id or len(api_id) > MAX_ID_LENGTH or _IMPOSSIBLE_ID.search(api_id):
        raise NotFound(f"There is no {what} with that id.", path=collection)
    return f"{collection}{quote(api_id, safe='')}/"


def plan_path(api_id: str) -> str:
    """The upstream path of one plan; its id always travels as a single path segment."""
    return _object_path(PLANS_PATH, api_id, "plan")


def template_path(api_id: str) -> str:
    """The upstream path of one conversation template, with the same id rules as plans."""
    return _object_path(TEMPLATES_PATH, api_id, "template")


def plan_list(
    *, client: Client, name: str = "", template_name: str = "", limit: int, offset: int
) -> PlanPage:
    """Plans `offset` to `offset + limit` matching the filters, as the API orders them.

    The API may cap `limit` below what we ask, so a short page is topped up with
    further calls; with the usual page sizes this is exactly one call.
    """
    filters = {
        key: value for key, value in (("name", name), ("template_name", template_name)) if value
    }
    plans: list[PlanSummary] = []
    count = None
    while True:
        params = {**filters, "limit": limit - len(plans), "offset": offset + len(plans)}
        data = _object(client.get_json(PLANS_PATH, params), PLANS_PATH, "a plan list")
        count = _count(data, PLANS_PATH)
        results = data.get("results")
        if not isinstance(results, list):
            raise _malformed(PLANS_PATH, "a plan list")
        plans.extend(PlanSummary(**_plan_fields(item, PLANS_PATH)) for item in results)
        wanted = min(limit, max(count - offset, 0))
        if not results or len(plans) >= wanted:
            return PlanPage(count=count, offset=offset, plans=tuple(plans[:limit]))


def plan_get(*, client: Client, api_id: str) -> PlanDetail:
    """One plan with its assigned users and departments."""
    path = plan_path(api_id)
    try:
        data = client.get_json(path)
    except NotFound:
        raise NotFound("There is no plan with that id.", path=path, upstream_status=404) from None
    fields = _plan_fields(data, path)
    return PlanDetail(
        **fields,
        assigned_users=tuple(_user(u, path) for u in _list(data, "assigned_users", path, "users")),
        assigned_departments=tuple(
            _department(d, path) for d in _list(data, "assigned_departments", path, "departments")
        ),
    )


def plan_list_all(
    *, client: Client, name: str = "", template_name: str = ""
) -> tuple[PlanSummary, ...]:
    """Every plan matching the filters, in the API's order, read page by page.

    Status filters, sorting and exports need the whole result set, which the API
    only serves in pages. Each call asks for ALL_PAGE_SIZE rows and the next offset
    is the number of rows actually received, since the API may cap the page size.
    """
    filters = {
        key: value for key, value in (("name", name), ("template_name", template_name)) if value
    }
    plans: list[PlanSummary] = []
    for _ in range(MAX_ALL_PAGES):
        params = {**filters, "limit": ALL_PAGE_SIZE, "offset": len(plans)}
        data = _object(client.get_json(PLANS_PATH, params), PLANS_PATH, "a plan list")
        count = _count(data, PLANS_PATH)
        results = _results(data, PLANS_PATH, "a plan list")
        plans.extend(PlanSummary(**_plan_fields(item, PLANS_PATH)) for item in results)
        if not results or len(plans) >= count:
            return tuple(plans)
    raise MalformedResponse(
        f"Perform & Engage 365 kept sending pages of plans after {MAX_ALL_PAGES} pages, more "
        "than the dashboard filters and sorts in one go. Narrow the list by plan name or "
        "template, or drop the status, frequency and sort options.",
        path=PLANS_PATH,
        upstream_status=200,
    )


def template_get(*, client: Client, api_id: str) -> Template:
    """One conversation template: its name, state and dates."""
    path = template_path(api_id)
    try:
        data = client.get_json(path)
    except NotFound:
        raise NotFound(
            "There is no template with that id.", path=path, upstream_status=404
        ) from None
    item = _object(data, path, "a template")
    return Template(
        api_id=_text(item, "api_id", path, "a template id"),
        name=_text(item, "name", path, "a template name"),
        active=_flag(item, "active", path, "a template state"),
        draft=_flag(item, "draft", path, "a template state"),
        deleted=_flag(item, "deleted", path, "a template state"),
        created=_moment(item, "created_date", path, "a template date"),
        updated=_moment(item, "updated_date", path, "a template date"),
    )


def _conversations_page(
    client: Client, plan_name: str, status: str, limit: int, offset: int
) -> tuple[int, list]:
    """(count, results) of one page of a plan's conversations with one status."""
    params = {"plan_name": plan_name, "status": status, "limit": limit, "offset": offset}
    what = "a conversation list"
    data = _object(client.get_json(CONVERSATIONS_PATH, params), CONVERSATIONS_PATH, what)
    return _count(data, CONVERSATIONS_PATH, what), _results(data, CONVERSATIONS_PATH, what)


def _latest_completion(conversations: list) -> datetime | None:
    path, what = CONVERSATIONS_PATH, "a conversation"
    dates = [
        _moment(_object(item, path, what), "completed_date", path, "a completion date")
        for item in conversations
    ]
    return max((d for d in dates if d is not None), default=None)


def _run_now(function: Callable, *args: Any) -> Future:
    """Executor.submit's signature without a pool: run now, hand back a done Future."""
    future: Future = Future()
    try:
        future.set_result(function(*args))
    except BaseException as error:  # re-raised by .result(), as a pool's Future would
        future.set_exception(error)
    return future


def plan_progress(
    *, client: Client, plan_name: str, pool: ThreadPoolExecutor | None = None
) -> PlanProgress:
    """Conversations a plan generated, by status, and when the last one was completed.

    Calls: one `status=draft&limit=1` (its `count` is the number of drafts) and the
    pages of `status=final` (the first page's `count` is the number completed; the API
    documents no ordering, so the latest `completed_date` needs every completed
    conversation). With a `pool`, the draft count and the first final page run
    together, then the remaining final pages run together; a caller of plain
    `plan_progress()` gets the same calls one after another.
    """
    if not plan_name:
        # An empty filter is no filter upstream: it would count every conversation.
        raise NotFound("The plan has no name to look its conversations up by.")
    submit = pool.submit if pool else _run_now
    drafts = submit(_conversations_page, client, plan_name, "draft", 1, 0)
    first = submit(_conversations_page, client, plan_name, "final", ALL_PAGE_SIZE, 0)
    final_count, results = first.result()
    # Further pages use the page size the API actually served (it may cap `limit`).
    step = len(results)
    offsets = list(range(step, final_count, step)) if step else []
    complete = len(offsets) < MAX_CONVERSATION_PAGES
    pages = [
        submit(_conversations_page, client, plan_name, "final", step, offset)
        for offset in offsets[: MAX_CONVERSATION_PAGES - 1]
    ]
    conversations = list(results)
    for page in pages:
        conversations.extend(page.result()[1])
    draft_count = drafts.result()[0]
    complete = complete and len(conversations) >= final_count
    return PlanProgress(
        draft=draft_count,
        final=final_count,
        last_completed=_latest_completion(conversations),
        complete=complete,
        scanned=len(conversations),
    )


_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _secondary_pool() -> ThreadPoolExecutor:
    """One small pool per process: bounded threads, and their pooled sessions live on."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=SECONDARY_WORKERS, thread_name_prefix="pe365-secondary"
            )
        return _pool


def plan_extras(*, client: Client, plan: PlanDetail) -> PlanExtras:
    """The plan's template and progress, fetched concurrently; failures are returned, not raised.

    The plan itself is fetched first and alone: its answer decides whether there is a
    page at all (404) and carries the template id and plan name these calls need. The
    template call and the progress calls then run at the same time on the shared pool,
    so the page waits for the slowest of them, not their sum. Only the calling thread
    waits on futures, so the pool can never deadlock on its own tasks.
    """
    pool = _secondary_pool()
    template_future = (
        pool.submit(template_get, client=client, api_id=plan.template_api_id)
        if plan.template_api_id
        else None
    )
    progress: PlanProgress | None = None
    progress_error: UpstreamError | None = None
    try:
        progress = plan_progress(client=client, plan_name=plan.name, pool=pool)
    except UpstreamError as error:
        progress_error = error
    template: Template | None = None
    template_error: UpstreamError | None = None
    if template_future is None:
        template_error = NotFound("The plan names no template.", path=TEMPLATES_PATH)
    else:
        try:
            template = template_future.result()
        except UpstreamError as error:
            template_error = error
    return PlanExtras(
        template=template,
        template_error=template_error,
        progress=progress,
        progress_error=progress_error,
    )


# --- Readiness -------------------------------------------------------------------------------


def upstream_check() -> None:
    """Ask the API for one plan, as the dashboard would; raise UpstreamError if it fails.

    A fresh client that neither reads nor fills the shared cache: a cached answer
    would say the API was up when it may no longer be.
    """
    client = Client.from_settings()
    client.cache_ttl = 0
    data = _object(client.get_json(PLANS_PATH, {"limit": 1}), PLANS_PATH, "a plan list")
    _count(data, PLANS_PATH)
