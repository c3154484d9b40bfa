"""The dashboard's use cases: what views ask of Perform & Engage 365.

Each function takes the `Client` bound to the request (`client_for(request)`) and
returns the dataclasses of `plans.api.results`; failures are the exceptions of
`plans.exceptions`. How calls are made, cached and read is in `plans.api`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from concurrent.futures import Executor
from datetime import UTC, datetime
from typing import Any

from plans.api import reader
from plans.api.client import Client, client_for, release_client
from plans.api.pages import Stream, read_all, stream_all
from plans.api.paths import (
    CONVERSATIONS_PATH,
    PLANS_PATH,
    TEMPLATES_PATH,
    USERS_PATH,
    plan_path,
    template_path,
)
from plans.api.results import (
    COMPLETED,
    IN_PROGRESS,
    NO_CONVERSATION,
    NOT_STARTED,
    Conversation,
    Department,
    Overview,
    Participant,
    Participation,
    PeopleFound,
    Person,
    PersonPlan,
    PlanCount,
    PlanDetail,
    PlanExtras,
    PlanPage,
    PlanProgress,
    PlanSummary,
    Standing,
    Template,
    TemplateConversations,
    User,
)
from plans.exceptions import NotFound, PlanWithoutName, PlanWithoutTemplate, UpstreamError

__all__ = [
    "COMPLETED",
    "IN_PROGRESS",
    "NOT_STARTED",
    "Client",
    "Department",
    "Overview",
    "Participant",
    "Participation",
    "PeopleFound",
    "Person",
    "PersonPlan",
    "PlanCount",
    "PlanDetail",
    "PlanExtras",
    "PlanPage",
    "PlanProgress",
    "PlanSummary",
    "Standing",
    "Stream",
    "Template",
    "TemplateConversations",
    "User",
    "client_for",
    "organisation_overview",
    "people_all",
    "people_find",
    "person_find",
    "person_plans",
    "plan_extras",
    "plan_get",
    "plan_list",
    "plan_list_all",
    "plan_participation",
    "plan_path",
    "plan_progress",
    "plan_stream",
    "release_client",
    "template_get",
    "upstream_check",
]


def _name_filters(name: str, template_name: str) -> dict[str, str | int]:
    return {
        key: value for key, value in (("name", name), ("template_name", template_name)) if value
    }


def plan_list(
    *, client: Client, name: str = "", template_name: str = "", limit: int, offset: int
) -> PlanPage:
    """Plans `offset` to `offset + limit` matching the filters, as the API orders them.

    The API may cap `limit` below what we ask, so a short page is topped up with
    further calls; with the usual page sizes this is exactly one call.
    """
    filters = _name_filters(name, template_name)
    plans: list[PlanSummary] = []
    while True:
        params = {**filters, "limit": limit - len(plans), "offset": offset + len(plans)}
        data = client.get_json(PLANS_PATH, params)
        count, results = reader.list_page(
            data, path=PLANS_PATH, noun="plans", limit=limit - len(plans)
        )
        plans.extend(reader.plan_summary(item, path=PLANS_PATH) for item in results)
        wanted = min(limit, max(count - offset, 0))
        if not results or len(plans) >= wanted:
            return PlanPage(count=count, offset=offset, plans=tuple(plans[:limit]))


def plan_list_all(
    *, client: Client, name: str = "", template_name: str = ""
) -> tuple[PlanSummary, ...]:
    """Every plan matching the filters, in the API's order (to filter by status, sort, export).

    Read once for the request and kept in the shared cache for PE365_CACHE_TTL, so
    paging through the list or exporting it right after calls the API no more.
    Raises `TooManyRows` when more plans match than PE365_MAX_ROWS.
    """
    return read_all(
        client, PLANS_PATH, _name_filters(name, template_name), noun="plans", parse=_plan_summary
    )


def plan_stream(*, client: Client, name: str = "", template_name: str = "") -> Stream[PlanSummary]:
    """The plans `plan_list_all` gives, handed on as their pages arrive (an export that
    needs no local filter or sort starts with the first page).

    The first page is read before this returns: its failures and `TooManyRows` come
    from here, a later page's from iterating the plans.
    """
    return stream_all(
        client, PLANS_PATH, _name_filters(name, template_name), noun="plans", parse=_plan_summary
    )


def _plan_summary(item: Any) -> PlanSummary:
    return reader.plan_summary(item, path=PLANS_PATH)


def plan_get(*, client: Client, api_id: str) -> PlanDetail:
    """One plan with its assigned users and departments.

    The plan is kept read, as one value (`Client.get_assembled`), not as its JSON: a big
    plan's thousands of users are then read once, not on every view of its pages.
    """
    path = plan_path(api_id)

    def read() -> PlanDetail:
        return reader.plan_detail(client.get_json(path, share=False, what="plan"), path=path)

    plan: PlanDetail = client.get_assembled("plan", path, {}, read)
    return plan


def template_get(*, client: Client, api_id: str) -> Template:
    """One conversation template: its name, state and dates."""
    path = template_path(api_id)
    return reader.template(client.get_json(path, what="template"), path=path)


def plan_progress(
    *, client: Client, plan: PlanDetail, pool: Executor | None = None
) -> PlanProgress:
    """Conversations the plan generated, by status, and when the last one was completed.

    Calls: those of `own_conversations`, the read participation makes too (one value in
    the shared cache, so the plan page's two deferred parts share it). The API documents
    no ordering, so the latest completion needs every completed conversation anyway.
    """
    own = own_conversations(client, plan, pool=pool)
    finals = [conversation for conversation in own if conversation.status == "final"]
    return PlanProgress(
        draft=sum(conversation.status == "draft" for conversation in own),
        final=len(finals),
        last_completed=max(
            (conversation.completed for conversation in finals if conversation.completed),
            default=None,
        ),
    )


def plan_extras(*, client: Client, plan: PlanDetail) -> PlanExtras:
    """The plan's template and progress, fetched concurrently; failures are returned, not raised.

    The plan itself is fetched first and alone: its answer decides whether there is a
    page at all (404) and carries the template id and plan name these calls need. The
    template call and the progress calls then run at the same time, so the page waits
    for the slowest of them, not their sum.
    """
    with client.concurrently() as pool:
        template_future = (
            pool.submit(template_get, client=client, api_id=plan.template_api_id)
            if plan.template_api_id
            else None
        )
        progress: PlanProgress | None = None
        progress_error: UpstreamError | None = None
        try:
            progress = plan_progress(client=client, plan=plan, pool=pool)
        except UpstreamError as error:
            progress_error = error
        template: Template | None = None
        template_error: UpstreamError | None = None
        if template_future is None:
            template_error = PlanWithoutTemplate(path=TEMPLATES_PATH)
        else:
            try:
                template = template_future.result()
            except UpstreamError as error:
                template_error = error
    return PlanExtras(
        template=template,
        template_error=template_error,
        progress=progress,
        progress_error=progress_error,
    )


# --- Participation: where each person stands in a plan -------------------------------

_EARLIEST = datetime.min.replace(tzinfo=UTC)


def round_started(conversation: Conversation) -> datetime:
    """When the conversation's round began: generated, else last updated."""
    return conversation.generated or conversation.updated or _EARLIEST


def standing_of(conversations: Iterable[Conversation]) -> Standing:
    """Where a person stands, from their conversations in one plan.

    Their latest round decides (a recurring plan generates a conversation per round);
    deleted and archived conversations do not count.
    """
    counted = [conversation for conversation in conversations if conversation.counts]
    if not counted:
        return NO_CONVERSATION
    latest = counted[0] if len(counted) == 1 else max(counted, key=round_started)
    rounds_completed = sum(conversation.status == "final" for conversation in counted)
    if latest.status == "final":
        return Standing(
            state=COMPLETED,
            stage=latest.stage_name,
            moved=latest.updated,
            completed=latest.completed or latest.updated,
            rounds_completed=rounds_completed,
        )
    return Standing(
        state=IN_PROGRESS,
        stage=latest.stage_name,
        moved=latest.updated,
        rounds_completed=rounds_completed,
    )


def _conversation(item: Any) -> Conversation:
    return reader.conversation(item, path=CONVERSATIONS_PATH)


def _conversations(
    client: Client, params: dict[str, str | int], *, pool: Executor | None = None
) -> tuple[Conversation, ...]:
    """Every conversation matching `params`: read at once, kept as one value (read_all)."""
    return read_all(
        client,
        CONVERSATIONS_PATH,
        params,
        noun="conversations",
        parse=_conversation,
        pool=pool,
    )


def own_conversations(
    client: Client, plan: PlanDetail, *, pool: Executor | None = None
) -> list[Conversation]:
    """The plan's conversations: every page of those with its name, of which only its own
    count, as the API filters conversations by plan name alone and another plan may
    share the name."""
    if not plan.name:
        # An empty filter is no filter upstream: it would read every conversation.
        raise PlanWithoutName(path=CONVERSATIONS_PATH)
    return [
        conversation
        for conversation in _conversations(client, {"plan_name": plan.name}, pool=pool)
        if conversation.plan_api_id == plan.api_id
    ]


def plan_participation(*, client: Client, plan: PlanDetail) -> Participation:
    """Every assigned user of `plan` and where they stand in it, with the totals.

    Calls: those of `own_conversations`. The standings are kept as one value
    (`Client.get_assembled`), so a repeat view reads them instead of working out
    thousands again.
    """

    def standings() -> Participation:
        by_person: dict[str, list[Conversation]] = {}
        for conversation in own_conversations(client, plan):
            if conversation.person_api_id:
                by_person.setdefault(conversation.person_api_id, []).append(conversation)
        participants = tuple(
            Participant(user=user, standing=standing_of(by_person.get(user.api_id, ())))
            for user in plan.assigned_users
        )
        states = [participant.standing.state for participant in participants]
        return Participation(
            participants=participants,
            completed=states.count(COMPLETED),
            in_progress=states.count(IN_PROGRESS),
            not_started=states.count(NOT_STARTED),
        )

    # Keyed by the plan as well as its name: the standings are of the plan's own users.
    params: dict[str, str | int] = {"plan_name": plan.name, "plan_api_id": plan.api_id}
    participation: Participation = client.get_assembled(
        "participation", CONVERSATIONS_PATH, params, standings
    )
    return participation


# --- People: who someone is, and the plans they are in ---------------------------------


def people_find(*, client: Client, name: str, limit: int) -> PeopleFound:
    """The first `limit` people whose name contains `name` (one call; the API may send fewer)."""
    data = client.get_json(USERS_PATH, {"name": name, "limit": limit, "offset": 0})
    count, results = reader.list_page(data, path=USERS_PATH, noun="users", limit=limit)
    people = tuple(reader.person(item, path=USERS_PATH) for item in results[:limit])
    return PeopleFound(count=count, people=people)


def _person(item: Any) -> Person:
    return reader.person(item, path=USERS_PATH)


def people_all(*, client: Client) -> dict[str, Person]:
    """Every user by `api_id`, with their departments and manager (the users endpoint's
    pages of 100, read once for the request and kept in the shared cache)."""
    people = read_all(client, USERS_PATH, {}, noun="users", parse=_person)
    return {person.api_id: person for person in people if person.api_id}


def person_find(*, client: Client, name: str, api_id: str) -> Person:
    """The person with id `api_id` among those whose name contains `name`.

    The API documents no endpoint for one user, so the person is looked up by name; the
    dashboard's links carry the person's full name, which matches a handful of people.
    """
    params: dict[str, str | int] = {"name": name}
    for person in read_all(client, USERS_PATH, params, noun="users", parse=_person):
        if person.api_id == api_id:
            return person
    raise NotFound("person", path=USERS_PATH)


def person_plans(*, client: Client, person: Person) -> tuple[PersonPlan, ...]:
    """Every plan `person` has counted conversations in, with where they stand, by plan name.

    Conversations are asked for by the person's name and kept only when they are this
    person's: namesakes share the filter.
    """
    if not person.name:
        return ()  # an empty filter would read every conversation
    by_plan: dict[str, list[Conversation]] = {}
    for conversation in _conversations(client, {"person_name": person.name}):
        if conversation.person_api_id == person.api_id and conversation.counts:
            by_plan.setdefault(conversation.plan_api_id, []).append(conversation)
    plans = []
    for plan_api_id, conversations in by_plan.items():
        latest = max(conversations, key=round_started)
        plans.append(
            PersonPlan(
                plan_api_id=plan_api_id,
                plan_name=latest.plan_name,
                template_name=latest.template_name,
                standing=standing_of(conversations),
            )
        )
    return tuple(sorted(plans, key=lambda plan: (plan.plan_name.casefold(), plan.plan_api_id)))


# The overview counts conversations for this many templates, those with the most plans:
# two calls each, so the page's cost stays bounded however many templates there are.
OVERVIEW_TEMPLATES = 8
# Plan statuses the API documents, in the order the overview shows them.
PLAN_STATUSES = ("active", "draft")


def _tally(values: Iterable[str]) -> list[PlanCount]:
    """Plans per value, most first (ties in alphabetical order)."""
    counts = Counter(values)
    return [
        PlanCount(value=value, plans=plans)
        for value, plans in sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))
    ]


