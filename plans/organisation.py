"""The organisation read: every active plan's assigned people, where each stands in it, and
their manager and departments, for the pages that look across plans (`/outstanding/`, the
completion breakdowns, the people pages).

What it reads, all at once on one pool of PE365_CONCURRENCY threads: the plan list (to
know the active plans), each active plan's details (its assigned users), the whole
conversations list and the whole users list. Conversations are read as one list, not per
plan by `plan_name` as participation does: that costs ⌈conversations / 100⌉ calls where
per plan it costs at least one call per active plan (118 against 70 for the demo, 1,000
against about 280 at 1,000 plans).

The result is one value, `Organisation`, kept in the shared cache for
ORGANISATION_MAX_AGE seconds, so every view and person page shares it. A copy older than
ORGANISATION_REFRESH_AFTER is still served, and a read in the background (a thread of
this process, one per process and at most one per interval across workers) replaces it,
so nobody waits for it; `manage.py keep_organisation_fresh` does the same on a schedule.
A page reads it itself (within its budget and call cap) only when no copy is kept and
the first pages say the whole read fits; otherwise it hands the read to the background
and waits for it while its budget lasts.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

from plans import services
from plans.api import caching, clock, reader
from plans.api.client import Client
from plans.api.pages import PAGE_SIZE
from plans.api.paths import CONVERSATIONS_PATH, PLANS_PATH, USERS_PATH, plan_path
from plans.api.results import (
    COMPLETED,
    IN_PROGRESS,
    NOT_STARTED,
    Conversation,
    Department,
    Manager,
    Person,
    PlanDetail,
    PlanSummary,
    Standing,
    User,
)
from plans.exceptions import TooManyRows, UpstreamError, UpstreamUnavailable
from plans.filters import fold
from plans.services import round_started, standing_of

log = logging.getLogger(__name__)

# Seconds after which a kept read is replaced in the background (while still served), and
# after which it is no longer served at all (Django settings of these names override them,
# for tests and deployments that need other intervals).
ORGANISATION_REFRESH_AFTER = 120
ORGANISATION_MAX_AGE = 900
# The background read's own budget: it is no page, so it may take longer and call more.
BACKGROUND_TIMEOUT = 300
BACKGROUND_MAX_CALLS = 50_000
# A kept read may be this big pickled (20,000 people in 1,000 plans: about 12 MB).
MAX_KEPT_BYTES = 64 * 2**20

ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class PlanRef:
    api_id: str
    name: str
    template_name: str
    frequency: str | None


@dataclass(frozen=True, slots=True)
class Assignment:
    """One person assigned to one active plan, where they stand in it, and since when they
    have been expected to act (`waiting_since`, for those still to act)."""

    plan: PlanRef
    user: User
    standing: Standing
    person: Person | None
    waiting_since: datetime | None = None
    # The name as lists sort it (case and accents folded), worked out once per read.
    sort_name: str = ""

    @property
    def departments(self) -> tuple[Department, ...]:
        return self.person.departments if self.person else ()

    @property
    def manager(self) -> Manager | None:
        return self.person.manager if self.person else None

    @property
    def name(self) -> str:
        return (self.person.name if self.person else "") or self.user.name

    @property
    def email(self) -> str:
        return (self.person.email if self.person else "") or self.user.email


@dataclass(frozen=True, slots=True, eq=False)
class Organisation:
    """Every active plan's assignments, and every user by `api_id`; `read_at` is when the
    read began (clock.now()). Compared by identity: what pages derive from a read is kept
    per read (`functools.cache` of one)."""

    read_at: float
    plans: tuple[PlanRef, ...]
    assignments: tuple[Assignment, ...]
    people: dict[str, Person]
    calls: int = 0

    @property
    def read_at_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.read_at, tz=UTC)

    def age(self) -> float:
        return max(clock.now() - self.read_at, 0.0)

    def of_person(self, api_id: str) -> list[Assignment]:
        return [a for a in self.assignments if a.user.api_id == api_id]


class OrganisationBeingRead(UpstreamUnavailable):
    """No read is kept yet and the whole read does not fit in one page: it goes on in the
    background."""

    status_code = 503
    retry_after = 30
    title = "Reading the organisation"
    MESSAGE = (
        "The dashboard is reading every active plan, its people and their conversations "
        "(a thousand calls or more to Perform & Engage 365), which takes longer than one page "
        "may wait. It goes on in the background: reload this page in a minute."
    )
    DETAIL = (
        "The organisation read needs more calls or time than PE365_MAX_CALLS and "
        "PE365_TIMEOUT allow a page; it runs in the background instead. Run "
        "`manage.py keep_organisation_fresh` to keep it read ahead of everyone."
    )

    def __init__(self, *, calls: int, path: str = "") -> None:
        super().__init__(path=path, calls=calls)


class _TooBigForAPage(Exception):
    """The first pages say the read does not fit in the page's budget or call cap: it needs
    about `calls` calls and `seconds` seconds."""

    def __init__(self, calls: int, seconds: float) -> None:
        super().__init__(calls, seconds)
        self.calls = calls
        self.seconds = seconds


def _setting(name: str, default: int) -> int:
    value = getattr(settings, name, default)
    return int(value)


# --- Reading -----------------------------------------------------------------------------


def _page(
    client: Client, path: str, offset: int, limit: int, noun: str, parse: Callable[[Any], Any]
) -> tuple[int, list[Any]]:
    """One page of a list, read into results as it arrives (its JSON goes at once), topped
    up when the API cut it short."""
    count, items = _one_page(client, path, offset, limit, noun)
    while items and len(items) < limit and offset + len(items) < count:
        count, more = _one_page(client, path, offset + len(items), limit - len(items), noun)
        if not more:
            break
        items.extend(more)
    return count, [parse(item) for item in items]


def _one_page(
    client: Client, path: str, offset: int, limit: int, noun: str
) -> tuple[int, list[Any]]:
    data = client.fetch_json(path, {"limit": limit, "offset": offset})
    return reader.list_page(data, path=path, noun=noun, limit=limit)


def _plan_detail(client: Client, api_id: str) -> PlanDetail:
    path = plan_path(api_id)
    return reader.plan_detail(client.fetch_json(path, what="plan"), path=path)


def _plan_summary(item: Any) -> PlanSummary:
    return reader.plan_summary(item, path=PLANS_PATH)


def _person(item: Any) -> Person:
    return reader.person(item, path=USERS_PATH)


def _conversation(item: Any) -> Conversation:
    return reader.conversation(item, path=CONVERSATIONS_PATH)


_LISTS: tuple[tuple[str, str, Callable[[Any], Any]], ...] = (
    ("plans", PLANS_PATH, _plan_summary),
    ("users", USERS_PATH, _person),
    ("conversations", CONVERSATIONS_PATH, _conversation),
)


def read(client: Client, *, fits: bool = False) -> Organisation:
    """The organisation, read now with `client` (every call on its pool, 8 at a time).

    With `fits`, raises `_TooBigForAPage` after the first page of each list when the rest
    would not fit in the client's remaining calls or time.
    Calls: ⌈plans / 100⌉ + ⌈users / 100⌉ + ⌈conversations / 100⌉ + one per active plan.
    """
    read_at = clock.now()
    calls_before = client.calls
    started = clock.monotonic()
    with client.concurrently() as pool:
        firsts = {
            key: pool.submit(_page, client, path, 0, PAGE_SIZE, key, parse)
            for key, path, parse in _LISTS
        }
        counts: dict[str, int] = {}
        first_items: dict[str, list[Any]] = {}
        for key, future in firsts.items():
            counts[key], first_items[key] = future.result()
            if counts[key] > client.max_rows:
                path = next(path for name, path, _ in _LISTS if name == key)
                raise TooManyRows(count=counts[key], max_rows=client.max_rows, noun=key, path=path)
        round_seconds = clock.monotonic() - started
        steps = {key: len(items) or PAGE_SIZE for key, items in first_items.items()}
        remaining_pages = {
            key: math.ceil(max(counts[key] - steps[key], 0) / steps[key]) for key in counts
        }
        # At most every plan is active: the estimate is an upper bound.
        estimate = sum(remaining_pages.values()) + counts["plans"]
        if fits:
            rounds = math.ceil(estimate / client.concurrency)
            if (
                client.calls + estimate > client.max_calls
                or rounds * round_seconds > client.remaining() * 0.8
            ):
                raise _TooBigForAPage(
                    client.calls - calls_before + estimate, (rounds + 1) * round_seconds
                )
        rest: dict[str, list[Future[tuple[int, list[Any]]]]] = {
            key: [
                pool.submit(_page, client, path, offset, steps[key], key, parse)
                for offset in range(steps[key], counts[key], steps[key])
            ]
            for key, path, parse in _LISTS
        }
        plans: list[PlanSummary] = []
        for items in _items(first_items.pop("plans"), rest.pop("plans")):
            plans.extend(items)
        active = _active(plans)
        details = [pool.submit(_plan_detail, client, plan.api_id) for plan in active]
        people: dict[str, Person] = {}
        for items in _items(first_items.pop("users"), rest.pop("users")):
            for person in items:
                if person.api_id:
                    people[person.api_id] = person
        by_plan_person: dict[tuple[str, str], list[Conversation]] = {}
        for items in _items(first_items.pop("conversations"), rest.pop("conversations")):
            for conversation in items:
                if conversation.person_api_id and conversation.plan_api_id:
                    pair = (conversation.plan_api_id, conversation.person_api_id)
                    by_plan_person.setdefault(pair, []).append(conversation)
        plan_details = [future.result() for future in details]
    return _assemble(read_at, plan_details, people, by_plan_person, client.calls - calls_before)


def _items(first: list[Any], rest: Iterable[Future[tuple[int, list[Any]]]]) -> Iterator[list[Any]]:
    yield first
    for future in rest:
        yield future.result()[1]


def _active(plans: Iterable[PlanSummary]) -> list[PlanSummary]:
    seen: set[str] = set()
    active = []
    for plan in plans:
        if plan.status == ACTIVE and plan.api_id and plan.api_id not in seen:
            seen.add(plan.api_id)
            active.append(plan)
    return active


def _assemble(
    read_at: float,
    plans: list[PlanDetail],
    people: dict[str, Person],
    conversations: dict[tuple[str, str], list[Conversation]],
    calls: int,
) -> Organisation:
    people = _canonical(people)
    refs = []
    assignments = []
    # Those not started wait since their plan's first conversation was generated.
    plan_started: dict[str, datetime] = {}
    for (plan_id, _), own in conversations.items():
        for c in own:
            if c.generated and (plan_id not in plan_started or c.generated < plan_started[plan_id]):
                plan_started[plan_id] = c.generated
    for plan in plans:
        ref = PlanRef(
            api_id=plan.api_id,
            name=plan.name,
            template_name=plan.template_name,
            frequency=plan.frequency,
        )
        refs.append(ref)
        seen: set[str] = set()
        for user in plan.assigned_users:
            if user.api_id in seen:
                continue
            seen.add(user.api_id)
            mine = conversations.get((plan.api_id, user.api_id), ())
            standing = standing_of(mine)
            waiting_since = None
            if standing.state == IN_PROGRESS:
                latest = max((c for c in mine if c.counts), key=round_started)
                waiting_since = latest.generated or latest.updated
            elif standing.state == NOT_STARTED:
                waiting_since = plan_started.get(plan.api_id)
            person = people.get(user.api_id)
            assignments.append(
                Assignment(
                    plan=ref,
                    user=user,
                    standing=standing,
                    person=person,
                    waiting_since=waiting_since,
                    sort_name=fold((person.name if person else "") or user.name),
                )
            )
    return Organisation(
        read_at=read_at,
        plans=tuple(refs),
        assignments=tuple(assignments),
        people=people,
        calls=calls,
    )


def _canonical(people: dict[str, Person]) -> dict[str, Person]:
    """The people with one object per department and per manager, not one per person: the
    read holds (and pickles) each once."""
    departments: dict[Department, Department] = {}
    managers: dict[Manager, Manager] = {}
    return {
        key: replace(
            person,
            departments=tuple(departments.setdefault(d, d) for d in person.departments),
            manager=managers.setdefault(person.manager, person.manager) if person.manager else None,
        )
        for key, person in people.items()
    }


# --- Keeping it --------------------------------------------------------------------------


@dataclass
class _Local:
    """This process's unpickled copy of the kept read (the shared cache's entry, checked
    against the entry's stamp on every use), so a warm page does not unpickle megabytes."""

    key: str = ""
    org: Organisation | None = None


