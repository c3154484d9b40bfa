"""A small API upstream that misbehaves on purpose, over real HTTP (standard library only).

It answers the paths the dashboard reads (plans, one plan, one template, conversations)
in the API's shapes, and lets each request choose how to misbehave by a *behaviour*
string where the dashboard passes text through: the `name` filter of the plan list, the
id of a plan or template, the `plan_name` filter of conversations. A plan whose id is
`panels:<behaviour>` is itself ordinary, but is named `<behaviour>` and uses the template
`<behaviour>`, so the plan page's side panels (template, progress) meet the behaviour.

A behaviour is one or more `kind[:argument]` joined by `~`, e.g. `finals:3000~slow:0.3`:

==================  ===================================================================
kind                what the dashboard gets
==================  ===================================================================
``slow:<s>``        the normal answer after s seconds
``trickle``         the headers, then the body at one byte a second
``stall``           the headers (and a Content-Length), then nothing
``huge:<mb>``       a valid answer of that many MB (a very long plan name), unannounced
``gzip-bomb``       ``Content-Encoding: gzip``, about 1 MB inflating to 1 GB, made lazily
``nested:<depth>``  ``results`` nested that many lists deep
``count:<n>``       list answers claim n objects (``10^400`` is read as a power) and
                    serve the pages asked for, up to 100 objects each
``finals:<n>``      the plan has n completed conversations (default 3) besides 2 drafts
``date:<iso>``      every date (template dates, completion dates) is that text
``nan``             a ``count`` of NaN; ``inf``: of 1e999; ``bigint``: 5,000 digits
``wrong-types``     a number where text belongs, text where a list or a flag belongs
``429:<s>``         429 with ``Retry-After: s``; ``429once:<s>``: only the first time
==================  ===================================================================

By hand: ``python -m devtools.hostile_upstream --port 8001``, then run the dashboard with
``PE365_API_URL=http://127.0.0.1:8001`` and open e.g. ``/plans/?name=trickle`` or
``/plans/panels:date:9999-12-31T23:59:59-14:00/panels/``. Tests use `hostile_upstream()`.
"""

from __future__ import annotations

import argparse
import json
import select
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PLANS = "/api/v2/conversation_plans/"
TEMPLATES = "/api/v2/conversation_templates/"
CONVERSATIONS = "/api/v2/conversations/"
PANELS_PREFIX = "panels:"
MAX_PAGE = 100
STALL_SECONDS = 120.0
BOMB_INFLATED_BYTES = 2**30


def parse_behaviour(text: str) -> dict[str, str]:
    """`"finals:3000~slow:0.3"` -> `{"finals": "3000", "slow": "0.3"}`."""
    kinds: dict[str, str] = {}
    for part in text.split("~"):
        kind, _, argument = part.partition(":")
        kinds[kind] = argument
    return kinds


def _number(text: str, default: float) -> float:
    try:
        return float(text)
    except ValueError:
        return default


def _count(text: str) -> int:
    base, caret, power = text.partition("^")
    return int(base) ** int(power) if caret else int(text)


# --- Normal answers ------------------------------------------------------------------


def _plan(api_id: str, name: str, template_id: str) -> dict[str, Any]:
    return {
        "api_id": api_id,
        "name": name,
        "template_name": "Engagement Survey",
        "template_api_id": template_id,
        "status": "active",
        "frequency": "Every 4 weeks",
    }


def _page(count: int, offset: int, limit: int, make: Any) -> dict[str, Any]:
    stop = min(offset + min(limit, MAX_PAGE), count)
    return {"count": count, "next": None, "previous": None, "results": make(offset, stop)}


