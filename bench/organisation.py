"""Benchmark: the organisation-wide pages (`/outstanding/`, a person's page), cold and warm,
next to their floor, and the organisation read at 1,000 active plans and 20,000 people.

    python bench/organisation.py               # about 3 minutes
    python bench/organisation.py --skip-scale  # the demo organisation only

Starts the demo API with 50 ms of added latency (pages of at most 100 rows) and the
dashboard under gunicorn with DEBUG off, and measures, as an HR admin:

1. the demo organisation (150 plans, 118 active, 5,000 people, 6,981 conversations), with
   the shared cache off: `/outstanding/` and a person's page, each alternating with its
   floor, the organisation read's calls (every page of the plans, users and
   conversations, and each active plan's details) made directly, 8 at a time, as one
   round (the floor ignores that the details need the plan list first);
2. the same pages warm (the read kept);
3. upstream calls per view, cold and warm;
4. 1,000 plans and 20,000 people, one worker of 4 threads, the shared cache on (30 s, the
   default): the first view of `/outstanding/` (the read does not fit in a page: it goes
   to the background and the page answers within PE365_TIMEOUT), how long the
   background read takes and how many calls it makes, the warm page, and the worker's
   memory before, at its peak and after.

Prints a table and writes bench/results/organisation.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: import the project's modules

from bench.run import (  # noqa: E402
    CONVERSATIONS,
    PLANS,
    Connection,
    Rounds,
    browser_headers,
    latency,
    ms,
    production_env,
    warm_latency,
)
from demo_api import data  # noqa: E402
from devtools.machine import machine_facts  # noqa: E402
from devtools.servers import dashboard, demo_api  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CONCURRENCY = 8
USERS = "/api/v2/users/"
ARJUN_SMITH = "582:26e7ee6c-84f8-4df7-951f-18c74f564c32"


def read_calls(dataset: data.Dataset) -> list[str]:
    """The organisation read's upstream calls, as the dashboard makes them."""

    def pages(path: str, count: int) -> list[str]:
        return [
            f"{path}?{urlencode({'limit': 100, 'offset': offset})}"
            for offset in range(0, max(count, 1), 100)
        ]

    active = [plan for plan in dataset.plans if plan["status"] == "active"]
    return [
        *pages(PLANS, len(dataset.plans)),
        *pages(USERS, len(dataset.people)),
        *pages(CONVERSATIONS, len(dataset.conversations)),
        *(f"{PLANS}{quote(plan['api_id'], safe='')}/" for plan in active),
    ]


def calls(site: Connection, api, path: str) -> int:
    api.reset_stats()
    status, _ = site.get(path)
    assert status == 200, f"{path} answered {status}"
    return api.calls()


def demo_organisation(args: argparse.Namespace, tmp: Path) -> dict:
    report: dict = {}
    floor_calls = read_calls(data.dataset())
    person = "/people/?" + urlencode({"name": "Arjun Smith", "person": ARJUN_SMITH})
    timed = [
        {"name": "/outstanding/", "page": "/outstanding/", "floor_rounds": [floor_calls]},
        {"name": "a person's page", "page": person, "floor_rounds": [floor_calls]},
    ]
    counted = [
        "/outstanding/",
        "/outstanding/?state=not_started&page=2",
        "/outstanding.csv",
        "/completion/",
        "/outstanding/data-issues/",
        person,
        "/people/?name=muller",
        "/",
    ]
    with ExitStack() as stack:
        api = stack.enter_context(demo_api(latency_ms=args.latency_ms))
        rounds = stack.enter_context(Rounds(api.url, width=CONCURRENCY))
        env = production_env(api.url, tmp / "off.sqlite3", cache_ttl=0)
        with dashboard(env, server="gunicorn") as url:
            site = Connection(url, browser_headers(env))
            report["cache_off"] = {}
            for scenario in timed:
                result = latency(site, rounds, scenario, args.samples)
                result["upstream_calls_per_view"] = calls(site, api, scenario["page"])
                report["cache_off"][scenario["name"]] = result
            report["upstream_calls_cold"] = {path: calls(site, api, path) for path in counted}
        env = production_env(api.url, tmp / "on.sqlite3", cache_ttl=600)
        with dashboard(env, server="gunicorn") as url:
            site = Connection(url, browser_headers(env))
            report["cache_on"] = {}
            for scenario in timed:
                result = warm_latency(site, scenario, args.samples)
                result["upstream_calls_per_view"] = calls(site, api, scenario["page"])
                report["cache_on"][scenario["name"]] = result
            for path in counted:
                site.get(path)
            report["upstream_calls_warm"] = {path: calls(site, api, path) for path in counted}
    return report