_local = _Local()
_local_guard = threading.Lock()
_background_guard = threading.Lock()
_background: Future[Organisation] | None = None
# When the background read under way is expected to end (clock.monotonic()), as estimated
# by the page that handed it over.
_background_due = 0.0


def _keys(client: Client) -> tuple[str, str]:
    data = client.shared_key("organisation")
    return data, data + ":stamp"


def _in_process_cache() -> bool:
    """Whether the shared cache is this process's own (LocMemCache): the process's copy
    is then all there is to share, and pickling the read into it would hold it twice."""
    return isinstance(caches["default"], LocMemCache)


def kept(client: Client) -> Organisation | None:
    """The kept read, if there is one young enough to serve."""
    data_key, stamp_key = _keys(client)
    stamp = caching.shared_get(stamp_key)
    if stamp is None:
        return None
    with _local_guard:
        if _local.key == data_key and _local.org is not None and _local.org.read_at == stamp[1]:
            org: Organisation | None = _local.org
        elif _in_process_cache():
            org = None
        else:
            entry = caching.shared_get(data_key)
            org = entry[1] if entry is not None else None
            if org is not None:
                _local.key, _local.org = data_key, org
    if org is None or org.age() > _setting("ORGANISATION_MAX_AGE", ORGANISATION_MAX_AGE):
        return None
    return org