def _answer(route: str, key: str, query: dict[str, str], kinds: dict[str, str]) -> Any:
    """The answer an honest API would give, with the behaviour's data applied."""
    limit = int(query.get("limit") or MAX_PAGE)
    offset = int(query.get("offset") or 0)
    date = kinds.get("date", "2026-03-02T10:00:00Z")
    if route == "plans":
        count = _count(kinds["count"]) if "count" in kinds else 3
        name = 5 if "wrong-types" in kinds else key

        def plans(start: int, stop: int) -> list[dict[str, Any]]:
            return [
                _plan(f"580:{n}", name, "580:template")  # type: ignore[arg-type]
                for n in range(start, stop)
            ]

        return _page(count, offset, limit, plans)
    if route == "plan":
        behaviour = key.removeprefix(PANELS_PREFIX)
        plan = _plan(key, behaviour, behaviour)
        plan["assigned_users"] = (
            "everyone"
            if "wrong-types" in kinds and not key.startswith(PANELS_PREFIX)
            else [{"api_id": "582:1", "name": "Ada Lovelace", "email": "ada@example.com"}]
        )
        plan["assigned_departments"] = [{"api_id": "D1", "name": "Research"}]
        return plan
    if route == "template":
        return {
            "api_id": key,
            "name": "Engagement Survey",
            "active": "yes" if "wrong-types" in kinds else True,
            "draft": False,
            "deleted": False,
            "created_date": date,
            "updated_date": date,
        }
    # Conversations of the plan `panels:<key>`: two drafts, then `finals` completed ones.
    drafts = 2
    count = _count(kinds["count"]) if "count" in kinds else drafts + int(kinds.get("finals") or 3)

    def conversations(start: int, stop: int) -> list[dict[str, Any]]:
        return [
            {
                "api_id": f"C{n}",
                "plan_name": key,
                "plan_api_id": f"{PANELS_PREFIX}{key}",
                "status": "final" if n >= drafts else "draft",
                "completed_date": date if n >= drafts else None,
                "person_api_id": f"582:{n}",
                "person_name": 5 if "wrong-types" in kinds else f"Person {n}",
            }
            for n in range(start, stop)
        ]

    return _page(count, offset, limit, conversations)


# --- The server ------------------------------------------------------------------------


@dataclass
class Record:
    """What the upstream saw: (time.monotonic(), path and query) of every request."""

    calls: list[tuple[float, str]] = field(default_factory=list)
    throttled_once: set[str] = field(default_factory=set)
    guard: threading.Lock = field(default_factory=threading.Lock)


