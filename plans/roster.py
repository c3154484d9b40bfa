"""A plan's people as a chase runs through them: who they are, where they stand, their
departments and manager, and the selection a page, an export or a reminder makes.

One place for the selection (`select`) so the people table, `users.csv` and the
reminders choose exactly the same people for the same query.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from plans import services
from plans.api import clock
from plans.api.paths import CONVERSATIONS_PATH
from plans.api.results import Department, Manager, Participation, Person, Standing, User
from plans.filters import fold

# The `state` filter's values: the three states and "everyone still to act".
STILL_TO_ACT = "to_act"
# The `department` and `manager` filters' value for people without one.
NOBODY = "none"


@dataclass(frozen=True, slots=True)
class Member:
    """One assigned person of a plan: the plan's record of them, where they stand, and the
    users endpoint's record (None when the users endpoint does not list them)."""

    user: User
    standing: Standing
    person: Person | None
    # What the search box matches, folded once (`_words`); empty: worked out when asked.
    words: str = field(default="", compare=False, repr=False)

    @property
    def departments(self) -> tuple[Department, ...]:
        return self.person.departments if self.person else ()

    @property
    def manager(self) -> Manager | None:
        return self.person.manager if self.person else None

    @property
    def active(self) -> bool | None:
        return self.person.active if self.person else None


@dataclass(frozen=True, slots=True)
class Roster:
    """Every assigned person of a plan, in the plan's order, with the plan's totals."""

    members: tuple[Member, ...]
    participation: Participation
    # What pages work out from every member and keep with the roster (`teams`).
    derived: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def teams(self, *, by: str, min_size: int = 1) -> list[Team]:
        """`teams(self.members, …)`, worked out once per roster (it is kept while fresh)."""
        key = ("teams", by, min_size)
        if key not in self.derived:
            self.derived[key] = teams(self.members, by=by, min_size=min_size)
        found: list[Team] = self.derived[key]
        return found


def plan_roster(*, client: services.Client, plan: services.PlanDetail) -> Roster:
    """The plan's participation joined with the users endpoint, both read concurrently.

    Calls: those of `plan_participation` and of `people_all` (each kept in the shared
    cache), at the same time. With the shared cache on, the joined roster is also kept
    decoded in this process (`_kept`) while its sources are fresh, so a warm page does
    not decode thousands of people and standings again.
    """
    if not client.cache_ttl:
        return _joined(client, plan)
    params: dict[str, str | int] = {"plan_name": plan.name, "plan_api_id": plan.api_id}
    # A small shared value naming the current build: a Refresh anywhere makes a new one,
    # so every process then builds its roster again from the fresh sources.
    stamp = client.get_assembled("roster-stamp", CONVERSATIONS_PATH, params, clock.now)
    key = (client.root, plan.api_id, plan.name)
    with _kept_lock:
        kept = _kept.get(key)
        if kept and kept[0] == stamp and clock.now() < kept[1] + client.cache_ttl:
            _kept.move_to_end(key)
            client._saw(kept[1])  # the page's "Data as of": when its sources were read
            return kept[2]
    roster = _joined(client, plan)
    as_of = client.fetched_at or clock.now()
    with _kept_lock:
        _kept[key] = (stamp, as_of, roster)
        _kept.move_to_end(key)
        while len(_kept) > KEPT_ROSTERS:
            _kept.popitem(last=False)
    return roster


# Rosters kept decoded in this process: a 3,000-person plan's is a few MB.
KEPT_ROSTERS = 4
_kept: OrderedDict[tuple[str, str, str], tuple[Any, float, Roster]] = OrderedDict()
_kept_lock = threading.Lock()


def _joined(client: services.Client, plan: services.PlanDetail) -> Roster:
    with client.concurrently() as pool:
        people_future = pool.submit(services.people_all, client=client)
        participation = services.plan_participation(client=client, plan=plan)
        people = people_future.result()
    members = []
    for p in participation.participants:
        member = Member(user=p.user, standing=p.standing, person=people.get(p.user.api_id))
        members.append(
            Member(user=p.user, standing=p.standing, person=member.person, words=_words(member))
        )
    return Roster(members=tuple(members), participation=participation)


def _words(member: Member) -> str:
    """What the search box matches: name, the e-mail before its @, departments, manager."""
    parts = [member.user.name, member.user.email.partition("@")[0]]
    parts.extend(department.name for department in member.departments)
    if member.manager:
        parts.append(member.manager.name)
    return fold(" ".join(parts))


def matches(member: Member, query: str) -> bool:
    """Every word of `query` is found in the member's words (case- and accent-insensitive)."""
    words = member.words or _words(member)
    return all(word in words for word in fold(query).split())


