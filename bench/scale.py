"""Benchmark: the pages that need every matching plan, from 137 to 20,000 plans.

    python bench/scale.py                      # or: make bench-scale   (about 5 minutes)
    python bench/scale.py --plans 137 1000 --samples 3

Filtering by status or frequency, sorting and exporting read every plan matching the
name and template filters. For each size, this starts the demo API serving that many
plans (`python -m demo_api --plans N`, 50 ms of added latency, at most 100 rows a page)
and the dashboard under gunicorn with DEBUG off, one worker of 4 threads, so every
request lands on the worker whose memory is read. It measures, as an HR admin's browser
would ask, each figure also as a multiple of one upstream call (the median of direct
GETs of the first page of 100 plans):

- cold, the shared cache off (PE365_CACHE_TTL=0): the plain list, `?status=active`,
  `?sort=name`, and `export.csv` (time to the first byte of the file, and in all), each
  with the upstream calls it made;
- warm, the set read once and cached (PE365_CACHE_TTL=600): paging through
  `?status=active` and `?sort=name`, and the export, beside the plain list's second
  page (one cached answer: what any warm list page costs);
- the worker's memory around one cold export: RSS before and after, and its peak while
  it ran (VmHWM, reset just before).

Prints a table and writes bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from base64 import b64encode
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: import the project's modules

from demo_api import DEMO_API_KEY, DEMO_USERNAME  # noqa: E402
from devtools.machine import machine_facts  # noqa: E402
from devtools.servers import DemoAPI, dashboard, dashboard_env, demo_api, session_cookie  # noqa: E402

RESULTS = ROOT / "bench" / "results"
UPSTREAM_AUTH = "Basic " + b64encode(f"{DEMO_USERNAME}:{DEMO_API_KEY}".encode()).decode()
ONE_CALL = "/api/v2/conversation_plans/?limit=100&offset=0"
BENCH_USER = "bench-hr-admin"
COLD_PAGES = {
    "plain list": "/plans/",
    "?status=active": "/plans/?status=active",
    "?sort=name": "/plans/?sort=name",
    "export.csv": "/plans/export.csv",
}
# Paging through a cached set: pages after the first, and the export right after; the
# plain list's second page (one cached answer) is what any warm list page costs.
WARM_PAGES = {
    "plain list": "/plans/?page=2",
    "?status=active": "/plans/?status=active&page=2",
    "?sort=name": "/plans/?sort=name&page=3",
    "export.csv": "/plans/export.csv",
}


class Site:
    """One keep-alive connection; `get` returns (status, first body byte s, total s, bytes)."""

    def __init__(self, base_url: str, headers: dict[str, str]):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port
        self.headers = headers
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def get(self, path: str) -> tuple[int, float, float, int]:
        started = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        first = response.read(1)
        first_byte = time.perf_counter() - started
        size = len(first) + len(response.read())
        return response.status, first_byte, time.perf_counter() - started, size


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def measure(site: Site, api: DemoAPI, path: str, samples: int) -> dict:
    """Median time to the first byte and in all over `samples` views; calls of the last."""
    first_bytes, totals = [], []
    for _ in range(samples):
        api.reset_stats()
        status, first_byte, total, size = site.get(path)
        assert status == 200, f"{path} answered {status}"
        first_bytes.append(first_byte)
        totals.append(total)
    return {
        "first_byte_ms": ms(statistics.median(first_bytes)),
        "total_ms": ms(statistics.median(totals)),
        "max_total_ms": ms(max(totals)),
        "bytes": size,
        "upstream_calls": api.calls(),
    }


def worker_pid(pid_file: Path) -> str:
    master = int(pid_file.read_text())
    (pid,) = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return pid


def memory_kb(pid: str, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith(field)).split()[1])


def export_memory(site: Site, pid: str) -> dict:
    """RSS of the worker before and after one cold export, and its peak while it ran."""
    before = memory_kb(pid, "VmRSS:")
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
    status, _, _, _ = site.get(COLD_PAGES["export.csv"])
    assert status == 200
    peak, after = memory_kb(pid, "VmHWM:"), memory_kb(pid, "VmRSS:")
    return {
        "rss_before_mb": round(before / 1024, 1),
        "rss_peak_mb": round(peak / 1024, 1),
        "rss_after_mb": round(after / 1024, 1),
        "peak_growth_mb": round((peak - before) / 1024, 1),
    }


def env_for(api_url: str, db: Path, cache_ttl: int) -> dict[str, str]:
    return dashboard_env(
        api_url,
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"sqlite:///{db}",
        PE365_CACHE_TTL=str(cache_ttl),
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="4",
    )


def headers_for(env: dict[str, str]) -> dict[str, str]:
    session = session_cookie(env, BENCH_USER, hr_admin=True)
    return {"Cookie": f"sessionid={session}; csrftoken={secrets.token_hex(16)}"}


def one_size(plans: int, args: argparse.Namespace, tmp: Path) -> dict:
    result: dict = {"plans": plans}
    with demo_api(latency_ms=args.latency_ms, plans=plans) as api:
        upstream = Site(api.url, {"Authorization": UPSTREAM_AUTH})
        floor = [upstream.get(ONE_CALL)[2] for _ in range(args.samples * 4)]
        result["one_call_ms"] = ms(statistics.median(floor))
        samples = args.samples if plans < 10_000 else max(1, args.samples - 2)

        env = env_for(api.url, tmp / f"cold-{plans}.sqlite3", cache_ttl=0)
        pid_file = tmp / f"cold-{plans}.pid"
        with dashboard(env, server="gunicorn", gunicorn_args=("--pid", str(pid_file))) as url:
            site = Site(url, headers_for(env))
            site.get("/plans/")  # the worker has loaded everything a page needs
            # First, while the worker has held no big list yet: freed memory stays with
            # the process, so a later export would find room made by the pages before.
            result["memory_cold_export"] = export_memory(site, worker_pid(pid_file))
            result["cold"] = {
                name: measure(site, api, path, samples) for name, path in COLD_PAGES.items()
            }

        env = env_for(api.url, tmp / f"warm-{plans}.sqlite3", cache_ttl=600)
        with dashboard(env, server="gunicorn") as url:
            site = Site(url, headers_for(env))
            for path in COLD_PAGES.values():
                site.get(path)  # read each set once
            result["warm"] = {
                name: measure(site, api, path, args.samples * 3)
                for name, path in WARM_PAGES.items()
            }
    one = result["one_call_ms"]
    for phase in ("cold", "warm"):
        for figures in result[phase].values():
            figures["first_byte_x"] = round(figures["first_byte_ms"] / one, 2)
            figures["total_x"] = round(figures["total_ms"] / one, 2)
    print(table_rows([result]), file=sys.stderr)
    return result


def targets(sizes: dict[int, dict]) -> list[dict]:
    """The issue's targets, each with what was measured and whether it was met."""
    checks = []

    def check(target: str, measured: float | None, limit: float, unit: str) -> None:
        met = measured is not None and measured <= limit
        shown = "not measured" if measured is None else f"{measured:g}{unit}"
        checks.append({"target": target, "measured": shown, "met": met})

    for plans, limit in ((1000, 4), (5000, 10)):
        for name in ("?status=active", "?sort=name"):
            cold = sizes.get(plans, {}).get("cold", {}).get(name)
            check(
                f"{name} cold at {plans:,} plans ≤ {limit} × one call",
                cold and cold["total_x"],
                limit,
                " ×",
            )
    big = sizes.get(20000, {})
    slowest = (
        max(
            (big["cold"][name]["max_total_ms"] for name in ("?status=active", "?sort=name")),
            default=None,
        )
        if big
        else None
    )
    check("20,000 plans answered within PE365_TIMEOUT (10 s)", slowest and slowest / 1000, 10, " s")
    warm = sizes.get(5000, {}).get("warm", {})
    for name in ("?status=active", "?sort=name"):
        check(f"warm {name} at 5,000 plans ≤ 15 ms", warm.get(name, {}).get("total_ms"), 15, " ms")
    export = big.get("cold", {}).get("export.csv")
    check(
        "export.csv of 20,000 plans cold: first byte ≤ 4 × one call",
        export and export["first_byte_x"],
        4,
        " ×",
    )
    memory = big.get("memory_cold_export")
    check(
        "export.csv of 20,000 plans cold: worker memory grows < 50 MB",
        memory and memory["peak_growth_mb"],
        50,
        " MB",
    )
    return checks


