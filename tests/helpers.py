"""Helpers for the tests: the fake API's addresses, sample payloads and the calls a view is
expected to make (`responses`), a test client of the API, a clock tests move, and a
process's memory."""

import base64
import datetime
import json
import threading
import time
from pathlib import Path

from responses import matchers

from plans.api.client import Client

FIXTURES = Path(__file__).parent / "fixtures"
API = "https://pe365.test"
PLANS_URL = f"{API}/api/v2/conversation_plans/"
PLAN_ID = "580:58f96337-f9c3-4ea0-88ed-7ad612670078"
PLAN_URL = f"{PLANS_URL}580%3A58f96337-f9c3-4ea0-88ed-7ad612670078/"
# The plan page's side panels, a page of their own (plans:panels).
PANELS = f"/plans/{PLAN_ID}/panels/"
TEMPLATE_ID = "580:55a31458-d71a-4962-841a-048439073239"
TEMPLATE_URL = f"{API}/api/v2/conversation_templates/580%3A55a31458-d71a-4962-841a-048439073239/"
CONVERSATIONS_URL = f"{API}/api/v2/conversations/"
# The columns of a plan's users.csv, in order: who, then where they stand in the plan.
USERS_CSV_HEADER = [
    "Name",
    "Email",
    "User ID",
    "State",
    "Stage",
    "Completed on",
    "Rounds completed",
    "Department",
    "Manager",
    "Manager email",
]
AUTH_HEADER = "Basic " + base64.b64encode(b"dashboard-bot:test-api-key-0123456789").decode()


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def plan_item(n: int, **overrides) -> dict:
    """A list item shaped like the vendor article's example."""
    item = {
        "name": f"Plan {n:03d}",
        "api_id": f"580:00000000-0000-4000-8000-{n:012d}",
        "template_name": "Engagement Survey",
        "template_api_id": "580:55a31458-d71a-4962-841a-048439073239",
        "status": "active" if n % 2 else "draft",
        "frequency": "Every 4 weeks" if n % 3 else None,
    }
    item.update(overrides)
    return item


def plan_page(count: int, start: int, size: int) -> dict:
    """A DRF page of `size` generated plans starting at `start` (next/previous left out)."""
    stop = min(start + size, count)
    return {
        "count": count,
        "next": None,
        "previous": None,
        "results": [plan_item(n) for n in range(start, stop)],
    }


def conversation(n: int, *, completed: str | None = None) -> dict:
    """A conversation list item; `completed` set makes it a final one."""
    return {
        "api_id": f"00000000-0000-4000-8000-{n:012d}".upper(),
        "plan_name": "Engagement survey",
        "plan_api_id": "580:58f96337-f9c3-4ea0-88ed-7ad612670078",
        "stage_name": "Final" if completed else "Employee input",
        "status": "final" if completed else "draft",
        "updated_date": completed or "2026-01-05T08:00:00Z",
        "completed_date": completed,
        "person_api_id": f"582:{n}",
        "person_name": f"Person {n}",
    }


def expect_extras(
    upstream,
    *,
    drafts: int = 4,
    finals=None,
    template=None,
    plan_name: str = "Engagement survey",
    **template_options,
):
    """The panels' calls: the template, and the conversations with the plan's name (one
    page): `drafts` drafts and `finals` (by default one completed on 2 March 2026)."""
    finals = finals if finals is not None else [conversation(1, completed="2026-03-02T10:00:00Z")]
    upstream.get(
        TEMPLATE_URL, json=template or load_fixture("template_detail.json"), **template_options
    )
    drafts_of_people = [conversation(100 + n) for n in range(drafts)]
    expect_plan_conversations(upstream, drafts_of_people + list(finals), plan_name=plan_name)


def make_client(**overrides) -> Client:
    options = dict(
        root="https://pe365.test",
        username="dashboard-bot",
        api_key="test-api-key-0123456789",
        timeout=10,
        cache_ttl=0,
    )
    options.update(overrides)
    return Client(**options)