def keep(client: Client, org: Organisation) -> None:
    """Share `org` with every worker for ORGANISATION_MAX_AGE seconds: the read in the
    shared cache (Redis), its stamp there, and this process's copy."""
    data_key, stamp_key = _keys(client)
    ttl = _setting("ORGANISATION_MAX_AGE", ORGANISATION_MAX_AGE)
    if not _in_process_cache():
        caching.shared_set(data_key, (org.read_at, org), ttl, max_bytes=MAX_KEPT_BYTES)
    caching.shared_set(stamp_key, (org.read_at, org.read_at), ttl)
    with _local_guard:
        _local.key, _local.org = data_key, org


def background_client() -> Client:
    """A client for a read no page waits on: its own, longer budget; never the cache's copy."""
    client = Client.from_settings(bypass_cache=True, timeout=BACKGROUND_TIMEOUT)
    client.max_calls = BACKGROUND_MAX_CALLS
    return client


def read_and_keep(client: Client) -> Organisation:
    """Read the organisation with `client` and keep it (the management command's step)."""
    org = read(client)
    if client.cache_ttl:
        keep(client, org)
    log.info("organisation read: %d plans, %d calls", len(org.plans), org.calls)
    return org


def start_background_read() -> Future[Organisation]:
    """The background read under way in this process, started if there is none."""
    global _background
    with _background_guard:
        if _background is not None and not _background.done():
            return _background
        future: Future[Organisation] = Future()
        _background = future

    def run() -> None:
        try:
            future.set_result(read_and_keep(background_client()))
        except BaseException as error:  # handed to whoever waits; logged for the rest
            log.warning("organisation read in the background failed: %s", error)
            future.set_exception(error)

    threading.Thread(target=run, name="pe365-organisation", daemon=True).start()
    return future