def table_rows(results: list[dict]) -> str:
    lines = []
    for r in results:
        cold, warm, mem = r["cold"], r["warm"], r["memory_cold_export"]
        export = cold["export.csv"]
        lines.append(
            f"{r['plans']:>6,} plans (one call {r['one_call_ms']} ms)  cold: "
            + "  ".join(
                f"{name} {cold[name]['total_x']}× ({cold[name]['upstream_calls']})"
                for name in ("plain list", "?status=active", "?sort=name")
            )
            + f"  export first byte {export['first_byte_x']}× all {export['total_x']}×"
            f" ({export['upstream_calls']})"
            + "  | warm: "
            + "  ".join(
                f"{name} {f['total_ms']} ms ({f['upstream_calls']})" for name, f in warm.items()
            )
            + f"  | export RSS {mem['rss_before_mb']} → peak {mem['rss_peak_mb']} MB"
            f" (+{mem['peak_growth_mb']})"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--plans", type=int, nargs="+", default=[137, 1000, 5000, 20000], help="sizes"
    )
    parser.add_argument("--latency-ms", type=float, default=50, help="upstream latency (50)")
    parser.add_argument("--samples", type=int, default=5, help="cold views per page (5)")
    parser.add_argument("--out", type=Path, default=RESULTS / "scale.json", help="JSON output")
    args = parser.parse_args()
    report: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_facts(),
        "settings": {
            "upstream_latency_ms": args.latency_ms,
            "upstream_page_size": 100,
            "samples": args.samples,
            "web_concurrency": 1,
            "gunicorn_threads": 4,
            "pe365_concurrency": 8,
        },
    }
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        results = [one_size(plans, args, tmp) for plans in args.plans]
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["sizes"] = results
    report["targets"] = targets({r["plans"]: r for r in results})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(table_rows(results))
    for target in report["targets"]:
        print(f"{'met ' if target['met'] else 'MISS'}  {target['target']}: {target['measured']}")
    print(
        f"load average {report['machine']['load_average_at_start'][0]} at start, "
        f"{report['machine']['load_average_at_end'][0]} at end; written to {args.out}"
    )


if __name__ == "__main__":
    main()