class FakeClock:
    """Stands in for plans.api.clock: its time moves only when `advance` is called."""

    def __init__(self) -> None:
        self._monotonic = 1000.0
        self._now = time.time()

    def monotonic(self) -> float:
        return self._monotonic

    def now(self) -> float:
        return self._now

    def datetime(self) -> datetime.datetime:
        """Now as Django reads it (timezone.now): an aware datetime in UTC."""
        return datetime.datetime.fromtimestamp(self._now, datetime.UTC)

    def advance(self, seconds: float = 0.0, **delta: float) -> None:
        """Moves time on by `seconds` plus any timedelta keywords (days=, hours=, ...)."""
        seconds += datetime.timedelta(**delta).total_seconds()
        self._monotonic += seconds
        self._now += seconds


# How long a test waits for other threads to reach a point before it fails.
PATIENCE = 10


class FlightJoins:
    """How many callers have joined a fetch under way (fixture `flight_joins`)."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = threading.Condition()

    def joined(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def wait_for(self, count: int) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self.count >= count, PATIENCE), self.count


def empty_page_once_joined(joins: FlightJoins, followers: int):
    """A `responses` callback: an empty plan list, answered once `followers` callers
    have joined the fetch, so that they all share it."""

    def answer(request):
        joins.wait_for(followers)
        return 200, {}, '{"count": 0, "results": []}'

    return answer


def in_threads(target, count: int) -> None:
    """Run `target` on `count` threads at once and wait for them all."""
    start = threading.Barrier(count)

    def run() -> None:
        start.wait(PATIENCE)
        target()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def expect_all(upstream, *, count=137, page_size=100, filters=None, items=None):
    """The pages plan_list_all reads: the first asks for 100 rows, and once it has served
    `page_size`, the others ask for `page_size` rows each at offsets 1, 2, … page sizes."""
    items = items if items is not None else [plan_item(n) for n in range(count)]
    for offset in range(0, max(len(items), 1), page_size):
        upstream.get(
            PLANS_URL,
            json={"count": len(items), "results": items[offset : offset + page_size]},
            match=[
                matchers.query_param_matcher(
                    {
                        **(filters or {}),
                        "limit": str(100 if offset == 0 else page_size),
                        "offset": str(offset),
                    }
                )
            ],
        )


# --- Participation and people ------------------------------------------------------------

USERS_URL = f"{API}/api/v2/users/"
# A plan that shares the fixture plan's name ("Engagement survey").
OTHER_PLAN_ID = "580:99999999-0000-4000-8000-000000000000"


def plan_conversation(
    person: int,
    *,
    status: str = "draft",
    generated: str | None = "2026-03-01T09:00:00Z",
    updated: str = "2026-03-05T09:00:00Z",
    stage: str | None = None,
    plan_api_id: str = PLAN_ID,
    plan_name: str = "Engagement survey",
    person_name: str | None = None,
) -> dict:
    """A conversation of person `582:<person>` in a plan, with every documented field."""
    final = status == "final"
    return {
        "api_id": f"{person}-{status}-{generated or updated}",
        "template_api_id": TEMPLATE_ID,
        "template_name": "Engagement Survey",
        "plan_name": plan_name,
        "plan_api_id": plan_api_id,
        "stage_name": stage or ("Final" if final else "Employee input"),
        "stage_api_id": "5A0E0000-0000-4000-8000-000000000001",
        "status": status,
        "updated_date": updated,
        "completed_date": updated if final else None,
        "generated_date": generated,
        "person_api_id": f"582:{person}",
        "person_name": person_name or f"Person {person}",
    }


def assignee(person: int, name: str | None = None, email: str | None = None) -> dict:
    return {
        "api_id": f"582:{person}",
        "name": name or f"Person {person}",
        "email": email or f"person{person}@example.com",
    }


def expect_pages(upstream, url: str, params: dict, items: list, *, page_size: int = 100):
    """Every page read_all asks for: limit=100, offset = rows so far, exact filters and auth."""
    for offset in range(0, max(len(items), 1), page_size):
        upstream.get(
            url,
            json={"count": len(items), "results": items[offset : offset + page_size]},
            match=[
                matchers.query_param_matcher({**params, "limit": "100", "offset": str(offset)}),
                matchers.header_matcher({"Authorization": AUTH_HEADER}),
            ],
        )


def expect_plan_conversations(upstream, items: list, *, plan_name: str = "Engagement survey"):
    expect_pages(upstream, CONVERSATIONS_URL, {"plan_name": plan_name}, items)


def expect_plan_people(upstream, conversations: list, people: list | tuple = ()) -> None:
    """What a plan's people table reads besides the plan: its conversations and the users
    endpoint (every page, no filter)."""
    expect_plan_conversations(upstream, conversations)
    expect_pages(upstream, USERS_URL, {}, list(people))


def person_record(person: int, name: str | None = None, **overrides) -> dict:
    """A user as the users endpoint lists them."""
    record = {
        "api_id": f"582:{person}",
        "name": name or f"Person {person}",
        "email": f"person{person}@example.com",
        "departments": [{"api_id": "442:1", "name": "Finance"}],
        "manager": {"name": "Mia Boss", "email": "mia@example.com", "api_id": "582:900"},
        "is_active": True,
    }
    record.update(overrides)
    return record


def process_serving(url: str) -> int:
    """The id of the local process started with `url`'s host:port on its command line."""
    address = url.removeprefix("http://").encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if address in command:
            return int(proc.name)
    raise LookupError(f"no process serves {url}")


