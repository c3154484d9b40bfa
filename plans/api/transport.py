"""HTTP to Perform & Engage 365: the only module of the dashboard that imports `requests`.

`get_json()` makes one GET within a deadline, retries what is worth retrying, and
turns every failure into one of the exceptions in `plans.exceptions`.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import requests
import urllib3
from django.views.decorators.debug import sensitive_variables

from plans.api.budget import RequestBudget
from plans.exceptions import (
    CredentialsRejected,
    MalformedResponse,
    NotFound,
    TooManyCalls,
    UpstreamError,
    UpstreamThrottled,
    UpstreamTimeout,
    UpstreamUnavailable,
)

log = logging.getLogger(__name__)

# GETs are idempotent, so connection errors and the statuses that mean "try again" are
# retried with exponential backoff, within the call's deadline.
MAX_ATTEMPTS = 3
RETRY_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_SECONDS = 0.2
RETRY_AFTER_CAP_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 3.05
# Bodies are read in pieces of at most this many (decoded) bytes.
READ_CHUNK_BYTES = 64 * 1024

TRY_AGAIN = "Try again in a minute."
TELL_MAINTAINERS = "If it keeps happening, tell the dashboard's administrator."


# --- Sessions ----------------------------------------------------------------------
#
# requests does not promise that a Session is thread-safe (requests#2766), so each call
# borrows a session no other thread is using and gives it back afterwards. Sessions
# outlive the threads that borrow them, so a page's worker threads still reuse pooled
# connections.

_idle_sessions: list[requests.Session] = []
_idle_guard = threading.Lock()


def _new_session() -> requests.Session:
    session = requests.Session()
    session.headers.update({"Accept": "application/json", "User-Agent": "pe365-dashboard"})
    return session


@contextmanager
def _borrowed_session() -> Iterator[requests.Session]:
    with _idle_guard:
        session = _idle_sessions.pop() if _idle_sessions else _new_session()
    try:
        yield session
    finally:
        with _idle_guard:
            _idle_sessions.append(session)


# --- One GET ----------------------------------------------------------------------


# Every frame from here down (requests, urllib3) holds the credentials or the
# Authorization header; Django's error reports show them all as "********".
@sensitive_variables()
def get_json(
    url: str,
    *,
    path: str,
    params: dict[str, str | int],
    auth: tuple[str, str],
    budget: RequestBudget,
    max_bytes: int,
) -> Any:
    """GET `url` and return its JSON, retrying within what is left of the request's `budget`.

    `path` names the resource in errors and logs; an answer whose body decodes to more
    than `max_bytes` is refused as malformed.
    """
    started = time.monotonic()
    attempt = 0
    while True:
        pause = budget.pause()
        if pause:
            # Another call of this request was asked to wait: so is this one.
            if pause >= budget.remaining():
                _log(path, "UpstreamThrottled", started, attempt)
                raise throttled_error(path, "The API asked the dashboard to wait (429).")
            time.sleep(pause)
        if budget.remaining() <= 0:
            _log(path, "UpstreamTimeout", started, attempt)
            raise timeout_error(path, budget.seconds)
        try:
            budget.spend_call(path)
        except TooManyCalls:
            _log(path, "TooManyCalls", started, attempt)
            raise
        attempt += 1
        remaining = budget.remaining()
        wait: float | None
        try:
            with _borrowed_session() as session:
                response = session.get(
                    url,
                    params=params,
                    auth=auth,
                    timeout=(min(CONNECT_TIMEOUT_SECONDS, remaining), remaining),
                    allow_redirects=False,
                    stream=True,
                )
                # Closing drops the connection of an answer not read to its end.
                with response:
                    status = response.status_code
                    body = bytearray()
                    if status == 200:
                        body = _read_body(response, path, budget, max_bytes)
        except (requests.Timeout, urllib3.exceptions.TimeoutError):
            error: UpstreamError = timeout_error(path, budget.seconds)
            wait = None  # the budget is spent
        except (requests.ConnectionError, urllib3.exceptions.ProtocolError):
            error = UpstreamUnavailable(
                f"Perform & Engage 365 could not be reached. {TRY_AGAIN}",
                detail="The connection failed. Check the service status, the network and "
                "PE365_API_URL.",
                path=path,
            )
            wait = BACKOFF_SECONDS * 2 ** (attempt - 1)
        except urllib3.exceptions.DecodeError:
            _log(path, "MalformedResponse", started, attempt)
            raise unreadable_error(path, 200, "Its compressed body does not decompress.") from None
        except MalformedResponse:  # too big
            _log(path, "MalformedResponse", started, attempt)
            raise
        except (requests.RequestException, urllib3.exceptions.HTTPError) as failure:
            error = UpstreamUnavailable(
                f"The request to Perform & Engage 365 failed. {TRY_AGAIN}",
                detail=f"requests raised {type(failure).__name__}.",
                path=path,
            )
            wait = None
        else:
            if status == 429:
                budget.hold(retry_delay(response, attempt))
            if status in RETRY_STATUSES and attempt < MAX_ATTEMPTS:
                wait = retry_delay(response, attempt)
                if wait < budget.remaining():
                    if status != 429:  # a 429's pause is taken at the top, by every call
                        time.sleep(wait)
                    continue
            _log(path, status, started, attempt)
            return _decode(status, body, path)
        if wait is None or attempt >= MAX_ATTEMPTS or wait >= budget.remaining():
            _log(path, type(error).__name__, started, attempt)
            raise error
        time.sleep(wait)


def _read_body(
    response: requests.Response, path: str, budget: RequestBudget, max_bytes: int
) -> bytearray:
    """The decoded body, read a piece at a time within the deadline and the size cap.

    Each read waits at most what is left of the budget and returns whatever has
    arrived, so a body that stalls or trickles ends at the deadline; decompression
    happens a piece at a time, so a compressed bomb stops at the cap.
    """
    declared = response.headers.get("Content-Length", "")
    unencoded = not response.headers.get("Content-Encoding")
    if unencoded and declared.isdigit() and int(declared) > max_bytes:
        raise too_big_error(path, max_bytes)
    body = bytearray()
    while True:
        remaining = budget.remaining()
        if remaining <= 0:
            raise requests.Timeout("the request's time budget ran out while reading")
        _limit_next_read(response, remaining)
        piece = response.raw.read1(READ_CHUNK_BYTES, decode_content=True)
        if not piece:
            return body
        body += piece
        if len(body) > max_bytes:
            del body  # freed now, not kept by the error's traceback until a collection
            raise too_big_error(path, max_bytes)


def _limit_next_read(response: requests.Response, seconds: float) -> None:
    """Let the next socket read wait at most `seconds` (the request's timeout set the first)."""
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def too_big_error(path: str, max_bytes: int) -> MalformedResponse:
    return MalformedResponse(
        f"Perform & Engage 365 sent a reply bigger than the dashboard reads. {TELL_MAINTAINERS}",
        detail=f"The answer to GET {path} is over {max_bytes // 2**20} MB once decompressed, "
        "the limit set by PE365_MAX_RESPONSE_MB.",
        path=path,
        upstream_status=200,
    )


def throttled_error(path: str, detail: str) -> UpstreamThrottled:
    return UpstreamThrottled(
        f"Perform & Engage 365 is receiving too many requests right now. {TRY_AGAIN}",
        detail=detail,
        path=path,
        upstream_status=429,
    )


def unreadable_error(path: str, status: int, problem: str) -> MalformedResponse:
    return MalformedResponse(
        "Perform & Engage 365 sent a reply the dashboard could not read. "
        f"{TRY_AGAIN} {TELL_MAINTAINERS}",
        detail=f"The API answered HTTP {status} to GET {path}. {problem}",
        path=path,
        upstream_status=status,
    )


def timeout_error(path: str, budget: float) -> UpstreamTimeout:
    return UpstreamTimeout(
        f"Perform & Engage 365 did not answer within {budget:g} seconds. {TRY_AGAIN}",
        detail="The time allowed by PE365_TIMEOUT ran out.",
        path=path,
    )


def _log(path: str, outcome: int | str, started: float, attempts: int) -> None:
    elapsed_ms = (time.monotonic() - started) * 1000
    level = logging.INFO if outcome == 200 else logging.WARNING
    log.log(
        level, "upstream GET %s -> %s in %.0f ms (%d attempts)", path, outcome, elapsed_ms, attempts
    )


def retry_delay(response: requests.Response, attempt: int) -> float:
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


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:20]} is too large a number")
    return number


