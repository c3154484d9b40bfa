"""HTTP to Perform & Engage 365: the only module of the dashboard that imports `requests`.

`get_json()` makes one GET and returns its JSON or raises one of `plans.exceptions`.
requests does the HTTP, on one Session per thread (requests does not promise a Session
is thread-safe); urllib3's `Retry` on its adapter retries connection errors and
429/502/503/504 with backoff, honouring Retry-After up to RETRY_AFTER_MAX seconds.
What the dashboard adds:

- one deadline for the whole GET, retries included: a watchdog shuts the connection's
  socket at the deadline, whatever it is waiting for (socket timeouts bound each read,
  not their sum, so an upstream trickling its headers a byte at a time outlasts them),
  and `Retry` gives up when its next wait would end past the deadline;
- the size cap: the body is read in pieces and refused once, decompressed, it passes
  `max_bytes`;
- strict JSON whose number of values is bounded by the size cap, so a worker's memory
  follows the answer's size, not its shape (ten million `{}` weigh twenty times their bytes).
"""

from __future__ import annotations

import json
import logging
import math
import socket
import threading
from contextlib import suppress
from contextvars import ContextVar
from typing import Any

import requests
import urllib3
from django.views.decorators.debug import sensitive_variables
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import InvalidHeader, MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from plans.api import clock
from plans.exceptions import (
    CredentialsRejected,
    MalformedResponse,
    NotFound,
    ResponseTooBig,
    UpstreamError,
    UpstreamThrottled,
    UpstreamTimeout,
    UpstreamUnavailable,
    UpstreamUnreachable,
)

log = logging.getLogger(__name__)

RETRY_AFTER_MAX = 5
READ_CHUNK_BYTES = 64 * 1024
# Decoded JSON takes up to about 70 bytes a value: one value per this many bytes of the
# size cap keeps the decoded answer within a few times the cap.
BYTES_PER_VALUE = 32


# --- The deadline ------------------------------------------------------------------------


class _Call:
    """One GET under way: its deadline, and a watchdog that shuts its socket at it."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self._socket: socket.socket | None = None
        self._guard = threading.Lock()
        self._timer = threading.Timer(max(self.remaining(), 0.0), self._expire)
        self._timer.daemon = True

    def remaining(self) -> float:
        return self.deadline - clock.monotonic()

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down at the deadline. A duplicate is kept: shutting it down ends the
        connection whatever wraps the socket (TLS), from the handshake on."""
        with self._guard:
            self._forget()
            self._socket = socket.fromfd(sock.fileno(), sock.family, sock.type)
            if self.expired:
                self._shut()

    def _expire(self) -> None:
        with self._guard:
            self.expired = True
            self._shut()

    def _shut(self) -> None:
        if self._socket is not None:
            with suppress(OSError):  # already closed by the other end
                self._socket.shutdown(socket.SHUT_RDWR)

    def _forget(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> _Call:
        self._token = _current.set(self)
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._guard:
            self._forget()
        _current.reset(self._token)


# The GET under way in this thread, for the connections and the Retry it uses.
_current: ContextVar[_Call | None] = ContextVar("pe365_call", default=None)


def _watch(sock: socket.socket) -> None:
    call = _current.get()
    if call is not None:
        call.watch(sock)


class _WatchedHTTPConnection(HTTPConnection):
    """A connection whose socket the GET under way watches: a new one from the moment it
    is connected, a reused one from the moment it sends the request."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None:
            _watch(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class _Retry(Retry):
    """urllib3's Retry, giving up when its next wait would end past the GET's deadline."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> _Retry:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        call = _current.get()
        if call is not None and _wait(retry, response) >= call.remaining():
            # A response given up on is returned as it is (raise_on_status=False).
            raise MaxRetryError(_pool, url or "", error or ResponseError("out of time"))
        return retry


def _wait(retry: Retry, response: Any) -> float:
    """What `retry.sleep(response)` would sleep."""
    if response is not None:
        try:
            if after := retry.get_retry_after(response):
                return after
        except InvalidHeader:
            pass
    return retry.get_backoff_time()


RETRY = _Retry(
    total=3,
    backoff_factor=0.2,
    backoff_max=2,
    status_forcelist=(429, 502, 503, 504),
    allowed_methods={"GET"},
    respect_retry_after_header=True,
    retry_after_max=RETRY_AFTER_MAX,
    raise_on_status=False,
)

_sessions = threading.local()


def _session() -> requests.Session:
    session: requests.Session | None = getattr(_sessions, "session", None)
    if session is None:
        session = requests.Session()
        session.headers.update({"Accept": "application/json", "User-Agent": "pe365-dashboard"})
        adapter = _Adapter(max_retries=RETRY)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _sessions.session = session
    return session


# --- One GET ------------------------------------------------------------------------------


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
    seconds: float,
    max_bytes: int,
    what: str = "object",
) -> Any:
    """GET `url` and return its JSON, all of it by `deadline` (clock.monotonic()).

    `path` names the resource in errors and logs, `what` the object a 404 says is missing
    and `seconds` the budget a timeout names; an answer over `max_bytes` is refused.
    """
    started = clock.monotonic()
    status = 0
    outcome: int | str = "-"
    try:
        with _Call(deadline) as call:
            if call.remaining() <= 0:
                raise UpstreamTimeout(seconds=seconds, path=path)
            try:
                response = _session().get(
                    url,
                    params=params,
                    auth=auth,
                    timeout=(call.remaining(), call.remaining()),
                    allow_redirects=False,
                    stream=True,
                )
                with response:
                    status = outcome = response.status_code
                    body = _read(response, path, max_bytes) if status == 200 else bytearray()
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
                if isinstance(error, requests.Timeout) or call.expired or call.remaining() <= 0:
                    raise UpstreamTimeout(seconds=seconds, path=path) from None
                if isinstance(error, requests.exceptions.ContentDecodingError):
                    raise MalformedResponse(path=path, problem="does not decompress") from None
                raise UpstreamUnreachable(path=path) from None
            if call.expired:  # a body that ends with its connection looks whole when cut
                raise UpstreamTimeout(seconds=seconds, path=path)
        data = _decode(status, body, path, what)
        if clock.monotonic() > deadline:  # decoding counts against the budget too
            raise UpstreamTimeout(seconds=seconds, path=path)
    except UpstreamError as error:
        if not isinstance(outcome, int) or isinstance(error, UpstreamTimeout | ResponseTooBig):
            outcome = type(error).__name__
        _log(path, outcome, started)
        raise
    _log(path, outcome, started)
    return data