def resident_mb(pid: int) -> float:
    """A process's resident memory (VmRSS) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for process {pid}")


# --- The organisation read (plans.organisation) --------------------------------------------

LIST_FIELDS = ("name", "api_id", "template_name", "template_api_id", "status", "frequency")


def org_plan(
    n: int, users: list[dict], *, status: str = "active", name: str | None = None, **overrides
) -> dict:
    """A plan in detail form (its assigned users), shaped like the vendor article's."""
    plan = {
        **plan_item(n, status=status, name=name or f"Plan {n:03d}"),
        "assigned_users": users,
        "assigned_departments": [],
    }
    plan.update(overrides)
    return plan


def plan_detail_url(api_id: str) -> str:
    from urllib.parse import quote

    return f"{PLANS_URL}{quote(api_id, safe='')}/"


def expect_organisation(upstream, *, plans: list[dict], people: list[dict], conversations: list):
    """The organisation read's calls: every page of the plans, users and conversations
    (no filter, limit=100), then the details of each active plan."""
    items = [{key: plan[key] for key in LIST_FIELDS} for plan in plans]
    expect_pages(upstream, PLANS_URL, {}, items)
    expect_pages(upstream, USERS_URL, {}, people)
    expect_pages(upstream, CONVERSATIONS_URL, {}, conversations)
    for plan in plans:
        if plan["status"] == "active":
            upstream.get(
                plan_detail_url(plan["api_id"]),
                json=plan,
                match=[
                    matchers.query_param_matcher({}),
                    matchers.header_matcher({"Authorization": AUTH_HEADER}),
                ],
            )


# --- Mail: a real SMTP server on loopback (aiosmtpd) and a hung one ---------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CollectingHandler:
    """aiosmtpd handler keeping every message it accepts; `refuse` answers DATA with it."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refuse: str | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        import email
        from email import policy

        if self.refuse:
            return self.refuse
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"


class HungSMTPServer:
    """Accepts connections and never says a word: the sender must give up on its own."""

    def __init__(self) -> None:
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        self.sock.close()
        for connection in self.held:
            connection.close()


def reminder_person(n: int, **overrides):
    """Someone still to act on a plan, as reminders.services.reminder_candidates takes them."""
    from reminders.services import Person

    fields = {
        "api_id": f"580:person-{n}",
        "name": f"Person {n}",
        "email": f"person{n}@example.com",
        "active": True,
        "state": "not_started",
        "stage": "",
        "since": None,
    }
    fields.update(overrides)
    return Person(**fields)


def text_and_html(message) -> tuple[str, str]:
    """The plain-text and HTML parts of a received message."""
    return (
        message.get_body(preferencelist=("plain",)).get_content(),
        message.get_body(preferencelist=("html",)).get_content(),
    )
