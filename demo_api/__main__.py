"""``python -m demo_api``: serve the demo API in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse

from .data import PLAN_COUNT, USER_COUNT
from .server import DEMO_API_KEY, DEMO_USERNAME, DemoServer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m demo_api", description="Perform & Engage 365 demo API"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument(
        "--fault",
        default="NONE",
        help="server-wide faults, e.g. 503 or slow:5~surrogate (NONE: none; see demo_api.server)",
    )
    parser.add_argument(
        "--plans",
        type=int,
        default=None,
        help=f"serve this many generated plans instead of the usual {PLAN_COUNT}",
    )
    parser.add_argument(
        "--people",
        type=int,
        default=None,
        help=f"serve this many generated users instead of the usual {USER_COUNT}",
    )
    parser.add_argument("--username", default=DEMO_USERNAME)
    parser.add_argument("--api-key", default=DEMO_API_KEY)
    args = parser.parse_args(argv)

    try:
        server = DemoServer(
            args.host,
            args.port,
            username=args.username,
            api_key=args.api_key,
            latency_ms=args.latency_ms,
            fault=None if args.fault.upper() == "NONE" else args.fault,
            plans=args.plans,
            people=args.people,
        )
    except ValueError as error:  # an unknown fault kind or too few plans
        parser.error(str(error))
    print(f"Demo API serving at {server.url} (API root; endpoints under /api/v2/)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # Ctrl-C is the normal way to stop
    finally:
        server.stop()


if __name__ == "__main__":
    main()
