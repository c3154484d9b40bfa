"""HTTP to Perform & Engage 365: the only module of the dashboard that imports `requests`.

`get_json()` makes one GET within a deadline, retries what is worth retrying, and
turns every failure into one of the exceptions in `plans.exceptions`.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import requests
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

# GETs are idempotent, so connection errors and the statuses that mean "try again" are
# retried with exponential backoff, within the call's deadline.
MAX_ATTEMPTS = 3
RETRY_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_SECONDS = 0.2
RETRY_AFTER_CAP_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 3.05

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
    deadline: float,
    budget: float,
) -> Any:
    """GET `url` and return its JSON, retrying within `deadline` (time.monotonic()).

    `path` names the resource in errors and logs; `budget` is the number of seconds the
    deadline stands for, as a person would read it in a timeout message.
    """
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        remaining = max(deadline - time.monotonic(), 0.001)
        wait: float | None
        try:
            with _borrowed_session() as session:
                response = session.get(
                    url,
                    params=params,
                    auth=auth,
                    timeout=(min(CONNECT_TIMEOUT_SECONDS, remaining), remaining),
                    allow_redirects=False,
                )
        except requests.Timeout:
            error: UpstreamError = timeout_error(path, budget)
            wait = None  # the budget is spent
        except requests.ConnectionError:
            error = UpstreamUnavailable(
                f"Perform & Engage 365 could not be reached. {TRY_AGAIN}",
                detail="The connection failed. Check the service status, the network and "
                "PE365_API_URL.",
                path=path,
            )
            wait = BACKOFF_SECONDS * 2 ** (attempt - 1)
        except requests.RequestException as failure:
            error = UpstreamUnavailable(
                f"The request to Perform & Engage 365 failed. {TRY_AGAIN}",
                detail=f"requests raised {type(failure).__name__}.",
                path=path,
            )
            wait = None
        else:
            if response.status_code in RETRY_STATUSES and attempt < MAX_ATTEMPTS:
                wait = retry_delay(response, attempt)
                if time.monotonic() + wait < deadline:
                    time.sleep(wait)
                    continue
            _log(path, response.status_code, started, attempt)
            return _decode(response, path)
        if wait is None or attempt >= MAX_ATTEMPTS or time.monotonic() + wait >= deadline:
            _log(path, type(error).__name__, started, attempt)
            raise error
        time.sleep(wait)


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


def _decode(response: requests.Response, path: str) -> Any:
    """Map the API's answer to data or to the matching exception."""
    status = response.status_code
    answered = f"The API answered HTTP {status} to GET {path}."
    if status == 200:
        try:
            return response.json()
        except ValueError:
            raise MalformedResponse(
                "Perform & Engage 365 sent a reply the dashboard could not read. "
                f"{TRY_AGAIN} {TELL_MAINTAINERS}",
                detail=f"{answered} Its body is not JSON.",
                path=path,
                upstream_status=status,
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
        raise UpstreamThrottled(
            f"Perform & Engage 365 is receiving too many requests right now. {TRY_AGAIN}",
            detail=answered,
            path=path,
            upstream_status=429,
        )
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
