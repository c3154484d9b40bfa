"""Benchmark: many people at once on a slow API, with the page budget (PE365_TIMEOUT).

    python bench/queueing.py                       # 30 people, 3 s upstream, budget 10 s
    python bench/queueing.py --threads 4           # the old default, to compare
    python bench/queueing.py --users 60 --latency-ms 3000

Starts the demo API with the given latency and the dashboard under gunicorn as `make
serve` runs it (gunicorn.conf.py: the queue-stamping worker, WEB_CONCURRENCY workers ×
GUNICORN_THREADS threads), with the shared cache off so every list page calls the API.
Then every user asks for a different list page at the same moment, and each answer is
timed from the moment it was asked for.

The target: every answer within the budget plus one second, or a clear 503 ("busy, try
again") answered at once. Prints one line per status and the slowest answers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devtools.servers import dashboard, dashboard_env, demo_api, session_cookie


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--latency-ms", type=float, default=3000)
    parser.add_argument("--timeout", type=float, default=10, help="PE365_TIMEOUT")
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--threads", type=int, default=None, help="GUNICORN_THREADS")
    args = parser.parse_args()

    with demo_api(latency_ms=args.latency_ms) as api, tempfile.TemporaryDirectory() as tmp:
        env = dashboard_env(
            api.url,
            DJANGO_DEBUG="0",
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_SECURE_SSL_REDIRECT="0",
            PE365_TIMEOUT=str(args.timeout),
            PE365_CACHE_TTL="0",
            WEB_CONCURRENCY=str(args.workers),
            DATABASE_URL=f"sqlite:///{tmp}/db.sqlite3",
        )
        if args.threads is not None:
            env["GUNICORN_THREADS"] = str(args.threads)
        with dashboard(env, server="gunicorn") as url:
            cookie = {"Cookie": f"sessionid={session_cookie(env, hr_admin=True)}"}
            requests.get(f"{url}/plans/", headers=cookie, timeout=60)  # workers warm
            start = threading.Barrier(args.users)

            def one(n: int) -> tuple[int, float, str]:
                start.wait()
                began = time.monotonic()
                response = requests.get(
                    f"{url}/plans/?page={n % 6 + 1}",
                    headers=cookie,
                    timeout=120,
                    allow_redirects=False,
                )
                busy = "busy" if "The dashboard is busy" in response.text else ""
                return response.status_code, time.monotonic() - began, busy

            with ThreadPoolExecutor(args.users) as pool:
                results = list(pool.map(one, range(args.users)))

    bound = args.timeout + 1
    threads = args.threads or "default"
    print(
        f"{args.users} users, upstream {args.latency_ms:g} ms, PE365_TIMEOUT={args.timeout:g} s, "
        f"{args.workers} workers × {threads} threads"
    )
    for status in sorted({s for s, _, _ in results}):
        times = sorted(t for s, t, _ in results if s == status)
        print(
            f"  {status}: {len(times):3d} answers, median {statistics.median(times):5.1f} s, "
            f"slowest {times[-1]:5.1f} s"
        )
    late = [(s, t) for s, t, busy in results if t > bound and not (s == 503 and busy)]
    print(f"  past the budget plus one second ({bound:g} s) without a busy page: {len(late)}")
    sys.exit(1 if late or any(s == 500 for s, _, _ in results) else 0)


if __name__ == "__main__":
    main()
