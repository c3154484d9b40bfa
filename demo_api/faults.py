"""How the demo API misbehaves on purpose: one fault language for the whole server and
for one request (see :mod:`demo_api.server` for where a fault is given).

A fault is ``kind[:argument]``; several are joined by ``~``, e.g. ``count:9900~slow:0.4``.
"""

from __future__ import annotations

import json
import math
import select
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

Faults = dict[str, str]  # kind -> argument ("" when none)

MARKER = "!fault:"
# Kinds that take a number, and what it is when none is given.
NUMBERS = {
    "slow": 15.0,  # seconds before the answer
    "429": 1.0,  # Retry-After seconds
    "429once": 1.0,
    "trickle": 0.3,  # seconds between bytes
    "trickle-status": 0.3,
    "trickle-headers": 0.3,
    "huge": 200.0,  # MB
    "nested": 100_000.0,  # lists deep
    "many-objects": 10_000_000.0,  # objects
    "many-lists": 10_000_000.0,
    "finals": 3.0,  # completed conversations
}
FAULT_KINDS = frozenset(
    {*NUMBERS, "500", "502", "503", "504", "401", "403"}
    | {"malformed", "wrong-shape", "html", "close", "stall", "gzip-bomb"}
    | {"nan", "inf", "bigint", "wrong-types", "surrogate", "nul", "count", "date", "panels"}
)
STALL_SECONDS = 120.0
BOMB_INFLATED_BYTES = 2**30

INVALID_CREDENTIALS = "Invalid username/password."
FORBIDDEN = "You do not have permission to perform this action."
SERVER_ERROR = "A server error occurred."
UNAVAILABLE = "Service temporarily unavailable, try again later."
MAINTENANCE_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Scheduled maintenance</title></head>\n"
    "<body><h1>We'll be back soon</h1><p>Perform &amp; Engage 365 is being upgraded.</p>"
    "</body></html>\n"
)


def parse_fault(text: str | None) -> Faults | None:
    """``"count:10~slow:0.3"`` -> ``{"count": "10", "slow": "0.3"}``; None unless every
    part is a known kind with a usable argument."""
    if not text:
        return None
    faults: Faults = {}
    for part in text.split("~"):
        kind, _, argument = part.partition(":")
        if kind not in FAULT_KINDS:
            return None
        if argument and kind in NUMBERS:
            try:
                number = float(argument)
            except ValueError:
                return None
            if not 0 <= number < math.inf:  # time.sleep() refuses negative, NaN and infinity
                return None
        if kind == "count" and _count(argument) is None:
            return None
        faults[kind] = argument
    return faults


def magic(value: str | None) -> Faults | None:
    """The faults a magic value ``!fault:<faults>`` asks for, if `value` is one."""
    if value and value.startswith(MARKER):
        return parse_fault(value.removeprefix(MARKER))
    return None


def _number(faults: Faults, kind: str) -> float:
    return float(faults[kind] or NUMBERS[kind])


def _count(text: str) -> int | None:
    """``"250"`` or ``"10^400"`` (read as a power)."""
    base, caret, power = text.partition("^")
    try:
        return int(base) ** int(power) if caret else int(text)
    except ValueError:
        return None


# --- Made-up answers for a request that carries faults ---------------------------------------