def memory_kb(pid: str, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith(field)).split()[1])


def worker_pid(pid_file: Path) -> str:
    master = int(pid_file.read_text())
    (pid,) = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return pid


def at_scale(args: argparse.Namespace, tmp: Path) -> dict:
    plans, people = 1000, 20_000
    result: dict = {"plans": plans, "people": people}
    with demo_api(latency_ms=args.latency_ms, plans=plans, people=people) as api:
        env = production_env(api.url, tmp / "scale.sqlite3", cache_ttl=30)
        env.update(WEB_CONCURRENCY="1", GUNICORN_THREADS="4")
        pid_file = tmp / "scale.pid"
        with dashboard(env, server="gunicorn", gunicorn_args=("--pid", str(pid_file))) as url:
            site = Connection(url, browser_headers(env))
            site.get("/plans/")  # the worker has loaded everything a page needs
            pid = worker_pid(pid_file)
            before = memory_kb(pid, "VmRSS:")
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
            api.reset_stats()
            started = time.perf_counter()
            status, first = site.get("/outstanding/")
            result["first_view"] = {"status": status, "ms": ms(first)}
            while status != 200 and time.perf_counter() - started < 300:
                time.sleep(1)
                status, _ = site.get("/outstanding/")
            assert status == 200, "the background read did not finish in 5 minutes"
            result["read_ready_after_ms"] = ms(time.perf_counter() - started)
            result["read_calls"] = api.calls()
            times = []
            for _ in range(args.samples):
                status, seconds = site.get("/outstanding/")
                assert status == 200
                times.append(seconds)
            result["warm_median_ms"] = ms(statistics.median(times))
            person = f"/people/?name=x&person={quote(data.people()[0]['api_id'])}"
            status, seconds = site.get(person)
            result["person_page_warm_ms"] = ms(seconds) if status == 200 else status
            peak, after = memory_kb(pid, "VmHWM:"), memory_kb(pid, "VmRSS:")
            result["memory"] = {
                "rss_before_mb": round(before / 1024, 1),
                "rss_peak_mb": round(peak / 1024, 1),
                "rss_after_mb": round(after / 1024, 1),
                "peak_growth_mb": round((peak - before) / 1024, 1),
            }
    return result


def run(args: argparse.Namespace) -> dict:
    report: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_facts(),
        "settings": {
            "upstream_latency_ms": args.latency_ms,
            "samples": args.samples,
            "concurrency": CONCURRENCY,
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_demo:
            report["demo"] = demo_organisation(args, Path(tmp))
        if not args.skip_scale:
            report["scale"] = at_scale(args, Path(tmp))
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return report


def table(report: dict) -> str:
    demo = report.get("demo", {"cache_off": {}, "upstream_calls_cold": {}})
    lines = [f"{'page':<18} {'floor':>9} {'cold':>9} {'ratio':>6} {'calls':>6} {'warm':>9}"]
    for name, cold in demo["cache_off"].items():
        warm = demo["cache_on"][name]
        lines.append(
            f"{name:<18} {cold['floor_median_ms']:>7.1f}ms {cold['page_median_ms']:>7.1f}ms "
            f"{cold['ratio']:>6.2f} {cold['upstream_calls_per_view']:>6} "
            f"{warm['page_median_ms']:>7.1f}ms"
        )
    lines.append("")
    lines.append("upstream calls per view (cold / warm):")
    for path, cold_calls in demo["upstream_calls_cold"].items():
        lines.append(f"  {cold_calls:>4} / {demo['upstream_calls_warm'][path]:<3} {path}")
    if "scale" in report:
        scale = report["scale"]
        lines.append("")
        lines.append(
            f"{scale['plans']:,} plans, {scale['people']:,} people: first view "
            f"{scale['first_view']['status']} in {scale['first_view']['ms']:.0f} ms; read ready "
            f"after {scale['read_ready_after_ms'] / 1000:.1f} s in {scale['read_calls']} calls "
            f"(~{math.ceil(scale['read_calls'] / CONCURRENCY)} rounds of 8); warm "
            f"{scale['warm_median_ms']:.1f} ms; person page warm {scale['person_page_warm_ms']}"
            f" ms; worker {scale['memory']['rss_before_mb']} -> peak "
            f"{scale['memory']['rss_peak_mb']} MB (+{scale['memory']['peak_growth_mb']} MB)"
        )
    load = report["machine"]
    lines.append(f"load average: {load['load_average_at_start']} -> {load['load_average_at_end']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    report = run(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "organisation-scale.json" if args.skip_demo else "organisation.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(table(report))


if __name__ == "__main__":
    main()