def _read(response: requests.Response, path: str, max_bytes: int) -> bytearray:
    """The body, decompressed a piece at a time, refused once past `max_bytes` or once it
    holds more than one JSON value per BYTES_PER_VALUE bytes of `max_bytes`."""
    declared = response.headers.get("Content-Length", "")
    encoded = response.headers.get("Content-Encoding")
    if not encoded and declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooBig(path=path, max_bytes=max_bytes)
    max_values = max_bytes // BYTES_PER_VALUE
    body, values = bytearray(), 0
    for piece in response.iter_content(READ_CHUNK_BYTES):
        body += piece
        if len(body) > max_bytes:
            raise ResponseTooBig(path=path, max_bytes=max_bytes)
        # Every value but the first follows a comma or opens a container (those inside
        # strings count too: the bound errs on the safe side).
        values += piece.count(b",") + piece.count(b"[") + piece.count(b"{")
        if values > max_values:
            problem = f"holds more values than the dashboard reads at once ({max_values:,})"
            raise MalformedResponse(path=path, problem=problem)
    return body


def _log(path: str, outcome: int | str, started: float) -> None:
    elapsed_ms = (clock.monotonic() - started) * 1000
    level = logging.INFO if outcome == 200 else logging.WARNING
    log.log(level, "upstream GET %s -> %s in %.0f ms", path, outcome, elapsed_ms)


def _decode(status: int, body: bytearray, path: str, what: str) -> Any:
    """The answer's JSON, or the exception its status means."""
    if status == 200:
        return _parse(body, path)
    if status == 404:
        raise NotFound(what, path=path, upstream_status=404)
    if status in (401, 403):
        raise CredentialsRejected(path=path, upstream_status=status)
    if status == 429:
        raise UpstreamThrottled(path=path)
    if status >= 500:
        raise UpstreamUnavailable(path=path, upstream_status=status)
    raise UpstreamError(path=path, upstream_status=status)


def _parse(body: bytearray, path: str) -> Any:
    """Strict JSON: NaN, Infinity and numbers beyond a float's range are refused, rather
    than met later as values no page can show."""
    try:
        return json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except ValueError:
        raise MalformedResponse(path=path, problem="is not JSON") from None
    except RecursionError:
        raise MalformedResponse(
            path=path, problem="is not JSON the dashboard can read: it nests too deep"
        ) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:20]} is too large a number")
    return number