def _conversation_count(client: Client, template_name: str, status: str) -> int:
    """How many conversations of a template have `status`: the `count` of a one-row page."""
    params: dict[str, str | int] = {"template_name": template_name, "status": status, "limit": 1}
    data = client.get_json(CONVERSATIONS_PATH, params)
    count, _ = reader.list_page(data, path=CONVERSATIONS_PATH, noun="conversations", limit=1)
    return count


def template_conversations(
    *, client: Client, template_names: Iterable[str]
) -> tuple[TemplateConversations, ...]:
    """Completed (final) and in-progress (draft) conversations of each template.

    Two calls per template (`template_name=<t>&status=final|draft&limit=1`, read for
    their `count`), all at once on the request's pool.
    """
    names = list(template_names)
    if not names:
        return ()
    with client.concurrently() as pool:
        finals = [pool.submit(_conversation_count, client, name, "final") for name in names]
        drafts = [pool.submit(_conversation_count, client, name, "draft") for name in names]
        return tuple(
            TemplateConversations(template_name=name, final=final.result(), draft=draft.result())
            for name, final, draft in zip(names, finals, drafts, strict=True)
        )


def organisation_overview(*, client: Client) -> Overview:
    """Plan totals by status, template and frequency, and conversations by template.

    Calls: the whole plan set (`plan_list_all`, its pages of 100), then two conversation
    counts for each of the OVERVIEW_TEMPLATES named templates with the most plans (see
    `template_conversations`). A failure of the plan set is raised; a failure of the
    conversation counts is returned in `conversations_error`.
    """
    plans = plan_list_all(client=client)
    statuses = {c.value: c for c in _tally(plan.status for plan in plans)}
    # The documented statuses always, in their own order (none yet is worth seeing), then
    # anything else the API sends.
    by_status = [statuses.pop(s, PlanCount(value=s, plans=0)) for s in PLAN_STATUSES]
    by_status.extend(statuses.values())
    # Plans naming no template cannot be looked up by template: they count as "other".
    templates = [c for c in _tally(plan.template_name for plan in plans) if c.value]
    top = templates[:OVERVIEW_TEMPLATES]
    conversations: tuple[TemplateConversations, ...] = ()
    conversations_error: UpstreamError | None = None
    try:
        conversations = template_conversations(client=client, template_names=(c.value for c in top))
    except UpstreamError as error:
        conversations_error = error
    return Overview(
        plan_total=len(plans),
        by_status=tuple(by_status),
        by_template=tuple(top),
        other_template_plans=len(plans) - sum(c.plans for c in top),
        other_template_count=len(templates) - len(top),
        by_frequency=tuple(_tally(plan.frequency or "" for plan in plans)),
        conversations=conversations,
        conversations_error=conversations_error,
    )


def upstream_check(*, timeout: float | None = None) -> None:
    """Ask the API for one plan, as the dashboard would; raise UpstreamError if it fails.

    A fresh client that neither reads nor fills the shared cache: a cached answer
    would say the API was up when it may no longer be. `timeout` (seconds, retries
    included) replaces PE365_TIMEOUT: a readiness probe wants its answer sooner.
    """
    client = Client.from_settings(timeout=timeout)
    client.cache_ttl = 0
    data = client.get_json(PLANS_PATH, {"limit": 1})
    reader.list_page(data, path=PLANS_PATH, noun="plans", limit=1)


def template_list(*, client: Client) -> tuple[Template, ...]:
    """Every conversation template of the organisation, in the API's order, every page read.

    The plan list's template filter offers them as a choice; the shared cache keeps
    them like every other answer.
    """
    return read_all(client, TEMPLATES_PATH, {}, noun="templates", parse=_template)


def _template(item: Any) -> Template:
    return reader.template(item, path=TEMPLATES_PATH)
