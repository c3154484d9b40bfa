"""Benchmark: what the dashboard adds on top of the upstream API, cold and warm, under load.

    python bench/run.py                # or: make bench   (about two minutes)
    python bench/run.py --help

Starts the demo API with a fixed added latency (default 50 ms) and the dashboard under
gunicorn exactly as `make serve` runs it (gunicorn.conf.py, DEBUG off, whitenoise), on
free loopback ports, then measures in one run:

1. each page next to its floor, the upstream calls it needs made directly, with the
   shared cache off: median, p95 and the ratio page / floor; requests alternate, so both
   see the same machine. The list (25 and 100 rows) and the plan page (of a 1-user plan
   and of the 3,000-user plan) need one call. The plan page's side panels, a page of
   their own that its script loads, need the plan, then its template and the first page
   of the conversations with its name at once, then the remaining pages at once.
   Participation of the 3,000-user plan needs the plan, the first page of its
   conversations, then the others 8 at a time;
2. the same pages with a warm shared cache;
3. upstream calls per page view, cold and warm (from the demo API's /_demo/stats), plan
   and plan-list calls apart from the panels' secondary calls;
4. N concurrent clients (default 50) for D seconds (default 30) on the warm list page:
   requests/s, p95, errors and the gunicorn workers' CPU time per request; the load
   generator runs in separate processes, and its own ceiling is measured first against
   the demo API's stats endpoint (on a shared machine it also shows how fast the
   machine is at the time);
5. the resident memory (RSS) of each gunicorn worker after the load;
6. each target (`TARGETS`: what a person feels), met or not. Throughput has no target.

Every request is made as a browser of an HR admin would (a plain user in the "HR admins"
group, with the session and CSRF cookies).

Prints a table and writes everything to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from base64 import b64encode
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: import the project's modules

from demo_api import DEMO_API_KEY, DEMO_USERNAME, data  # noqa: E402
from devtools.machine import machine_facts  # noqa: E402
from devtools.servers import dashboard, dashboard_env, demo_api, session_cookie  # noqa: E402

RESULTS = ROOT / "bench" / "results"
UPSTREAM_AUTH = "Basic " + b64encode(f"{DEMO_USERNAME}:{DEMO_API_KEY}".encode()).decode()
PLANS = "/api/v2/conversation_plans/"
TEMPLATES = "/api/v2/conversation_templates/"
CONVERSATIONS = "/api/v2/conversations/"
PAGE_SIZE = 100  # the page size of the conversation reads
CONCURRENCY = 8  # PE365_CONCURRENCY's default
BENCH_USER = "bench-hr-admin"


# --- Plain HTTP with keep-alive: cheap enough that the client is never what we measure -----


class Connection:
    """One keep-alive connection to one server; `get` returns (status, seconds)."""

    def __init__(self, base_url: str, headers: dict[str, str]):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.headers = headers
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def get(self, path: str) -> tuple[int, float]:
        started = time.perf_counter()
        try:
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            return 0, time.perf_counter() - started
        return response.status, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# --- The pages under test --------------------------------------------------------------------


def scenarios() -> list[dict]:
    """Each page next to its floor: the upstream calls it needs, made directly.

    A list or plan page needs one call. The plan page's side panels (their own page,
    loaded by the plan page's script) need the plan, then its template and the first
    page of the conversations with its name at once, then the remaining pages.
    """
    plans = data.plans()
    big = next(p for p in plans if p["name"] == data.COMPANY_WIDE_PLAN_NAME)
    one = next(p for p in plans if len(p["assigned_users"]) == 1)
    return [
        {
            "name": "list, 25 rows",
            "page": "/plans/",
            "floor_rounds": [[f"{PLANS}?limit=25&offset=0"]],
        },
        {
            "name": "list, 100 rows",
            "page": "/plans/?per_page=100",
            "floor_rounds": [[f"{PLANS}?limit=100&offset=0"]],
        },
        *detail_scenarios("1 user", one),
        *detail_scenarios(f"{len(big['assigned_users']):,} users", big),
        participation_scenario(big),
        rounds_scenario(big),
    ]


def participation_scenario(plan: dict) -> dict:
    """Participation needs the plan, then the first page of the conversations with its name
    (whose count says how many follow), then the others, PE365_CONCURRENCY (8) at a time."""
    plan_call = f"{PLANS}{quote(plan['api_id'], safe='')}/"
    named = sum(
        1 for c in data.conversations() if c["plan_name"].casefold() == plan["name"].casefold()
    )

    def conversations(offset: int) -> str:
        query = {"limit": PAGE_SIZE, "offset": offset, "plan_name": plan["name"]}
        return f"{CONVERSATIONS}?{urlencode(query)}"

    rest = [conversations(offset) for offset in range(PAGE_SIZE, named, PAGE_SIZE)]
    return {
        "name": f"participation, {len(plan['assigned_users']):,}",
        "page": f"/plans/{plan['api_id']}/participation/",
        "floor_rounds": [
            [plan_call],
            [conversations(0)],
            *(rest[i : i + CONCURRENCY] for i in range(0, len(rest), CONCURRENCY)),
        ],
    }


def rounds_scenario(plan: dict) -> dict:
    """A plan's rounds read what participation reads: the same floor."""
    return participation_scenario(plan) | {
        "name": f"rounds, {len(plan['assigned_users']):,}",
        "page": f"/plans/{plan['api_id']}/rounds/",
    }


