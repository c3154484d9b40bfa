"""The rounds of a plan: its conversations grouped into the rounds that generated them, each
round's completion, and the current round's completion curve against the previous one's.

The API has no notion of a round: a recurring plan generates a conversation for each of its
people every time it comes round, stamped with `generated_date`. A round here is the
conversations generated together, by this rule: taken in order of generation, each
conversation joins the current round unless its person already has one there and it was
generated more than ROUND_TOLERANCE after the round began; then it begins the next round.
So a round generated over hours or days stays one round, someone assigned in the middle of
a round joins that round, and a one-off plan is always one round, however spread out.
Deleted and archived conversations do not count (as in participation); a person's latest
conversation in a round decides whether they completed it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from plans import services
from plans.api.paths import plan_path
from plans.api.results import Conversation

# A person's second conversation this soon after a round began is a duplicate within the
# round, not the start of the next one (weekly plans come round every 7 days).
ROUND_TOLERANCE = timedelta(days=2)
DAY = 86_400.0  # seconds


@dataclass(frozen=True, slots=True)
class Round:
    """One round: when it began, how many people it generated a conversation for, how many
    of them completed it, and after how many days each completion came (ascending)."""

    number: int  # 1 for the plan's first round
    start: datetime
    people: int
    completed: int
    completion_days: tuple[float, ...]

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.people) if self.people else 0

    def percent_by(self, day: float) -> int:
        """The share of the round's people who had completed it `day` days after it began."""
        if not self.people:
            return 0
        return round(100 * bisect_right(self.completion_days, day) / self.people)

    @property
    def last_completion_day(self) -> float:
        return self.completion_days[-1] if self.completion_days else 0.0


@dataclass(frozen=True, slots=True)
class PlanRounds:
    """A plan's rounds, oldest first; `undated` counts conversations with no date to place."""

    rounds: tuple[Round, ...]
    undated: int = 0
    plan_name: str = ""

    @property
    def current(self) -> Round | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def previous(self) -> Round | None:
        return self.rounds[-2] if len(self.rounds) > 1 else None


@dataclass(frozen=True, slots=True)
class CurvePoint:
    day: int
    current: int  # % completed
    previous: int | None  # % completed at the same day of the previous round


@dataclass(frozen=True, slots=True)
class Comparison:
    """The current round now, `day` (whole) days old, against the previous round at the same
    point of its own course.

    `points` run from day 0 to `horizon`: the current round's age, but no further than the
    previous round lasted (the days from its start to the current round's), so both curves
    share one scale; `day` and the percentages beside it are always today's.
    """

    day: int
    current: Round
    previous: Round | None
    current_percent: int
    previous_percent: int | None
    horizon: int
    points: tuple[CurvePoint, ...]

    @property
    def points_behind(self) -> int:
        """Percentage points the current round is behind the previous one (negative: ahead)."""
        return (self.previous_percent or 0) - self.current_percent

    @property
    def points_ahead(self) -> int:
        return -self.points_behind

    @property
    def previous_length(self) -> int | None:
        if self.previous is None:
            return None
        return max(int((self.current.start - self.previous.start).total_seconds() // DAY), 1)


def _generated(conversation: Conversation) -> datetime | None:
    return conversation.generated or conversation.updated


def group_rounds(conversations: Iterable[Conversation], *, plan_name: str = "") -> PlanRounds:
    """The conversations' rounds (the rule in this module's docstring), oldest first."""
    dated: list[tuple[datetime, Conversation]] = []
    undated = 0
    for conversation in conversations:
        if not conversation.counts:
            continue
        when = _generated(conversation)
        if when is None:
            undated += 1
        else:
            dated.append((when, conversation))
    dated.sort(key=lambda pair: pair[0])
    groups: list[tuple[datetime, dict[str, Conversation]]] = []
    for when, conversation in dated:
        person = conversation.person_api_id or f"conversation:{conversation.api_id}"
        if not groups or (person in groups[-1][1] and when - groups[-1][0] > ROUND_TOLERANCE):
            groups.append((when, {}))
        # In order of generation: a person's later conversation in the round replaces theirs.
        groups[-1][1][person] = conversation
    return PlanRounds(
        rounds=tuple(
            _round(number, start, latest.values())
            for number, (start, latest) in enumerate(groups, start=1)
        ),
        undated=undated,
        plan_name=plan_name,
    )


def _round(number: int, start: datetime, latest: Iterable[Conversation]) -> Round:
    people = 0
    days = []
    for conversation in latest:
        people += 1
        if conversation.status == "final":
            done = conversation.completed or conversation.updated or start
            days.append(max((done - start).total_seconds() / DAY, 0.0))
    days.sort()
    return Round(
        number=number,
        start=start,
        people=people,
        completed=len(days),
        completion_days=tuple(days),
    )


def plan_rounds(*, client: services.Client, api_id: str) -> PlanRounds:
    """The rounds of the plan `api_id`, from the read participation makes: the plan, then
    its own conversations (one value in the shared cache, shared with the plan page's parts).

    The rounds, with the plan's name, are kept as one value of their own
    (`Client.get_assembled`), keyed by the plan alone: a repeat view reads that small value
    and neither the plan's thousands of assigned users nor its conversations.
    """

    def build() -> PlanRounds:
        plan = services.plan_get(client=client, api_id=api_id)
        own = services.own_conversations(client, plan)
        return group_rounds(own, plan_name=plan.name)

    found: PlanRounds = client.get_assembled("rounds", plan_path(api_id), {}, build)
    return found


def compare(rounds: PlanRounds, *, now: datetime) -> Comparison | None:
    """The current round `now` against the previous round at the same point (None: no round)."""
    current = rounds.current
    if current is None:
        return None
    previous = rounds.previous
    age = max((now - current.start).total_seconds() / DAY, 0.0)
    day = int(age)
    horizon = day
    if previous is not None:
        lasted = max(int((current.start - previous.start).total_seconds() // DAY), 1)
        horizon = min(day, lasted)
    points = tuple(
        CurvePoint(
            day=d,
            current=current.percent_by(d),
            previous=previous.percent_by(d) if previous else None,
        )
        for d in range(horizon + 1)
    )
    return Comparison(
        day=day,
        current=current,
        previous=previous,
        current_percent=current.percent_by(age),
        previous_percent=previous.percent_by(age) if previous else None,
        horizon=horizon,
        points=points,
    )
