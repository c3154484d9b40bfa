"""Benchmark: queueing reminders and sending them to a real SMTP server on loopback.

    python bench/reminders.py                 # about half a minute
    python bench/reminders.py --messages 3000

In a fresh SQLite database (a temporary file), as `make serve` configures the dashboard:

1. `reminders.services.queue_reminders` queues one reminder each to N people (default
   3,000; target ≤ 2 s), and `reminder_candidates` then decides about 1,000 of them
   (the cooldown lookup a preview makes; target ≤ 50 ms);
2. `manage.py send_queued_mail` (post-office's command, in a process of its own) sends
   them all to an aiosmtpd server on a free loopback port (target ≤ 60 s), and its
   memory is read after Django has started and at the end (peak): growth ≤ 100 MB.

Prints the figures and writes them to bench/results/reminders.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: import the project's modules

RESULTS = ROOT / "bench" / "results"

# The sender process: Django started, then its memory, then the command, then its peak.
SENDER = """
import json, resource, sys, time
import django
django.setup()
from django.core.management import call_command

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
started_rss = rss_mb()
started = time.perf_counter()
call_command("send_queued_mail", lockfile=sys.argv[1])
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "rss_start_mb": started_rss, "rss_peak_mb": peak,
                  "rss_end_mb": rss_mb()}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(database: Path, smtp_port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("EMAIL_", "PE365_", "DJANGO_", "REMINDER_", "OIDC_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "PE365_DEMO": "1",
            "PE365_APP_URL": "https://pro.weekly10.net",
            "DATABASE_URL": f"sqlite:///{database}",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_USE_TLS": "0",
            "DEFAULT_FROM_EMAIL": "plans-dashboard@example.com",
            "REMINDER_MAX_PER_SEND": "100000",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("DATABASE_URL_TEST", None)
    env.pop("REDIS_URL", None)
    return env


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.recipients: set[str] = set()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.count += 1
        self.recipients.update(envelope.rcpt_tos)  # type: ignore[attr-defined]
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    handler = Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        env = environment(database, controller.port)
        os.environ.update(env)
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command

        from reminders import services

        call_command("migrate", verbosity=0)
        sender = get_user_model().objects.create_user(
            username="hannah", email="hannah@example.com", first_name="Hannah"
        )
        people = [
            services.Person(
                api_id=f"580:person-{n}",
                name=f"Person {n}",
                email=f"person{n}@example.com",
                active=True,
                state="in_progress" if n % 2 else "not_started",
                stage="Self review" if n % 2 else "",
            )
            for n in range(args.messages)
        ]
        started = time.perf_counter()
        queued = services.queue_reminders(
            plan_id="580:bench-plan",
            plan_name="Engagement survey",
            people=people,
            subject="Reminder: Engagement survey",
            message=services.default_reminder_message(plan_name="Engagement survey"),
            sender=sender,
            reply_to=sender.email,
            token=services.new_token(),
            selection={"state": "incomplete"},
        )
        queue_seconds = time.perf_counter() - started

        preview_times = []
        for _ in range(5):
            started = time.perf_counter()
            preview = services.reminder_candidates(plan_id="580:bench-plan", people=people[:1000])
            preview_times.append(time.perf_counter() - started)
        assert len(preview.left_out) == 1000, "all of them are in the cooldown"

        from django.db import connections

        connections.close_all()
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-c", SENDER, str(Path(tmp) / "post_office")],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - started
        sender_figures = json.loads(run.stdout.strip().splitlines()[-1])
        from post_office.models import STATUS, Email

        statuses = {
            label: Email.objects.filter(status=value).count()
            for label, value in (("sent", STATUS.sent), ("failed", STATUS.failed))
        }
    controller.stop()

    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_start": os.getloadavg()[0],
        "messages": queued,
        "queue_seconds": round(queue_seconds, 3),
        "preview_1000_cooldown_ms_median": round(sorted(preview_times)[2] * 1000, 1),
        "send_queued_mail_seconds": round(sender_figures["seconds"], 2),
        "send_queued_mail_wall_seconds_with_start_up": round(wall, 2),
        "sender_rss_start_mb": round(sender_figures["rss_start_mb"], 1),
        "sender_rss_peak_mb": round(sender_figures["rss_peak_mb"], 1),
        "sender_growth_mb": round(
            sender_figures["rss_peak_mb"] - sender_figures["rss_start_mb"], 1
        ),
        "received_by_smtp_server": handler.count,
        "distinct_recipients": len(handler.recipients),
        "statuses": statuses,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reminders.json").write_text(json.dumps(results, indent=2) + "\n")
    targets = {
        "queue_seconds": 2,
        "preview_1000_cooldown_ms_median": 50,
        "send_queued_mail_seconds": 60,
        "sender_growth_mb": 100,
    }
    for key, value in results.items():
        target = f"  (target ≤ {targets[key]})" if key in targets else ""
        print(f"{key:46} {value}{target}")


if __name__ == "__main__":
    main()
