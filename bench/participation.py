"""Benchmark: a plan's participation and a person's plans, cold and warm, next to their floor.

    python bench/participation.py              # about a minute
    python bench/participation.py --help

Starts the demo API with a fixed added latency (default 50 ms; it caps pages at 100 rows)
and the dashboard under gunicorn as `make serve` runs it, then measures, as an HR admin:

1. with the shared cache off, the plan page and the participation page of the 3,000-user
   plan, each alternating with its floor: the upstream calls it needs made directly, a
   round's calls at once, at most PE365_CONCURRENCY (8) at a time. The plan page needs
   the plan; participation needs the plan, then the first page of its conversations
   (whose count says how many pages follow), then the remaining pages;
2. the same pages with a warm shared cache;
3. upstream calls per view, cold and warm: the plan page, participation (also filtered to
   "Not started"), the users export, a people search and a person's plans.

Prints a table and writes everything to bench/results/participation.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: import the project's modules

from bench.run import (  # noqa: E402
    CONVERSATIONS,
    PAGE_SIZE,
    PLANS,
    Connection,
    Rounds,
    browser_headers,
    latency,
    production_env,
    warm_latency,
)
from demo_api import data  # noqa: E402
from devtools.machine import machine_facts  # noqa: E402
from devtools.servers import dashboard, demo_api  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CONCURRENCY = 8  # PE365_CONCURRENCY's default
USERS = "/api/v2/users/"


def scenarios() -> tuple[list[dict], list[str]]:
    """The timed pages with their floors, and further pages whose calls are counted."""
    big = next(p for p in data.plans() if p["name"] == data.COMPANY_WIDE_PLAN_NAME)
    page = f"/plans/{quote(big['api_id'], safe=':')}/"
    plan_call = f"{PLANS}{quote(big['api_id'], safe='')}/"
    conversations = sum(c["plan_name"] == big["name"] for c in data.conversations())

    def conversations_page(offset: int) -> str:
        query = {"plan_name": big["name"], "limit": PAGE_SIZE, "offset": offset}
        return f"{CONVERSATIONS}?{urlencode(query)}"

    def users_page(offset: int) -> str:
        return f"{USERS}?{urlencode({'limit': PAGE_SIZE, 'offset': offset})}"

    rest = [conversations_page(o) for o in range(PAGE_SIZE, conversations, PAGE_SIZE)]
    # The people table reads the users endpoint (departments, managers) beside them.
    users_rest = [users_page(o) for o in range(PAGE_SIZE, len(data.people()), PAGE_SIZE)]
    both_rest = rest + users_rest
    timed = [
        {"name": "plan page, 3,000 users", "page": page, "floor_rounds": [[plan_call]]},
        {
            "name": "people table, 3,000 + users",
            "page": f"{page}participation/",
            "floor_rounds": [
                [plan_call],
                [conversations_page(0), users_page(0)],
                *(both_rest[i : i + CONCURRENCY] for i in range(0, len(both_rest), CONCURRENCY)),
            ],
        },
    ]
    person = next(p for p in data.people() if p["name"] == "Jürgen Müller")
    manager = next(p["manager"] for p in data.people() if p["manager"])
    counted = [
        f"{page}participation/?state=not_started",
        f"{page}participation/?" + urlencode({"manager": manager["api_id"], "q": "a"}),
        f"{page}users.csv?state=outstanding",
        "/people/?" + urlencode({"name": "Jürgen"}),
        "/people/?" + urlencode({"name": person["name"], "person": person["api_id"]}),
    ]
    return timed, counted


def calls(site: Connection, api, path: str) -> int:
    api.reset_stats()
    status, _ = site.get(path)
    assert status == 200, f"{path} answered {status}"
    return api.calls()


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
    timed, counted = scenarios()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        api = stack.enter_context(demo_api(latency_ms=args.latency_ms))
        rounds = stack.enter_context(Rounds(api.url, width=CONCURRENCY))

        env = production_env(api.url, tmp / "off.sqlite3", cache_ttl=0)
        with dashboard(env, server="gunicorn") as url:
            site = Connection(url, browser_headers(env))
            print(f"cache off: dashboard at {url}", file=sys.stderr)
            report["cache_off"] = {}
            for scenario in timed:
                result = latency(site, rounds, scenario, args.samples)
                result["upstream_calls_per_view"] = calls(site, api, scenario["page"])
                report["cache_off"][scenario["name"]] = result
            report["upstream_calls_cold"] = {path: calls(site, api, path) for path in counted}

        # Long enough that no entry expires while the samples are taken.
        env = production_env(api.url, tmp / "on.sqlite3", cache_ttl=600)
        with dashboard(env, server="gunicorn") as url:
            site = Connection(url, browser_headers(env))
            print(f"cache on: dashboard at {url}", file=sys.stderr)
            report["cache_on"] = {}
            for scenario in timed:
                result = warm_latency(site, scenario, args.samples)
                result["upstream_calls_per_view"] = calls(site, api, scenario["page"])
                report["cache_on"][scenario["name"]] = result
            for path in counted:
                site.get(path)  # fill the cache
            report["upstream_calls_warm"] = {path: calls(site, api, path) for path in counted}
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return report


def table(report: dict) -> str:
    lines = [
        f"{'page':<28} {'floor':>9} {'cold':>9} {'ratio':>6} {'calls':>6} {'warm':>9}",
    ]
    for name, cold in report["cache_off"].items():
        warm = report["cache_on"][name]
        lines.append(
            f"{name:<28} {cold['floor_median_ms']:>7.1f}ms {cold['page_median_ms']:>7.1f}ms "
            f"{cold['ratio']:>6.2f} {cold['upstream_calls_per_view']:>6} "
            f"{warm['page_median_ms']:>7.1f}ms"
        )
    lines.append("")
    lines.append("upstream calls per view (cold / warm):")
    for path, cold_calls in report["upstream_calls_cold"].items():
        lines.append(f"  {cold_calls:>3} / {report['upstream_calls_warm'][path]:<3} {path}")
    load = report["machine"]
    lines.append(f"load average: {load['load_average_at_start']} -> {load['load_average_at_end']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--samples", type=int, default=15)
    args = parser.parse_args()
    report = run(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "participation.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(table(report))


if __name__ == "__main__":
    main()