# What a person feels (README "Performance"): (report section, page, figure, limit, what).
TARGETS = [
    ("cache_off", "list, 25 rows", "ratio", 1.3, "cold list ≤ 1.3 × one upstream call"),
    ("cache_off", "detail, 3,000 users", "ratio", 1.5, "cold 3,000-user plan page ≤ 1.5 ×"),
    ("cache_off", "participation, 3,000", "ratio", 8, "cold participation of 3,000 ≤ 8 ×"),
    ("cache_on", "list, 25 rows", "page_median_ms", 25, "warm list of 25 rows ≤ 25 ms"),
    ("cache_on", "list, 100 rows", "page_median_ms", 50, "warm list of 100 rows ≤ 50 ms"),
    ("cache_on", "participation, 3,000", "page_median_ms", 25, "warm participation ≤ 25 ms"),
    ("cache_off", "rounds, 3,000", "vs_one_call", 8, "cold rounds of 3,000 ≤ 8 × one call"),
    ("cache_on", "rounds, 3,000", "page_median_ms", 25, "warm rounds of 3,000 ≤ 25 ms"),
]
MAX_WORKER_RSS_MB = 120


def targets(report: dict) -> list[dict]:
    """Each target with its figure and whether it is met."""
    checked = [
        {
            "target": what,
            "measured": report[section][page][figure],
            "met": report[section][page][figure] <= limit,
        }
        for section, page, figure, limit, what in TARGETS
    ]
    for name in ("list, 25 rows", "list, 100 rows", "detail, 1 user", "detail, 3,000 users"):
        warm = report["cache_on"][name]
        calls = (report["cache_off"][name]["upstream_calls_per_view"], warm["upstream_calls_warm"])
        checked.append(
            {
                "target": f"{name}: 1 upstream call cold, 0 warm",
                "measured": list(calls),
                "met": calls == (1, 0),
            }
        )
    largest = max(w["rss_mb"] for w in report["worker_memory"])
    checked.append(
        {
            "target": f"worker RSS ≤ {MAX_WORKER_RSS_MB} MB after the run",
            "measured": largest,
            "met": largest <= MAX_WORKER_RSS_MB,
        }
    )
    return checked


def detail_scenarios(users: str, plan: dict) -> list[dict]:
    """The plan page and its side panels, each with the rounds of calls it needs at least."""

    def conversations(offset: int) -> str:
        query = {"limit": PAGE_SIZE, "offset": offset, "plan_name": plan["name"]}
        return f"{CONVERSATIONS}?{urlencode(query)}"

    page = f"/plans/{plan['api_id']}/"
    plan_call = f"{PLANS}{quote(plan['api_id'], safe='')}/"
    named = sum(
        1 for c in data.conversations() if c["plan_name"].casefold() == plan["name"].casefold()
    )
    second = [f"{TEMPLATES}{quote(plan['template_api_id'], safe='')}/", conversations(0)]
    third = [conversations(offset) for offset in range(PAGE_SIZE, named, PAGE_SIZE)]
    return [
        {"name": f"detail, {users}", "page": page, "floor_rounds": [[plan_call]]},
        {
            "name": f"panels, {users}",
            "page": f"{page}panels/",
            "floor_rounds": [rounds for rounds in ([plan_call], second, third) if rounds],
        },
    ]