def _refresh_soon(client: Client, org: Organisation) -> None:
    """Start a background read when `org` is due for one (one worker per interval)."""
    refresh_after = _setting("ORGANISATION_REFRESH_AFTER", ORGANISATION_REFRESH_AFTER)
    if org.age() < refresh_after:
        return
    with _background_guard:
        if _background is not None and not _background.done():
            return
    if caching.claim(client.shared_key("organisation:refreshing"), refresh_after):
        start_background_read()


@dataclass(frozen=True, slots=True)
class Read:
    """What a page shows: the read, and whether a newer one is under way."""

    org: Organisation
    refreshing: bool = False


def organisation(client: Client) -> Read:
    """The organisation for a page: the kept read when there is one (a Refresh, or a copy
    due for renewal, starts a new read beside it), else read now.

    Raises `OrganisationBeingRead` when nothing is kept and the read does not fit in the
    page: it is then read in the background, and the page waits for it while its budget
    lasts.
    """
    global _background_due
    cached = client.cache_ttl and not client.bypass_cache
    org = kept(client) if client.cache_ttl else None
    if org is not None and cached:
        _refresh_soon(client, org)
        client.saw(org.read_at)
        return Read(org)
    under_way = _background_under_way()
    if org is None and under_way is not None:
        # Nothing kept and a read already going on: wait for it if it may end in time.
        if _background_due - clock.monotonic() >= client.remaining():
            raise OrganisationBeingRead(calls=0, path=CONVERSATIONS_PATH)
        return _wait_for(client, under_way, calls=0)
    try:
        fresh = caching.single_flight(
            client.shared_key("organisation:reading"),
            lambda: (clock.now(), _read_for_page(client)),
            wait_seconds=client.remaining(),
        )[1]
    except _TooBigForAPage as too_big:
        background = start_background_read()
        _background_due = clock.monotonic() + too_big.seconds
        if org is not None:  # a Refresh of a kept read: show it while the new one is read
            client.saw(org.read_at)
            return Read(org, refreshing=True)
        if too_big.seconds >= client.remaining():
            raise OrganisationBeingRead(calls=too_big.calls, path=CONVERSATIONS_PATH) from None
        return _wait_for(client, background, calls=too_big.calls)
    except TimeoutError:
        raise OrganisationBeingRead(calls=0, path=CONVERSATIONS_PATH) from None
    client.saw(fresh.read_at)
    return Read(fresh)


