"""A stand-in for the Perform & Engage 365 REST API, over real HTTP, standard library only.

It mimics the vendor's Django REST Framework contract: HTTP Basic auth on every ``/api/v2``
path, ``{"detail": ...}`` errors, and LimitOffsetPagination pages ``{count, next, previous,
results}`` (default limit 50, maximum 100) with DRF's exact ``next``/``previous`` URLs.

Endpoints (GET only; other methods get 405):

- ``/api/v2/conversation_plans/``: filters ``name``, ``template_name`` (case-insensitive
  substring, AND-ed); ``/api/v2/conversation_plans/<api_id>/`` adds assigned users/departments.
- ``/api/v2/conversation_templates/``: filters ``name`` (case-insensitive exact),
  ``name_icontains``; ``/api/v2/conversation_templates/<api_id>/``.
- ``/api/v2/conversations/``: filters ``person_name``, ``plan_name``, ``template_name``
  (case-insensitive exact), ``status`` (draft, final, deleted, archived).
- ``/api/v2/users/``: filters ``name``, ``department_name``, ``manager_name``
  (case-insensitive substring, AND-ed; a department matches any of the user's) and
  ``is_active`` (true/false, as django-filter's BooleanFilter reads it: anything else is
  no filter).
- Demo-only, no auth: ``GET /_demo/stats`` and ``POST /_demo/stats/reset``.

Faults
------
Every failure a client must survive can be provoked in one fault language
(:mod:`demo_api.faults`): a fault is ``kind[:argument]``, several are joined by ``~``
(e.g. ``count:9900~slow:0.4``). They are given

- for the whole server: ``DemoServer(fault=...)``, ``python -m demo_api --fault ...`` or,
  for ``make run``, ``PE365_DEMO_FAULT=...``: they apply to every ``/api/v2`` answer;
- for one request, by a magic value ``!fault:<faults>`` given as the ``name`` filter of the
  plans list or the users list, the ``plan_name`` or ``person_name`` filter of
  conversations, or the ``<api_id>`` of a plan or template detail URL. The answer is then
  made up (three plans named after the magic value, one plan, its template, two draft and
  three completed conversations), shaped by the data kinds below.

Authentication is checked first, except that a server-wide ``401``/``403`` replaces it. A
magic value with an unknown kind or a bad argument is just an ordinary value (so a list
filter matches nothing and a detail is 404); an unknown server-wide fault raises ValueError.

=======================  ===================================================================
kind                     what the client gets
=======================  ===================================================================
``slow[:s]``             the answer after a pause (default 15 s), to trip read timeouts
``500``, ``502``,        that status with ``{"detail": ...}`` (``503`` says "try again later")
``503``, ``504``
``429[:s]``              429 throttled, ``Retry-After: <s>`` (default 1, rounded up);
                         ``429once[:s]``: only the first time for that magic value
``401``, ``403``         refused credentials (401 with the Basic challenge), or permission
``close``                the connection is closed without any response
``html``                 200 ``text/html`` maintenance page
``malformed``            200 ``application/json`` whose body is truncated, invalid JSON
``wrong-shape``          200 valid JSON of the wrong shape: lists get ``"results": "oops"``,
                         details the array ``["unexpected"]``
``trickle[:s]``          the headers, then the body one byte every s seconds (default 0.3)
``trickle-status[:s]``   the status line one byte every s seconds, then the rest
``trickle-headers[:s]``  the status line, then the headers one byte every s seconds
``stall``                the headers (and a Content-Length), then nothing
``huge[:mb]``            a valid answer of that many MB (a very long plan name), unannounced
``gzip-bomb``            ``Content-Encoding: gzip``, about 1 MB inflating to 1 GB
``nested[:depth]``       ``results`` nested that many lists deep (default 100,000)
``many-objects[:n]``     ``{"count": 1, "results": [{}, {}, …]}`` with n objects (10 million:
                         about 30 MB); ``many-lists[:n]``: ``[[], [], …]``
``nan``, ``inf``,        a ``count`` of NaN, of 1e999, of 5,000 digits
``bigint``
``surrogate``, ``nul``   every name ends in the JSON escape ``\\ud800`` (a lone surrogate), or
                         ``\\u0000``
``count:<n>``            made-up lists claim n objects (``10^400`` is read as a power) and
                         serve the pages asked for, up to 100 objects each
``finals:<n>``           the made-up plan has n completed conversations (default 3)
``date:<iso>``           every made-up date (template dates, completion dates) is that text
``wrong-types``          a number where text belongs, text where a list or a flag belongs
``panels``               (first, in a plan id) the plan is ordinary, but its name and its
                         template's id are the magic value without ``panels``, so the plan
                         page's side panels meet the other faults
=======================  ===================================================================
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit, urlunsplit

from . import data
from .faults import FAULT_KINDS, INVALID_CREDENTIALS, Faults, made_up, magic, parse_fault, respond

__all__ = ["FAULT_KINDS", "DemoServer", "parse_fault", "start_demo_server"]

DEMO_USERNAME = "demo"
DEMO_API_KEY = "demo-key"
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
API_PREFIX = "/api/v2/"
CONVERSATION_STATUSES = ("draft", "final", "deleted", "archived")

NOT_PROVIDED = "Authentication credentials were not provided."
Params = dict[str, list[str]]


def _positive_int(text: str, *, strict: bool = False, cutoff: int | None = None) -> int:
    # DRF's rest_framework.pagination._positive_int.
    number = int(text)
    if number < 0 or (number == 0 and strict):
        raise ValueError(text)
    return min(number, cutoff) if cutoff else number


def _replace_query_param(url: str, key: str, value: object) -> str:
    # DRF's rest_framework.utils.urls.replace_query_param: the query comes back sorted and
    # re-encoded (spaces as "+").
    scheme, netloc, path, query, fragment = urlsplit(url)
    query_dict = parse_qs(query, keep_blank_values=True)
    query_dict[key] = [str(value)]
    query = urlencode(sorted(query_dict.items()), doseq=True)
    return urlunsplit((scheme, netloc, path, query, fragment))


def _remove_query_param(url: str, key: str) -> str:
    # DRF's rest_framework.utils.urls.remove_query_param.
    scheme, netloc, path, query, fragment = urlsplit(url)
    query_dict = parse_qs(query, keep_blank_values=True)
    query_dict.pop(key, None)
    query = urlencode(sorted(query_dict.items()), doseq=True)
    return urlunsplit((scheme, netloc, path, query, fragment))


def paginate(items: list[Any], params: Params, request_url: str) -> dict[str, Any]:
    """A DRF LimitOffsetPagination page of ``items`` for the absolute ``request_url``."""
    try:
        limit = _positive_int(params["limit"][-1], strict=True, cutoff=MAX_LIMIT)
    except (KeyError, ValueError):
        limit = DEFAULT_LIMIT
    try:
        offset = _positive_int(params["offset"][-1])
    except (KeyError, ValueError):
        offset = 0
    count = len(items)

    next_url = None
    if offset + limit < count:
        next_url = _replace_query_param(request_url, "limit", limit)
        next_url = _replace_query_param(next_url, "offset", offset + limit)
    previous_url = None
    if offset > 0:
        previous_url = _replace_query_param(request_url, "limit", limit)
        if offset - limit <= 0:
            previous_url = _remove_query_param(previous_url, "offset")
        else:
            previous_url = _replace_query_param(previous_url, "offset", offset - limit)
    return {
        "count": count,
        "next": next_url,
        "previous": previous_url,
        "results": items[offset : offset + limit],
    }


def _param(params: Params, key: str) -> str:
    # Like Django's QueryDict: the last value wins; an empty filter is no filter.
    return params.get(key, [""])[-1]


class DemoServer:
    """The HTTP server plus its settings and request statistics.

    Use :func:`start_demo_server` to run it in a background thread, or :meth:`serve_forever`
    to block (the CLI does).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        username: str = DEMO_USERNAME,
        api_key: str = DEMO_API_KEY,
        latency_ms: float = 0,
        fault: str | None = None,
        plans: int | None = None,
    ) -> None:
        self.fault: Faults | None = parse_fault(fault)
        if fault and self.fault is None:
            raise ValueError(f"unknown fault {fault!r}; kinds: {', '.join(sorted(FAULT_KINDS))}")
        self.username = username
        self.api_key = api_key
        self.latency = latency_ms / 1000
        self._stats_lock = threading.Lock()
        self._requests = 0
        self._by_path: dict[str, int] = {}
        self.throttled_once: set[str] = set()
        self._thread: threading.Thread | None = None
        self.httpd = _HTTPServer((host, port), self)
        if plans is not None:
            data.use_plan_count(plans)
        data.dataset()  # generate now, so that no client request pays for it

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def serve_forever(self) -> None:
        # shutdown() waits for the loop to poll its flag: a short interval keeps stop() quick.
        self.httpd.serve_forever(poll_interval=0.05)

    def start(self) -> DemoServer:
        self._thread = threading.Thread(
            target=self.serve_forever, name="pe365-demo-api", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join()
            self._thread = None
        self.httpd.server_close()

    def count_request(self, path: str) -> None:
        with self._stats_lock:
            self._requests += 1
            self._by_path[path] = self._by_path.get(path, 0) + 1

    def stats(self) -> dict[str, Any]:
        with self._stats_lock:
            return {"requests": self._requests, "by_path": dict(self._by_path)}

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._requests = 0
            self._by_path.clear()
            self.throttled_once.clear()


def start_demo_server(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    username: str = DEMO_USERNAME,
    api_key: str = DEMO_API_KEY,
    latency_ms: float = 0,
    fault: str | None = None,
) -> DemoServer:
    """Start a demo server in a daemon thread; it is listening when this returns.

    ``port=0`` picks a free port: read the actual root URL from ``server.url``.
    """
    server = DemoServer(
        host, port, username=username, api_key=api_key, latency_ms=latency_ms, fault=fault
    )
    return server.start()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a hung or idle keep-alive client must never block shutdown

    def __init__(self, address: tuple[str, int], demo: DemoServer) -> None:
        self.demo = demo  # how handlers reach the settings and statistics
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, so every response must carry Content-Length.
    protocol_version = "HTTP/1.1"
    server_version = "PE365Demo/1.0"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK add ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    server: _HTTPServer

    @property
    def demo(self) -> DemoServer:
        return self.server.demo

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the Django side logs its API calls itself."""

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    # -- responses ---------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        try:
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except ConnectionError:  # the client gave up (e.g. its timeout fired during "slow")
            self.close_connection = True

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode(), headers=headers)

    def _detail(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        self._json(status, {"detail": detail}, headers)

    def _unauthorized(self, detail: str) -> None:
        self._detail(401, detail, {"WWW-Authenticate": 'Basic realm="api"'})

    # -- request handling --------------------------------------------------------------------

    def _handle(self) -> None:
        # Drain any request body, or its bytes would be read as the next keep-alive request.
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if "Transfer-Encoding" in self.headers:
            self.close_connection = True  # chunked bodies are not parsed: just hang up after

        split = urlsplit(self.path)
        # Decode each segment on its own, so an encoded "/" inside an ID stays in its segment.
        segments = [unquote(s) for s in split.path.split("/")]
        path = "/".join(segments)
        params = parse_qs(split.query, keep_blank_values=True)

        if path == "/_demo/stats":
            self._control("GET", lambda: None)
        elif path == "/_demo/stats/reset":
            self._control("POST", self.demo.reset_stats)
        elif path.startswith(API_PREFIX):
            self.demo.count_request(path)
            time.sleep(self.demo.latency)
            self._api(segments[3:], params)
        else:
            self._detail(404, "Not found.")

    def _control(self, method: str, action: Callable[[], None]) -> None:
        if self.command != method:
            self._detail(405, f'Method "{self.command}" not allowed.', {"Allow": method})
            return
        action()
        self._json(200, self.demo.stats())

    def _api(self, segments: list[str], params: Params) -> None:
        server_faults = self.demo.fault
        if server_faults and ("401" in server_faults or "403" in server_faults):
            self._misbehave(server_faults, "", lambda: (200, None))
            return
        auth_error = self._auth_error()
        if auth_error:
            self._unauthorized(auth_error)
            return

        # ["conversation_plans", ""] is a list, ["conversation_plans", "<api_id>", ""] a detail.
        if len(segments) == 2 and segments[1] == "":
            resource, api_id = segments[0], None
        elif len(segments) == 3 and segments[1] and segments[2] == "":
            resource, api_id = segments[0], segments[1]
        else:
            self._detail(404, "Not found.")
            return
        if resource not in (LIST_VIEWS if api_id is None else DETAIL_VIEWS):
            self._detail(404, "Not found.")
            return
        if self.command not in ("GET", "HEAD"):
            self._detail(405, f'Method "{self.command}" not allowed.', {"Allow": "GET, HEAD"})
            return

        magic_value = {
            "conversation_plans": _param(params, "name") if api_id is None else api_id,
            "conversation_templates": api_id,
            "conversations": _param(params, "plan_name") or _param(params, "person_name"),
            "users": _param(params, "name"),
        }[resource]
        if magic_value and (request_faults := magic(magic_value)):
            route = {
                "conversation_plans": "plans" if api_id is None else "plan",
                "conversation_templates": "template",
                "conversations": "conversations",
                "users": "users",
            }[resource]
            query = {key: values[-1] for key, values in params.items()}
            payload = made_up(route, magic_value, query, request_faults)
            if route == "plan" and "panels" in request_faults:
                self._json(200, payload)  # an ordinary plan: its parts carry the faults
            else:
                self._misbehave(request_faults, magic_value, lambda: (200, payload))
        elif server_faults:
            self._misbehave(server_faults, "", lambda: self._answer(resource, api_id, params))
        else:
            self._json(*self._answer(resource, api_id, params))

    def _misbehave(
        self, faults: Faults, once_key: str, answer: Callable[[], tuple[int, Any]]
    ) -> None:
        # The client giving up on an answer (as it should) closes the connection.
        with suppress(ConnectionError):
            respond(
                self, faults, answer, once_key=once_key, throttled_once=self.demo.throttled_once
            )

    def _answer(self, resource: str, api_id: str | None, params: Params) -> tuple[int, Any]:
        if api_id is not None:
            obj = DETAIL_VIEWS[resource](api_id)
            return (404, {"detail": "Not found."}) if obj is None else (200, obj)
        status = _param(params, "status")
        if resource == "conversations" and status and status not in CONVERSATION_STATUSES:
            # django-filter's ChoiceFilter rejects unknown choices with a 400 per field.
            error = f"Select a valid choice. {status} is not one of the available choices."
            return 400, {"status": [error]}
        return 200, paginate(LIST_VIEWS[resource](params), params, self._absolute_url())

    def _auth_error(self) -> str | None:
        """None when the Basic credentials match, else the DRF error message."""
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return NOT_PROVIDED
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return INVALID_CREDENTIALS
        username, _, api_key = decoded.partition(":")
        # Compare both halves every time (no short-circuit) in constant time.
        user_ok = hmac.compare_digest(username.encode(), self.demo.username.encode())
        key_ok = hmac.compare_digest(api_key.encode(), self.demo.api_key.encode())
        return None if user_ok and key_ok else INVALID_CREDENTIALS

    def _absolute_url(self) -> str:
        # Like Django's request.build_absolute_uri(): the Host the client asked for.
        host = self.headers.get("Host") or self.demo.url.removeprefix("http://")
        return f"http://{host}{self.path}"


# -- views: filter the data set like the vendor's django-filter FilterSets ----------------------


def _list_plans(params: Params) -> list[dict[str, Any]]:
    name = _param(params, "name").casefold()
    template = _param(params, "template_name").casefold()
    # Made once, not per call: a demo of 20,000 plans must answer like a real API.
    items = data.plan_items()
    if not (name or template):
        return items
    return [
        plan
        for plan in items
        if name in plan["name"].casefold() and template in plan["template_name"].casefold()
    ]


def _list_templates(params: Params) -> list[dict[str, Any]]:
    name = _param(params, "name").casefold()
    contains = _param(params, "name_icontains").casefold()
    return [
        template
        for template in data.templates()
        if name in ("", template["name"].casefold()) and contains in template["name"].casefold()
    ]


# django-filter's BooleanFilter (NullBooleanSelect): these spellings, anything else is no filter.
_BOOLEANS = {"true": True, "True": True, "1": True, "false": False, "False": False, "0": False}


def _list_users(params: Params) -> list[dict[str, Any]]:
    name = _param(params, "name").casefold()
    department = _param(params, "department_name").casefold()
    manager = _param(params, "manager_name").casefold()
    active = _BOOLEANS.get(_param(params, "is_active"))
    return [
        person
        for person in data.people()
        if name in person["name"].casefold()
        and (
            not department or any(department in d["name"].casefold() for d in person["departments"])
        )
        and (not manager or (person["manager"] and manager in person["manager"]["name"].casefold()))
        and active in (None, person["is_active"])
    ]


def _list_conversations(params: Params) -> list[dict[str, Any]]:
    filters = {
        key: _param(params, key).casefold()
        for key in ("person_name", "plan_name", "template_name", "status")
        if _param(params, key)
    }
    # A plan or person name is looked up in an index made with the data set, so a page of
    # a plan's conversations costs a lookup and a slice, not a scan of every conversation.
    candidates = data.conversations()
    for key in ("plan_name", "person_name"):
        if key in filters:
            candidates = data.conversations_named(key, filters.pop(key))
            break
    if not filters:
        return candidates
    return [
        conversation
        for conversation in candidates
        if all(conversation[key].casefold() == value for key, value in filters.items())
    ]


LIST_VIEWS: dict[str, Callable[[Params], list[dict[str, Any]]]] = {
    "conversation_plans": _list_plans,
    "conversation_templates": _list_templates,
    "conversations": _list_conversations,
    "users": _list_users,
}
DETAIL_VIEWS: dict[str, Callable[[str], dict[str, Any] | None]] = {
    "conversation_plans": data.plan_by_id,
    "conversation_templates": data.template_by_id,
}