class Rounds:
    """Makes rounds of upstream calls on keep-alive connections: a round's calls at once.

    A round of one call is made in the calling thread, so a single direct call costs
    what a plain client pays, with no hand-over to a pool thread.
    """

    def __init__(self, base_url: str, width: int):
        self.base_url = base_url
        self.pool = ThreadPoolExecutor(max_workers=width)
        self.local = threading.local()

    def _get(self, path: str) -> int:
        if not hasattr(self.local, "connection"):
            self.local.connection = Connection(self.base_url, {"Authorization": UPSTREAM_AUTH})
        return self.local.connection.get(path)[0]

    def run(self, rounds: list[list[str]]) -> float:
        started = time.perf_counter()
        for paths in rounds:
            if len(paths) == 1:
                statuses = [self._get(paths[0])]
            else:
                statuses = list(self.pool.map(self._get, paths))
            assert statuses == [200] * len(paths), f"floor calls answered {statuses}"
        return time.perf_counter() - started

    def __enter__(self) -> Rounds:
        return self

    def __exit__(self, *exc) -> None:
        self.pool.shutdown()


def latency(site: Connection, rounds: Rounds, scenario: dict, samples: int) -> dict:
    """Page and its floor, alternating so both see the same machine, after 3 warm-up rounds."""
    page, floor = [], []
    for round_ in range(samples + 3):
        status, page_time = site.get(scenario["page"])
        assert status == 200, f"{scenario['page']} answered {status}"
        floor_time = rounds.run(scenario["floor_rounds"])
        if round_ >= 3:
            page.append(page_time)
            floor.append(floor_time)
    median_page, median_floor = statistics.median(page), statistics.median(floor)
    return {
        "floor_calls": sum(len(paths) for paths in scenario["floor_rounds"]),
        "floor_rounds": len(scenario["floor_rounds"]),
        "floor_median_ms": ms(median_floor),
        "floor_p95_ms": ms(percentile(floor, 0.95)),
        "page_median_ms": ms(median_page),
        "page_p95_ms": ms(percentile(page, 0.95)),
        "ratio": round(median_page / median_floor, 2),
        "overhead_median_ms": ms(median_page - median_floor),
    }


def warm_latency(site: Connection, scenario: dict, samples: int) -> dict:
    site.get(scenario["page"])  # fill the cache
    times = []
    for _ in range(samples + 3):
        status, seconds = site.get(scenario["page"])
        assert status == 200
        times.append(seconds)
    times = times[3:]
    return {
        "page_median_ms": ms(statistics.median(times)),
        "page_p95_ms": ms(percentile(times, 0.95)),
    }


def upstream_calls(site: Connection, api, path: str) -> tuple[int, int]:
    """(the page's own plan/list calls, its secondary calls) for one view of `path`."""
    api.reset_stats()
    status, _ = site.get(path)
    assert status == 200
    by_path = api.stats()["by_path"]
    primary = sum(n for p, n in by_path.items() if p.startswith(PLANS))
    return primary, sum(by_path.values()) - primary


# --- Load: clients in separate processes, threads inside them ----------------------------------