def _background_under_way() -> Future[Organisation] | None:
    with _background_guard:
        return _background if _background is not None and not _background.done() else None


def _wait_for(client: Client, reading: Future[Organisation], *, calls: int) -> Read:
    """The background read's result, if it comes while the page's budget lasts."""
    try:
        fresh = reading.result(timeout=max(client.remaining() - 0.5, 0))
    except TimeoutError:
        raise OrganisationBeingRead(calls=calls, path=CONVERSATIONS_PATH) from None
    client.saw(fresh.read_at)
    return Read(fresh)


def _read_for_page(client: Client) -> Organisation:
    org = read(client, fits=True)
    if client.cache_ttl:
        keep(client, org)
    return org


def keep_fresh(*, once: bool = False, stop: threading.Event | None = None) -> None:
    """Read the organisation every ORGANISATION_REFRESH_AFTER seconds (the management
    command): pages then always find a young copy."""
    stop = stop or threading.Event()
    while not stop.is_set():
        began = time.monotonic()
        try:
            read_and_keep(background_client())
        except UpstreamError as error:
            log.warning("organisation read failed: %s", error.detail)
        if once:
            return
        interval = _setting("ORGANISATION_REFRESH_AFTER", ORGANISATION_REFRESH_AFTER)
        stop.wait(max(interval - (time.monotonic() - began), 1))


# --- Selections --------------------------------------------------------------------------

STILL_TO_ACT_STATES = (IN_PROGRESS, NOT_STARTED)
NO_MANAGER = "none"


@lru_cache(maxsize=1)
def still_to_act(org: Organisation) -> tuple[Assignment, ...]:
    """The read's assignments in progress or not started, by name (worked out once a read)."""
    chosen = [a for a in org.assignments if a.standing.state in STILL_TO_ACT_STATES]
    chosen.sort(key=lambda a: (a.sort_name, a.user.api_id, a.plan.name))
    return tuple(chosen)