def select(
    members: Iterable[Member],
    *,
    state: str = "",
    q: str = "",
    department: str = "",
    manager: str = "",
) -> list[Member]:
    """The members the filters choose, in their order.

    `state` is a state (`services.COMPLETED`, `IN_PROGRESS`, `NOT_STARTED`) or
    STILL_TO_ACT; `department` a department's `api_id`; `manager` a manager's `api_id`;
    NOBODY for either chooses the people without one. Empty filters choose everyone.
    """
    needles = fold(q).split()
    chosen = []
    for member in members:
        if state == STILL_TO_ACT and member.standing.state == services.COMPLETED:
            continue
        if state and state != STILL_TO_ACT and member.standing.state != state:
            continue
        if department and not _in_department(member, department):
            continue
        if manager and not _under_manager(member, manager):
            continue
        if needles:
            words = member.words or _words(member)
            if not all(needle in words for needle in needles):
                continue
        chosen.append(member)
    return chosen


def _in_department(member: Member, department: str) -> bool:
    if department == NOBODY:
        return not member.departments
    return any(d.api_id == department for d in member.departments)


def _under_manager(member: Member, manager: str) -> bool:
    if manager == NOBODY:
        return member.manager is None
    return member.manager is not None and member.manager.api_id == manager


def counts_by_state(members: Sequence[Member]) -> dict[str, int]:
    """How many members are in each state, and how many are still to act."""
    counts = {services.COMPLETED: 0, services.IN_PROGRESS: 0, services.NOT_STARTED: 0}
    for member in members:
        counts[member.standing.state] = counts.get(member.standing.state, 0) + 1
    counts[STILL_TO_ACT] = len(members) - counts[services.COMPLETED]
    return counts


# --- Completion by team -----------------------------------------------------------------

BY_DEPARTMENT = "department"
BY_MANAGER = "manager"
# The group that folds those smaller than the minimum size (`teams(min_size=…)`).
OTHER = "other"


@dataclass(frozen=True, slots=True)
class Team:
    """One department's or manager's people in a plan, and how far they are.

    `key` is the `department` / `manager` filter that shows them (NOBODY for the people
    without one, OTHER for the folded small groups, which no one filter shows).
    """

    key: str
    name: str
    email: str
    people: int
    completed: int
    in_progress: int
    not_started: int

    @property
    def percent_completed(self) -> int:
        return round(100 * self.completed / self.people) if self.people else 0

    @property
    def sort_name(self) -> tuple[int, str]:
        # The named groups first, then "No department" / "No manager", then "Other".
        rank = {NOBODY: 1, OTHER: 2}.get(self.key, 0)
        return rank, fold(self.name)


def _groups(member: Member, by: str) -> list[tuple[str, str, str]]:
    """The (key, name, e-mail) of each group `member` counts in: every department they
    are in (a person in two departments counts in both), or their manager."""
    if by == BY_DEPARTMENT:
        found = [(d.api_id, d.name, "") for d in member.departments]
        return found or [(NOBODY, "No department", "")]
    if member.manager is None:
        return [(NOBODY, "No manager", "")]
    return [(member.manager.api_id, member.manager.name, member.manager.email)]


def teams(members: Iterable[Member], *, by: str, min_size: int = 1) -> list[Team]:
    """Completion by department or by manager (`by`), in name order; groups of fewer than
    `min_size` people fold into one "Other" group (the people without a department or a
    manager stay a group of their own)."""
    names: dict[str, tuple[str, str]] = {}
    counts: dict[str, list[int]] = {}
    for member in members:
        index = _STATE_INDEX[member.standing.state]
        for key, name, email in _groups(member, by):
            names.setdefault(key, (name, email))
            tally = counts.setdefault(key, [0, 0, 0])
            tally[index] += 1
    found = [
        Team(
            key=key,
            name=names[key][0],
            email=names[key][1],
            people=sum(tally),
            completed=tally[0],
            in_progress=tally[1],
            not_started=tally[2],
        )
        for key, tally in counts.items()
    ]
    small = [team for team in found if team.people < min_size and team.key != NOBODY]
    if len(small) > 1:
        found = [team for team in found if team not in small]
        found.append(
            Team(
                OTHER,
                f"Other ({len(small)} smaller groups)",
                "",
                sum(team.people for team in small),
                sum(team.completed for team in small),
                sum(team.in_progress for team in small),
                sum(team.not_started for team in small),
            )
        )
    return sorted(found, key=lambda team: team.sort_name)


_STATE_INDEX = {services.COMPLETED: 0, services.IN_PROGRESS: 1, services.NOT_STARTED: 2}
