"""What the API client hands to views: frozen dataclasses, never raw JSON.

Templates and tables read these, so they never depend on the API's JSON shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plans.exceptions import UpstreamError


# No slots: a plan's thousands of users come out of the shared cache on every view of its
# pages, and pickle restores a plain instance in C but a slotted one through Python (the
# warm people table of 3,000 people missed 25 ms with them).
@dataclass(frozen=True)
class User:
    api_id: str
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class Department:
    api_id: str
    name: str


@dataclass(frozen=True, slots=True)
class PlanSummary:
    api_id: str
    name: str
    template_name: str
    template_api_id: str
    status: str
    frequency: str | None


@dataclass(frozen=True, slots=True)
class PlanDetail:
    api_id: str
    name: str
    template_name: str
    template_api_id: str
    status: str
    frequency: str | None
    assigned_users: tuple[User, ...]
    assigned_departments: tuple[Department, ...]


@dataclass(frozen=True, slots=True)
class Template:
    api_id: str
    name: str
    active: bool
    draft: bool
    deleted: bool
    created: datetime | None
    updated: datetime | None

    @property
    def state(self) -> str:
        if self.deleted:
            return "deleted"
        if self.draft:
            return "draft"
        return "active" if self.active else "inactive"


@dataclass(frozen=True, slots=True)
class PlanProgress:
    """How many conversations a plan has generated, and when the last one was completed."""

    draft: int
    final: int
    last_completed: datetime | None

    @property
    def total(self) -> int:
        return self.draft + self.final

    @property
    def percent_final(self) -> int:
        return round(100 * self.final / self.total) if self.total else 0


@dataclass(frozen=True, slots=True)
class PlanExtras:
    """The detail page's secondary data; each part is either a value or the error it met."""

    template: Template | None
    template_error: UpstreamError | None
    progress: PlanProgress | None
    progress_error: UpstreamError | None


@dataclass(frozen=True, slots=True)
class PlanPage:
    """One window of the plan list: `plans` starts at position `offset` of `count`."""

    count: int
    offset: int
    plans: tuple[PlanSummary, ...]


# --- Participation: who has completed a plan, who is on the way, who has not started ---

COMPLETED = "completed"
IN_PROGRESS = "in_progress"
NOT_STARTED = "not_started"
STATE_LABELS = {COMPLETED: "Completed", IN_PROGRESS: "In progress", NOT_STARTED: "Not started"}
# Conversation statuses that count; deleted and archived conversations are ignored.
COUNTED_STATUSES = frozenset({"draft", "final"})


@dataclass(frozen=True, slots=True)
class Conversation:
    """One person's conversation in one round of a plan."""

    api_id: str
    plan_api_id: str
    plan_name: str
    template_name: str
    person_api_id: str
    person_name: str
    stage_name: str
    status: str
    generated: datetime | None
    updated: datetime | None
    completed: datetime | None

    @property
    def counts(self) -> bool:
        return self.status in COUNTED_STATUSES


@dataclass(frozen=True, slots=True)
class Standing:
    """Where one person stands in one plan, decided by their latest counted conversation.

    `stage` and `moved` (when the conversation was last updated) describe a conversation
    in progress; `completed` is the completion date of a completed one.
    """

    state: str
    stage: str = ""
    moved: datetime | None = None
    completed: datetime | None = None
    rounds_completed: int = 0

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def date(self) -> datetime | None:
        """The date that goes with the state: completed on, or last moved."""
        return self.completed if self.state == COMPLETED else self.moved


NO_CONVERSATION = Standing(state=NOT_STARTED)


@dataclass(frozen=True, slots=True)
class Participant:
    user: User
    standing: Standing


@dataclass(frozen=True, slots=True)
class Participation:
    """Every assigned user of a plan with their standing, in the plan's order."""

    participants: tuple[Participant, ...]
    completed: int
    in_progress: int
    not_started: int

    @property
    def total(self) -> int:
        return self.completed + self.in_progress + self.not_started

    def percent(self, count: int) -> int:
        return round(100 * count / self.total) if self.total else 0

    @property
    def percent_completed(self) -> int:
        return self.percent(self.completed)

    @property
    def percent_in_progress(self) -> int:
        return self.percent(self.in_progress)


# --- People --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Manager:
    api_id: str
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class Person:
    """A user as the users endpoint describes them."""

    api_id: str
    name: str
    email: str
    departments: tuple[Department, ...]
    manager: Manager | None
    active: bool | None  # None when the API does not say


@dataclass(frozen=True, slots=True)
class PeopleFound:
    """The first `people` of `count` whose name matches a search."""

    count: int
    people: tuple[Person, ...]


@dataclass(frozen=True, slots=True)
class PersonPlan:
    """A plan a person has conversations in, and where they stand in it."""

    plan_api_id: str
    plan_name: str
    template_name: str
    standing: Standing


@dataclass(frozen=True, slots=True)
class PlanCount:
    """How many plans share one value of a field (`value` as the API sends it, "" for none)."""

    value: str
    plans: int


@dataclass(frozen=True, slots=True)
class TemplateConversations:
    """Conversations of one template across the organisation, by state."""

    template_name: str
    final: int  # completed
    draft: int  # in progress

    @property
    def total(self) -> int:
        return self.final + self.draft

    @property
    def percent_final(self) -> int:
        return round(100 * self.final / self.total) if self.total else 0


@dataclass(frozen=True, slots=True)
class Overview:
    """The organisation at a glance: plan totals by status, template and frequency, and the
    conversations of the templates with the most plans.

    `by_template` holds the named templates with the most plans (most first); the plans of
    every other template, and of plans naming none, are summed in `other_template_plans`.
    `conversations` follows `by_template`'s order; when counting them failed it is empty
    and `conversations_error` says why, so the plan totals still show.
    """

    plan_total: int
    by_status: tuple[PlanCount, ...]
    by_template: tuple[PlanCount, ...]
    other_template_plans: int
    other_template_count: int
    by_frequency: tuple[PlanCount, ...]
    conversations: tuple[TemplateConversations, ...]
    conversations_error: UpstreamError | None