def outstanding(
    org: Organisation,
    *,
    template: str = "",
    plan: str = "",
    department: str = "",
    manager: str = "",
    state: str = "",
) -> list[Assignment]:
    """Assignments still to act on (in progress or not started), as the filters choose.

    `template` is a template name; `plan`, `department` and `manager` are `api_id`s
    (`manager` may be NO_MANAGER); `state` is IN_PROGRESS or NOT_STARTED, or empty for both.
    """
    chosen = []
    for a in still_to_act(org):
        if state and a.standing.state != state:
            continue
        if template and a.plan.template_name != template:
            continue
        if plan and a.plan.api_id != plan:
            continue
        if department and department not in {d.api_id for d in a.departments}:
            continue
        if manager == NO_MANAGER:
            if a.manager is not None:
                continue
        elif manager and (a.manager is None or a.manager.api_id != manager):
            continue
        chosen.append(a)
    return chosen


@lru_cache(maxsize=1)
def filter_choices(org: Organisation) -> dict[str, list[tuple[str, str]]]:
    """What the filters of `/outstanding/` offer: the values the active plans' people have
    (a manager labelled with their e-mail, as namesakes manage teams too)."""
    templates = sorted({p.template_name for p in org.plans if p.template_name}, key=fold)
    plans = sorted(((p.api_id, p.name or "(unnamed plan)") for p in org.plans), key=_by_label)
    departments: dict[str, str] = {}
    managers: dict[str, str] = {}
    for a in org.assignments:
        for d in a.departments:
            departments.setdefault(d.api_id, d.name)
        if a.manager:
            managers.setdefault(a.manager.api_id, f"{a.manager.name} ({a.manager.email})")
    return {
        "templates": [(t, t) for t in templates],
        "plans": plans,
        "departments": sorted(departments.items(), key=_by_label),
        "managers": [*sorted(managers.items(), key=_by_label), (NO_MANAGER, "No manager")],
    }


def _by_label(item: tuple[str, str]) -> tuple[str, str]:
    return fold(item[1]), item[0]


@dataclass(frozen=True, slots=True)
class ManagerGroup:
    """A manager (None: people without one) and their people still to act."""

    manager: Manager | None
    assignments: tuple[Assignment, ...]

    @property
    def count(self) -> int:
        return len(self.assignments)

    @property
    def people(self) -> int:
        return len({a.user.api_id for a in self.assignments})


def by_manager(assignments: Iterable[Assignment]) -> list[ManagerGroup]:
    """Grouped by manager, the most outstanding first (then by name); people without a
    manager last, as nobody can be asked to chase them."""
    groups: dict[str, list[Assignment]] = {}
    managers: dict[str, Manager | None] = {}
    for a in assignments:
        key = a.manager.api_id if a.manager else ""
        groups.setdefault(key, []).append(a)
        managers.setdefault(key, a.manager)
    # `assignments` come by name (still_to_act), so each group keeps that order.
    result = [
        ManagerGroup(manager=managers[key], assignments=tuple(items))
        for key, items in groups.items()
    ]
    result.sort(
        key=lambda g: (
            g.manager is None,
            -g.count,
            fold(g.manager.name) if g.manager else "",
        )
    )
    return result


@dataclass(frozen=True, slots=True)
class Completion:
    """Assignments of one group (a department, a manager, a template) by state."""

    key: str
    label: str
    email: str
    assigned: int
    completed: int
    in_progress: int
    not_started: int

    @property
    def percent_completed(self) -> int:
        return round(100 * self.completed / self.assigned) if self.assigned else 0


def _completion(groups: dict[str, tuple[str, str, list[str]]]) -> list[Completion]:
    rows = []
    for key, (label, email, states) in groups.items():
        rows.append(
            Completion(
                key=key,
                label=label,
                email=email,
                assigned=len(states),
                completed=states.count(COMPLETED),
                in_progress=states.count(IN_PROGRESS),
                not_started=states.count(NOT_STARTED),
            )
        )
    rows.sort(key=lambda row: (row.key == "", -row.assigned, fold(row.label)))
    return rows


@lru_cache(maxsize=1)
def completion_by_department(org: Organisation) -> list[Completion]:
    """Per department (a person in two departments counts in both; "" for none)."""
    groups: dict[str, tuple[str, str, list[str]]] = {}
    for a in org.assignments:
        for d in a.departments or (Department(api_id="", name=""),):
            groups.setdefault(d.api_id, (d.name, "", []))[2].append(a.standing.state)
    return _completion(groups)