class HostileHandler(BaseHTTPRequestHandler):
    server: HostileServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read .calls
        pass

    def do_GET(self) -> None:
        with self.server.record.guard:
            self.server.record.calls.append((time.monotonic(), self.path))
        # The dashboard giving up on an answer (as it should) closes the connection.
        with suppress(BrokenPipeError, ConnectionResetError):
            self._answer()

    def _route(self) -> tuple[str, str, dict[str, str]] | None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        for prefix, route, collection in (
            (PLANS, "plan", "plans"),
            (TEMPLATES, "template", None),
            (CONVERSATIONS, None, "conversations"),
        ):
            if path == prefix and collection:
                key = query.get("name" if collection == "plans" else "plan_name", "")
                return collection, key, query
            if route and path.startswith(prefix) and path.endswith("/"):
                return route, unquote(path[len(prefix) : -1]), query
        return None

    def _answer(self) -> None:
        routed = self._route()
        if routed is None:
            self._send(404, b'{"detail": "Not found."}')
            return
        route, key, query = routed
        behaviour = "" if route == "plan" and key.startswith(PANELS_PREFIX) else key
        kinds = parse_behaviour(behaviour)
        if "slow" in kinds:
            time.sleep(_number(kinds["slow"], 15))
        for kind in ("429", "429once"):
            if kind in kinds and self._throttle(kind, key):
                self._send(429, b'{"detail": "Request was throttled."}', kinds[kind] or "1")
                return
        if "huge" in kinds:
            self._send_huge(int(_number(kinds["huge"], 200) * 2**20))
        elif "gzip-bomb" in kinds:
            self._send_gzip_bomb()
        else:
            body = self._body(route, key, query, kinds)
            if "trickle" in kinds:
                self._send_trickle(body)
            elif "stall" in kinds:
                self._send_stall(body)
            else:
                self._send(200, body)

    def _throttle(self, kind: str, key: str) -> bool:
        if kind == "429":
            return True
        record = self.server.record
        with record.guard:
            first = key not in record.throttled_once
            record.throttled_once.add(key)
        return first

    def _body(self, route: str, key: str, query: dict[str, str], kinds: dict[str, str]) -> bytes:
        if "nested" in kinds:
            depth = int(_number(kinds["nested"], 100_000))
            return b'{"count": 1, "results": ' + b"[" * depth + b"]" * depth + b"}"
        if "nan" in kinds:
            return b'{"count": NaN, "results": []}'
        if "inf" in kinds:
            return b'{"count": 1e999, "results": []}'
        if "bigint" in kinds:
            return b'{"count": 1' + b"0" * 5000 + b', "results": []}'
        return json.dumps(_answer(route, key, query, kinds)).encode()

    def _headers(self, status: int, length: int | None, **extra: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if length is not None:
            self.send_header("Content-Length", str(length))
        for name, value in extra.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.flush()

    def _send(self, status: int, body: bytes, retry_after: str | None = None) -> None:
        extra = {"Retry_After": retry_after} if retry_after else {}
        self._headers(status, len(body), **extra)
        self.wfile.write(body)

    def _send_trickle(self, body: bytes) -> None:
        self._headers(200, len(body))
        for offset in range(len(body)):
            self.wfile.write(body[offset : offset + 1])
            self.wfile.flush()
            time.sleep(1)

    def _send_stall(self, body: bytes) -> None:
        self._headers(200, len(body))
        # Hold the connection until the dashboard closes it (it becomes readable) or
        # STALL_SECONDS pass.
        select.select([self.connection], [], [], STALL_SECONDS)

    def _send_huge(self, size: int) -> None:
        head = b'{"count": 1, "results": [{"api_id": "580:huge", "name": "'
        tail = b'"}]}'
        filler = size - len(head) - len(tail)
        # No Content-Length, so only counting what arrives can stop it (HTTP/1.0).
        self._headers(200, None)
        self.wfile.write(head)
        block = b"x" * 2**20
        while filler > 0:
            self.wfile.write(block[: min(filler, len(block))])
            filler -= len(block)
        self.wfile.write(tail)

    def _send_gzip_bomb(self) -> None:
        # No Content-Length: the body ends when the connection closes (HTTP/1.0).
        self._headers(200, None, Content_Encoding="gzip")
        gzip = zlib.compressobj(9, zlib.DEFLATED, 31)
        self.wfile.write(gzip.compress(b'{"count": 1, "results": ['))
        spaces = b" " * 2**20
        for _ in range(BOMB_INFLATED_BYTES // len(spaces)):
            if compressed := gzip.compress(spaces):
                self.wfile.write(compressed)
        self.wfile.write(gzip.compress(b"]}") + gzip.flush())


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, HostileHandler)
        self.record = Record()


@dataclass(frozen=True)
class HostileUpstream:
    url: str
    server: HostileServer

    @property
    def calls(self) -> list[tuple[float, str]]:
        with self.server.record.guard:
            return list(self.server.record.calls)

    def reset(self) -> None:
        with self.server.record.guard:
            self.server.record.calls.clear()
            self.server.record.throttled_once.clear()


@contextmanager
def hostile_upstream(port: int = 0) -> Iterator[HostileUpstream]:
    """Serve on a loopback port (a free one by default) in a thread until the block ends."""
    server = HostileServer(("127.0.0.1", port))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HostileUpstream(f"http://127.0.0.1:{server.server_address[1]}", server)
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8001)
    port = parser.parse_args().port
    with hostile_upstream(port) as upstream:
        print(f"Hostile upstream on {upstream.url} (Ctrl-C stops it)", flush=True)
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