def _load_worker(base_url, headers, path, threads, duration, queue):
    deadline = time.monotonic() + duration
    results: list[list] = [[] for _ in range(threads)]

    def client(mine: list) -> None:
        connection = Connection(base_url, headers)
        while time.monotonic() < deadline:
            mine.append(connection.get(path))

    pool = [threading.Thread(target=client, args=(results[i],)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put([sample for mine in results for sample in mine])


def load(base_url: str, headers: dict, path: str, *, clients: int, duration: float) -> dict:
    processes = max(1, min(os.cpu_count() or 1, clients))
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    shares = [clients // processes + (i < clients % processes) for i in range(processes)]
    workers = [
        spawn.Process(target=_load_worker, args=(base_url, headers, path, share, duration, queue))
        for share in shares
    ]
    for worker in workers:
        worker.start()
    samples = [sample for _ in workers for sample in queue.get()]
    for worker in workers:
        worker.join()
    ok = [seconds for status, seconds in samples if status == 200]
    return {
        "clients": clients,
        "client_processes": processes,
        "seconds": duration,
        "requests": len(samples),
        "requests_per_second": round(len(samples) / duration, 1),
        "median_ms": ms(statistics.median(ok)) if ok else None,
        "p95_ms": ms(percentile(ok, 0.95)) if ok else None,
        "errors": len(samples) - len(ok),
    }


# --- Memory ------------------------------------------------------------------------------------


def workers(pid_file: Path) -> list[str]:
    """The pids of gunicorn's worker processes."""
    master = int(pid_file.read_text())
    return Path(f"/proc/{master}/task/{master}/children").read_text().split()


def cpu_seconds(pids: list[str]) -> float:
    """User + system CPU time the processes have used so far."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def worker_memory(pid_file: Path) -> list[dict]:
    memory = []
    for pid in workers(pid_file):
        status = Path(f"/proc/{pid}/status").read_text()
        rss_kb = int(
            next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]
        )
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        pss_kb = int(
            next(line for line in rollup.splitlines() if line.startswith("Pss:")).split()[1]
        )
        memory.append(
            {"pid": int(pid), "rss_mb": round(rss_kb / 1024, 1), "pss_mb": round(pss_kb / 1024, 1)}
        )
    return memory


# --- The run -----------------------------------------------------------------------------------


def production_env(api_url: str, db_path: Path, cache_ttl: int) -> dict[str, str]:
    return dashboard_env(
        api_url,
        DJANGO_DEBUG="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback; TLS ends at the proxy
        DATABASE_URL=f"sqlite:///{db_path}",
        PE365_CACHE_TTL=str(cache_ttl),
    )


def browser_headers(env: dict[str, str]) -> dict[str, str]:
    """The cookies a logged-in browser sends: an HR admin's session and a CSRF cookie.

    HR admins are plain users in the group (a superuser skips the permission queries of
    every page view). A browser keeps the CSRF cookie it was given; without one, every
    page would make a new CSRF secret and set the cookie again.
    """
    session = session_cookie(env, BENCH_USER, hr_admin=True)
    return {"Cookie": f"sessionid={session}; csrftoken={secrets.token_hex(16)}"}


def run(args: argparse.Namespace) -> dict:
    report: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_facts(),
        "settings": {
            "upstream_latency_ms": args.latency_ms,
            "samples": args.samples,
            "web_concurrency": os.environ.get("WEB_CONCURRENCY", "2 (default)"),
            "gunicorn_threads": os.environ.get("GUNICORN_THREADS", "4 (default)"),
        },
    }
    pages = scenarios()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        api = stack.enter_context(demo_api(latency_ms=args.latency_ms))

        print(f"demo API at {api.url} with {args.latency_ms:g} ms latency", file=sys.stderr)
        print("load generator ceiling (demo API stats endpoint, no latency)…", file=sys.stderr)
        report["load_generator_ceiling"] = load(
            api.url, {}, "/_demo/stats", clients=args.clients, duration=5
        )

        # Shared cache off: every page view makes all of its upstream calls.
        env = production_env(api.url, tmp / "off.sqlite3", cache_ttl=0)
        widest = max(len(r) for page in pages for r in page["floor_rounds"])
        rounds = stack.enter_context(Rounds(api.url, width=widest))
        with dashboard(env, server="gunicorn") as url:
            site = Connection(url, browser_headers(env))
            print(f"cache off: dashboard at {url}", file=sys.stderr)
            report["cache_off"] = {}
            for page in pages:
                result = latency(site, rounds, page, args.samples)
                primary, secondary = upstream_calls(site, api, page["page"])
                result.update(upstream_calls_per_view=primary, secondary_calls_per_view=secondary)
                report["cache_off"][page["name"]] = result
            # The rounds' target is in calls: the page against the plan's one call alone.
            one_call = report["cache_off"]["detail, 3,000 users"]["floor_median_ms"]
            rounds_off = report["cache_off"]["rounds, 3,000"]
            rounds_off["vs_one_call"] = round(rounds_off["page_median_ms"] / one_call, 2)

        # Shared cache on (30 s): the first view of a page is cold, the rest are warm.
        env = production_env(api.url, tmp / "on.sqlite3", cache_ttl=30)
        pid_file = tmp / "gunicorn.pid"
        with dashboard(env, server="gunicorn", gunicorn_args=("--pid", str(pid_file))) as url:
            headers = browser_headers(env)
            site = Connection(url, headers)
            print(f"cache on: dashboard at {url}", file=sys.stderr)
            report["cache_on"] = {}
            for page in pages:
                cold, cold_secondary = upstream_calls(site, api, page["page"])
                warm, warm_secondary = upstream_calls(site, api, page["page"])
                result = warm_latency(site, page, args.samples)
                result.update(
                    upstream_calls_cold=cold,
                    secondary_calls_cold=cold_secondary,
                    upstream_calls_warm=warm,
                    secondary_calls_warm=warm_secondary,
                )
                report["cache_on"][page["name"]] = result

            print(f"{args.clients} clients for {args.duration:g} s on /plans/…", file=sys.stderr)
            site.get("/plans/")
            api.reset_stats()
            cpu_before = cpu_seconds(workers(pid_file))
            report["load_warm_list"] = load(
                url, headers, "/plans/", clients=args.clients, duration=args.duration
            )
            # The workers' own CPU per page, whatever else the machine was doing meanwhile.
            cpu = cpu_seconds(workers(pid_file)) - cpu_before
            report["load_warm_list"].update(
                upstream_calls=api.calls(),
                worker_cpu_ms_per_request=round(
                    cpu * 1000 / report["load_warm_list"]["requests"], 2
                ),
            )
            report["worker_memory"] = worker_memory(pid_file)
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["targets"] = targets(report)
    return report


def table(report: dict) -> str:
    lines = [
        f"Upstream latency {report['settings']['upstream_latency_ms']:g} ms, "
        f"{report['machine']['cpus']} CPUs, {report['settings']['samples']} samples per page, "
        f"load average {report['machine']['load_average_at_start'][0]} at start, "
        f"{report['machine']['load_average_at_end'][0]} at end",
        "",
        "Cache off          floor med/p95 (calls)  page med/p95      ratio  overhead  calls/view",
    ]
    for name, r in report["cache_off"].items():
        floor = f"{r['floor_median_ms']:>6} / {r['floor_p95_ms']:<6} ({r['floor_calls']:>2})"
        calls = f"{r['upstream_calls_per_view']} + {r['secondary_calls_per_view']}"
        lines.append(
            f"{name:<18} {floor}  {r['page_median_ms']:>6} / {r['page_p95_ms']:<6}  "
            f"{r['ratio']:>5}  {r['overhead_median_ms']:>6} ms  {calls:>9}"
        )
    lines += ["", "Warm cache         page med/p95      calls cold / warm (page + secondary)"]
    for name, r in report["cache_on"].items():
        lines.append(
            f"{name:<18} {r['page_median_ms']:>6} / {r['page_p95_ms']:<6}  "
            f"{r['upstream_calls_cold']} + {r['secondary_calls_cold']} / "
            f"{r['upstream_calls_warm']} + {r['secondary_calls_warm']}"
        )
    ceiling, warm = report["load_generator_ceiling"], report["load_warm_list"]
    lines += [
        "",
        f"Load, warm list page: {warm['clients']} clients × {warm['seconds']:g} s: "
        f"{warm['requests_per_second']} req/s, median {warm['median_ms']} ms, "
        f"p95 {warm['p95_ms']} ms, {warm['errors']} errors, "
        f"{warm['upstream_calls']} upstream calls, "
        f"{warm['worker_cpu_ms_per_request']} ms of worker CPU per request",
        f"Load generator ceiling (demo API stats): {ceiling['requests_per_second']} req/s, "
        f"{ceiling['errors']} errors",
        "Worker memory: "
        + ", ".join(
            f"RSS {w['rss_mb']} MB (PSS {w['pss_mb']} MB)" for w in report["worker_memory"]
        ),
        "",
        "Targets (throughput is reported, with no target):",
        *(
            f"  {'met    ' if t['met'] else 'NOT MET'}  {t['target']}: {t['measured']}"
            for t in report["targets"]
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=50, help="upstream latency (50)")
    parser.add_argument("--samples", type=int, default=40, help="requests per page (40)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--duration", type=float, default=30, help="load seconds (30)")
    parser.add_argument(
        "--out", type=Path, default=RESULTS / "latest.json", help="JSON output file"
    )
    args = parser.parse_args()
    report = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(table(report))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