def made_up(route: str, key: str, query: dict[str, str], faults: Faults) -> Any:
    """What an honest API would answer to a request whose magic value is `key`, with the
    data the faults ask for: ``count`` objects in a list, ``finals`` completed
    conversations besides 2 drafts, every date ``date``, ``wrong-types``.

    A plan whose faults include ``panels`` is itself ordinary, but is named, and uses a
    template whose id is, the magic value without ``panels``: the plan page's side panels
    (its template, its conversations) meet the other faults.
    """
    limit = min(int(query.get("limit") or 100), 100)
    offset = int(query.get("offset") or 0)
    date = faults.get("date") or "2026-03-02T10:00:00Z"
    wrong = "wrong-types" in faults

    def page(count: int, make: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
        stop = min(offset + limit, count)
        results = [make(n) for n in range(offset, max(stop, offset))]
        return {"count": count, "next": None, "previous": None, "results": results}

    def plan(api_id: str, name: str) -> dict[str, Any]:
        return {
            "api_id": api_id,
            "name": 5 if wrong and route == "plans" else name,
            "template_name": "Engagement Survey",
            "template_api_id": name,
            "status": "active",
            "frequency": "Every 4 weeks",
        }

    count = _count(faults.get("count", "")) if "count" in faults else None
    if route == "plans":
        return page(3 if count is None else count, lambda n: plan(f"580:{n}", key))
    if route == "plan":
        rest = "~".join(f"{k}:{v}" if v else k for k, v in faults.items() if k != "panels")
        detail = plan(key, MARKER + rest if "panels" in faults else key)
        ordinary = "panels" in faults or not wrong
        detail["assigned_users"] = (
            [{"api_id": "582:1", "name": "Ada Lovelace", "email": "ada@example.com"}]
            if ordinary
            else "everyone"
        )
        detail["assigned_departments"] = [{"api_id": "D1", "name": "Research"}]
        return detail
    if route == "template":
        return {
            "api_id": key,
            "name": "Engagement Survey",
            "active": "yes" if wrong else True,
            "draft": False,
            "deleted": False,
            "created_date": date,
            "updated_date": date,
        }
    if route == "users":
        return page(1 if count is None else count, lambda n: {"api_id": f"582:{n}", "name": key})
    # Conversations of the plan whose id is this magic value with ``panels`` added.
    drafts = 2
    finals = int(_number(faults, "finals")) if "finals" in faults else 3
    plan_id = MARKER + "panels~" + key.removeprefix(MARKER)

    def conversation(n: int) -> dict[str, Any]:
        final = n >= drafts
        return {
            "api_id": f"C{n}",
            "plan_name": key,
            "plan_api_id": plan_id,
            "status": "final" if final else "draft",
            "completed_date": date if final else None,
            "person_api_id": f"582:{n}",
            "person_name": 5 if wrong else f"Person {n}",
        }

    return page(drafts + finals if count is None else count, conversation)


def _poisoned(payload: Any, text: str) -> Any:
    """`payload` with `text` added to every name in it."""
    if isinstance(payload, list):
        return [_poisoned(item, text) for item in payload]
    if isinstance(payload, dict):
        return {
            key: value + text
            if isinstance(value, str) and key.endswith("name")
            else _poisoned(value, text)
            for key, value in payload.items()
        }
    return payload


# --- Sending ------------------------------------------------------------------------------------


def respond(
    handler: BaseHTTPRequestHandler,
    faults: Faults,
    answer: Callable[[], tuple[int, Any]],
    *,
    once_key: str,
    throttled_once: set[str],
) -> None:
    """Answer as `faults` say; `answer()` is the (status, payload) they let through."""
    if "slow" in faults:
        time.sleep(_number(faults, "slow"))
    first_time = once_key not in throttled_once
    throttled_once.add(once_key)
    if "429" in faults or ("429once" in faults and first_time):
        wait = math.ceil(_number(faults, "429" if "429" in faults else "429once"))
        unit = "second" if wait == 1 else "seconds"
        detail = f"Request was throttled. Expected available in {wait} {unit}."
        _send(handler, 429, _detail(detail), {"Retry-After": str(wait)})
        return
    statuses = {"401": INVALID_CREDENTIALS, "403": FORBIDDEN, "503": UNAVAILABLE}
    statuses |= {"500": SERVER_ERROR, "502": SERVER_ERROR, "504": SERVER_ERROR}
    for kind, text in statuses.items():
        if kind in faults:
            challenge = {"WWW-Authenticate": 'Basic realm="api"'} if kind == "401" else {}
            _send(handler, int(kind), _detail(text), challenge)
            return
    if "close" in faults:
        handler.close_connection = True  # the handler returns without writing a byte
        return
    if "html" in faults:
        _send(handler, 200, MAINTENANCE_PAGE.encode(), content_type="text/html; charset=utf-8")
        return
    if "huge" in faults:
        _send_huge(handler, int(_number(faults, "huge") * 2**20))
        return
    if "gzip-bomb" in faults:
        _send_gzip_bomb(handler)
        return
    status, body = _body(faults, answer)
    if status != 200:
        _send(handler, status, body)
    elif "trickle-status" in faults or "trickle-headers" in faults:
        _send_head_trickled(handler, body, faults)
    elif "trickle" in faults:
        _send_headers(handler, 200, len(body))
        _trickle(handler, body, _number(faults, "trickle"))
    elif "stall" in faults:
        _send_headers(handler, 200, len(body))
        # Hold the connection until the client closes it (it becomes readable).
        select.select([handler.connection], [], [], STALL_SECONDS)
        handler.close_connection = True
    else:
        _send(handler, 200, body)


def _detail(text: str) -> bytes:
    return json.dumps({"detail": text}).encode()


def _body(faults: Faults, answer: Callable[[], tuple[int, Any]]) -> tuple[int, bytes]:
    if "malformed" in faults:
        return 200, b'{"count": 3, "results": ['
    if "nested" in faults:
        depth = int(_number(faults, "nested"))
        return 200, b'{"count": 1, "results": ' + b"[" * depth + b"]" * depth + b"}"
    if "nan" in faults:
        return 200, b'{"count": NaN, "results": []}'
    if "inf" in faults:
        return 200, b'{"count": 1e999, "results": []}'
    if "bigint" in faults:
        return 200, b'{"count": 1' + b"0" * 5000 + b', "results": []}'
    for kind, item in (("many-objects", b"{},"), ("many-lists", b"[],")):
        if kind in faults:
            items = item * int(_number(faults, kind))
            return 200, b'{"count": 1, "results": [' + items[:-1] + b"]}"
    status, payload = answer()
    if status == 200 and "wrong-shape" in faults:
        if isinstance(payload, dict) and "results" in payload:
            return 200, json.dumps({**payload, "results": "oops"}).encode()
        return 200, b'["unexpected"]'
    # Sent as JSON escapes: \ud800 is a lone surrogate, which no UTF-8 can carry.
    for kind, text in (("surrogate", "\ud800"), ("nul", "\x00")):
        if kind in faults:
            payload = _poisoned(payload, text)
    return status, json.dumps(payload).encode()


def _send_headers(
    handler: BaseHTTPRequestHandler,
    status: int,
    length: int | None,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    if length is None:  # the body ends when the connection does
        handler.send_header("Connection", "close")
        handler.close_connection = True
    else:
        handler.send_header("Content-Length", str(length))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.flush()


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> None:
    _send_headers(handler, status, len(body), headers, content_type)
    if handler.command != "HEAD":
        handler.wfile.write(body)


def _trickle(handler: BaseHTTPRequestHandler, data: bytes, pause: float) -> None:
    for offset in range(len(data)):
        handler.wfile.write(data[offset : offset + 1])
        handler.wfile.flush()
        time.sleep(pause)


def _send_head_trickled(handler: BaseHTTPRequestHandler, body: bytes, faults: Faults) -> None:
    """The status line (``trickle-status``) or the headers (``trickle-headers``) one byte
    at a time, then the body at once."""
    status_line = f"{handler.protocol_version} 200 OK\r\n".encode()
    headers = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    if "trickle-status" in faults:
        _trickle(handler, status_line, _number(faults, "trickle-status"))
    else:
        handler.wfile.write(status_line)
    if "trickle-headers" in faults:
        _trickle(handler, headers, _number(faults, "trickle-headers"))
    else:
        handler.wfile.write(headers)
    handler.wfile.write(body)


def _send_huge(handler: BaseHTTPRequestHandler, size: int) -> None:
    """A valid answer of `size` bytes (one very long plan name), its size unannounced."""
    head = b'{"count": 1, "results": [{"api_id": "580:huge", "name": "'
    tail = b'"}]}'
    filler = size - len(head) - len(tail)
    _send_headers(handler, 200, None)
    handler.wfile.write(head)
    block = b"x" * 2**20
    while filler > 0:
        handler.wfile.write(block[: min(filler, len(block))])
        filler -= len(block)
    handler.wfile.write(tail)


def _send_gzip_bomb(handler: BaseHTTPRequestHandler) -> None:
    """About 1 MB of gzip inflating to BOMB_INFLATED_BYTES, made as it is sent."""
    _send_headers(handler, 200, None, {"Content-Encoding": "gzip"})
    gzip = zlib.compressobj(9, zlib.DEFLATED, 31)
    handler.wfile.write(gzip.compress(b'{"count": 1, "results": ['))
    spaces = b" " * 2**20
    for _ in range(BOMB_INFLATED_BYTES // len(spaces)):
        if compressed := gzip.compress(spaces):
            handler.wfile.write(compressed)
    handler.wfile.write(gzip.compress(b"]}") + gzip.flush())