def _decode(status: int, body: bytearray, path: str) -> Any:
    """Map the API's answer to data or to the matching exception."""
    answered = f"The API answered HTTP {status} to GET {path}."
    if status == 200:
        try:
            # Strict JSON: NaN, Infinity and numbers beyond a float's range are refused
            # here rather than met later as values no page can show.
            return json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
        except ValueError:
            raise unreadable_error(path, status, "Its body is not JSON.") from None
        except RecursionError:
            raise unreadable_error(
                path, status, "Its body is not JSON the dashboard can read: it nests too deep."
            ) from None
    if status == 404:
        raise NotFound(
            "Perform & Engage 365 has nothing at that address.",
            detail=answered,
            path=path,
            upstream_status=404,
        )
    if status in (401, 403):
        reason = (
            "Check PE365_API_USERNAME and PE365_API_KEY."
            if status == 401
            else "The key lacks read access: set PE365_API_USERNAME and PE365_API_KEY to a "
            "key that may read conversation plans."
        )
        raise CredentialsRejected(
            "Perform & Engage 365 refused the dashboard's access. Ask the dashboard's "
            "administrator to check its API key.",
            detail=f"{answered} {reason}",
            path=path,
            upstream_status=status,
        )
    if status == 429:
        raise throttled_error(path, answered)
    if status >= 500:
        raise UpstreamUnavailable(
            f"Perform & Engage 365 answered with a server error. {TRY_AGAIN}",
            detail=answered,
            path=path,
            upstream_status=status,
        )
    raise UpstreamError(
        f"Perform & Engage 365 refused the dashboard's request. {TELL_MAINTAINERS}",
        detail=answered,
        path=path,
        upstream_status=status,
    )
