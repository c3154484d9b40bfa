"""A plan's people as a chase runs through them: who they are, where they stand, their
departments and manager, and the selection a page, an export or a reminder makes.

One place for the selection (`select`) so the people table, `users.csv` and the
reminders choose exactly the same people for the same query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from plans import services
from plans.api.results import Department, Manager, Participation, Person, Standing, User
from plans.filters import fold

# The `state` filter's value for everyone still to act (in progress or not started), as
# the participation URLs have always said it.
STILL_TO_ACT = "outstanding"


@dataclass(frozen=True, slots=True)
class Member:
    """One assigned person of a plan: the plan's record of them, where they stand, and the
    users endpoint's record (None when the users endpoint does not list them)."""

    user: User
    standing: Standing
    person: Person | None

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


def plan_roster(*, client: services.Client, plan: services.PlanDetail) -> Roster:
    """The plan's participation joined with the users endpoint, both read concurrently.

    Calls: those of `plan_participation` and of `people_all` (each kept in the shared
    cache), at the same time.
    """
    with client.concurrently() as pool:
        people_future = pool.submit(services.people_all, client=client)
        participation = services.plan_participation(client=client, plan=plan)
        people = people_future.result()
    members = tuple(
        Member(user=p.user, standing=p.standing, person=people.get(p.user.api_id))
        for p in participation.participants
    )
    return Roster(members=members, participation=participation)


def _words(member: Member) -> str:
    """What the search box matches: name, the e-mail before its @, departments, manager."""
    parts = [member.user.name, member.user.email.partition("@")[0]]
    parts.extend(department.name for department in member.departments)
    if member.manager:
        parts.append(member.manager.name)
    return fold(" ".join(parts))


def matches(member: Member, query: str) -> bool:
    """Every word of `query` is found in the member's words (case- and accent-insensitive)."""
    words = _words(member)
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
    STILL_TO_ACT; `department` a department's `api_id`; `manager` a manager's `api_id`.
    Empty filters choose everyone.
    """
    chosen = []
    for member in members:
        if state == STILL_TO_ACT and member.standing.state == services.COMPLETED:
            continue
        if state and state != STILL_TO_ACT and member.standing.state != state:
            continue
        if department and department not in {d.api_id for d in member.departments}:
            continue
        if manager and (member.manager is None or member.manager.api_id != manager):
            continue
        if q and not matches(member, q):
            continue
        chosen.append(member)
    return chosen


def counts_by_state(members: Sequence[Member]) -> dict[str, int]:
    """How many members are in each state, and how many are still to act."""
    counts = {services.COMPLETED: 0, services.IN_PROGRESS: 0, services.NOT_STARTED: 0}
    for member in members:
        counts[member.standing.state] = counts.get(member.standing.state, 0) + 1
    counts[STILL_TO_ACT] = len(members) - counts[services.COMPLETED]
    return counts