@lru_cache(maxsize=1)
def completion_by_manager(org: Organisation) -> list[Completion]:
    groups: dict[str, tuple[str, str, list[str]]] = {}
    for a in org.assignments:
        m = a.manager
        key, label, email = (m.api_id, m.name, m.email) if m else ("", "", "")
        groups.setdefault(key, (label, email, []))[2].append(a.standing.state)
    return _completion(groups)


@lru_cache(maxsize=1)
def completion_by_template(org: Organisation) -> list[Completion]:
    """Per template: all assigned people of its active plans, by where their current round
    stands (the participation definition)."""
    groups: dict[str, tuple[str, str, list[str]]] = {}
    for a in org.assignments:
        name = a.plan.template_name
        groups.setdefault(name, (name, "", []))[2].append(a.standing.state)
    return _completion(groups)


@lru_cache(maxsize=1)
def totals(org: Organisation) -> Completion:
    states = [a.standing.state for a in org.assignments]
    return Completion(
        key="*",
        label="All active plans",
        email="",
        assigned=len(states),
        completed=states.count(COMPLETED),
        in_progress=states.count(IN_PROGRESS),
        not_started=states.count(NOT_STARTED),
    )


# --- Data that needs fixing ---------------------------------------------------------------

NOT_LISTED = "not_listed"
NO_MANAGER_ISSUE = "no_manager"
NO_DEPARTMENT = "no_department"
INACTIVE = "inactive"
ISSUE_LABELS = {
    NOT_LISTED: "Not in the users list",
    NO_MANAGER_ISSUE: "No manager",
    NO_DEPARTMENT: "No department",
    INACTIVE: "Inactive",
}


@dataclass(frozen=True, slots=True)
class DataIssue:
    """A person in active plans whose record needs fixing, and those plans."""

    user: User
    person: Person | None
    issues: tuple[str, ...]
    plans: tuple[PlanRef, ...]

    @property
    def name(self) -> str:
        return (self.person.name if self.person else "") or self.user.name

    @property
    def email(self) -> str:
        return (self.person.email if self.person else "") or self.user.email

    @property
    def issue_labels(self) -> list[str]:
        return [ISSUE_LABELS[issue] for issue in self.issues]


def _issues(a: Assignment) -> tuple[str, ...]:
    if a.person is None:
        return (NOT_LISTED,)
    found = []
    if a.person.manager is None:
        found.append(NO_MANAGER_ISSUE)
    if not a.person.departments:
        found.append(NO_DEPARTMENT)
    if a.person.active is False:
        found.append(INACTIVE)
    return tuple(found)


@lru_cache(maxsize=1)
def issue_counts(org: Organisation) -> dict[str, int]:
    """How many people have each kind of record to fix, and "" how many have any."""
    counts = dict.fromkeys(ISSUE_LABELS, 0)
    rows = data_issues(org)
    for row in rows:
        for found in row.issues:
            counts[found] += 1
    counts[""] = len(rows)
    return counts


def data_issues(org: Organisation, *, issue: str = "") -> list[DataIssue]:
    """People in active plans with no manager, no department, inactive, or missing from the
    users list (`issue` keeps one kind), each with their active plans, by name."""
    people: dict[str, tuple[Assignment, tuple[str, ...], list[PlanRef]]] = {}
    for a in org.assignments:
        found = _issues(a)
        if not found or (issue and issue not in found):
            continue
        people.setdefault(a.user.api_id, (a, found, []))[2].append(a.plan)
    rows = [
        DataIssue(user=a.user, person=a.person, issues=found, plans=tuple(plans))
        for a, found, plans in people.values()
    ]
    rows.sort(key=lambda row: (fold(row.name), row.user.api_id))
    return rows


__all__ = [
    "Assignment",
    "Completion",
    "DataIssue",
    "ManagerGroup",
    "Organisation",
    "OrganisationBeingRead",
    "PlanRef",
    "Read",
    "by_manager",
    "completion_by_department",
    "completion_by_manager",
    "completion_by_template",
    "data_issues",
    "organisation",
    "outstanding",
    "services",
]
