"""Benchmark: the remind page's preview of the 3,000-user plan's people still to act
(about 1,100 people), cold and warm, with its upstream calls next to participation's.

    python bench/remind_preview.py

Starts the demo API (50 ms added latency) and the dashboard under gunicorn as
bench/participation.py does. Targets: cold calls <= participation's + 1, warm <= 50 ms.
Writes bench/results/remind_preview.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.participation import calls  # noqa: E402
from bench.run import Connection, browser_headers, production_env, warm_latency  # noqa: E402
from demo_api import data  # noqa: E402
from devtools.machine import machine_facts  # noqa: E402
from devtools.servers import dashboard, demo_api  # noqa: E402

SAMPLES = 10


def main() -> None:
    big = next(p for p in data.plans() if p["name"] == data.COMPANY_WIDE_PLAN_NAME)
    page = f"/plans/{quote(big['api_id'], safe=':')}/"
    remind = f"{page}remind/?state=outstanding"
    report: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds")}
    report["machine"] = machine_facts()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        api = stack.enter_context(demo_api(latency_ms=50))
        env = production_env(api.url, tmp / "off.sqlite3", cache_ttl=0)
        with dashboard(env, server="gunicorn") as url:
            site = Connection(url, browser_headers(env))
            report["participation_calls_cold"] = calls(site, api, f"{page}participation/")
            report["remind_preview_calls_cold"] = calls(site, api, remind)
        env = production_env(api.url, tmp / "on.sqlite3", cache_ttl=600)
        with dashboard(env, server="gunicorn") as url:
            site = Connection(url, browser_headers(env))
            site.get(remind)
            report["remind_preview_warm"] = warm_latency(site, {"page": remind}, SAMPLES)
            report["remind_preview_calls_warm"] = calls(site, api, remind)
    report["targets"] = {
        "remind_preview_calls_cold": report["participation_calls_cold"] + 1,
        "remind_preview_warm_ms": 50,
    }
    out = ROOT / "bench" / "results" / "remind_preview.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "machine"}, indent=2))


if __name__ == "__main__":
    main()
