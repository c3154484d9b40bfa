"""The organisation read (plans.organisation): what it asks the API for, how it decides
where each person stands, and how it is kept, renewed and handed to the background."""

import io
import json
import threading

import pytest
from django.core.management import CommandError, call_command
from responses import matchers

from plans import organisation
from plans.api.results import COMPLETED, IN_PROGRESS, NOT_STARTED
from tests.helpers import (
    AUTH_HEADER,
    CONVERSATIONS_URL,
    PATIENCE,
    PLANS_URL,
    USERS_URL,
    assignee,
    expect_organisation,
    make_client,
    org_plan,
    person_record,
    plan_conversation,
    plan_detail_url,
)

SHARED_NAME = "Check-in – Zürich office"


def small_organisation() -> dict:
    """Two active plans sharing a name, a draft plan (never read in detail), three people:
    582:1 in both shared-name plans (completed in the first, a second round in progress in
    the other), 582:2 not started, 582:3 only in the draft plan; 582:2 has no manager."""
    first = org_plan(1, [assignee(1), assignee(2)], name=SHARED_NAME)
    second = org_plan(3, [assignee(1)], name=SHARED_NAME)
    draft = org_plan(2, [assignee(3)], status="draft")
    conversations = [
        plan_conversation(
            1,
            status="final",
            plan_api_id=first["api_id"],
            plan_name=SHARED_NAME,
            updated="2026-03-02T00:00:00Z",
        ),
        plan_conversation(
            1,
            status="final",
            generated="2026-01-01T00:00:00Z",
            updated="2026-01-05T00:00:00Z",
            plan_api_id=second["api_id"],
            plan_name=SHARED_NAME,
        ),
        plan_conversation(
            1,
            generated="2026-04-01T00:00:00Z",
            updated="2026-04-02T00:00:00Z",
            plan_api_id=second["api_id"],
            plan_name=SHARED_NAME,
        ),
        # Deleted after the current round: never the latest.
        plan_conversation(
            1,
            status="deleted",
            generated="2026-05-01T00:00:00Z",
            plan_api_id=second["api_id"],
            plan_name=SHARED_NAME,
        ),
    ]
    people = [person_record(1), person_record(2, manager=None), person_record(3)]
    return {"plans": [first, draft, second], "people": people, "conversations": conversations}


def states(org: organisation.Organisation) -> list[tuple[str, str, str]]:
    return [(a.plan.api_id[-3:], a.user.api_id, a.standing.state) for a in org.assignments]


def test_it_reads_every_list_once_and_only_the_active_plans_details(upstream):
    expect_organisation(upstream, **small_organisation())
    client = make_client(cache_ttl=30)

    read = organisation.organisation(client)

    assert client.calls == 3 + 2  # plans, users, conversations; two active plans' details
    assert states(read.org) == [
        ("001", "582:1", COMPLETED),
        ("001", "582:2", NOT_STARTED),
        ("003", "582:1", IN_PROGRESS),
    ]
    assert [plan.name for plan in read.org.plans] == [SHARED_NAME, SHARED_NAME]


def test_the_lists_are_asked_for_without_filters_100_at_a_time(upstream):
    people = [person_record(n) for n in range(1, 151)]
    plan = org_plan(1, [assignee(n) for n in range(1, 151)])
    for offset, size in ((0, 100), (100, 50)):
        upstream.get(
            USERS_URL,
            json={"count": 150, "results": people[offset : offset + size]},
            match=[
                matchers.query_param_matcher({"limit": "100", "offset": str(offset)}),
                matchers.header_matcher({"Authorization": AUTH_HEADER}),
            ],
        )
    for url, items in ((PLANS_URL, [plan]), (CONVERSATIONS_URL, [])):
        upstream.get(
            url,
            json={"count": len(items), "results": items},
            match=[matchers.query_param_matcher({"limit": "100", "offset": "0"})],
        )
    upstream.get(f"{PLANS_URL}580%3A00000000-0000-4000-8000-000000000001/", json=plan)

    read = organisation.organisation(make_client())

    assert len(read.org.people) == 150
    assert {a.standing.state for a in read.org.assignments} == {NOT_STARTED}


def test_those_still_to_act_wait_since_their_round_or_their_plans_start(upstream):
    expect_organisation(upstream, **small_organisation())

    org = organisation.organisation(make_client()).org

    in_progress, not_started = organisation.outstanding(org)  # by name: Person 1, Person 2
    assert in_progress.standing.state == IN_PROGRESS
    assert in_progress.waiting_since.isoformat() == "2026-04-01T00:00:00+00:00"
    assert not_started.waiting_since.isoformat() == "2026-03-01T09:00:00+00:00"


def test_people_without_a_manager_form_the_last_group(upstream):
    expect_organisation(upstream, **small_organisation())
    org = organisation.organisation(make_client()).org

    groups = organisation.by_manager(organisation.outstanding(org))

    assert [(g.manager.api_id if g.manager else None, g.count) for g in groups] == [
        ("582:900", 1),
        (None, 1),
    ]


def test_a_kept_read_serves_the_next_page_without_a_call(upstream, clock):
    expect_organisation(upstream, **small_organisation())
    first = organisation.organisation(make_client(cache_ttl=30))
    clock.advance(60)

    again = make_client(cache_ttl=30)
    second = organisation.organisation(again)

    assert second.org is first.org and again.calls == 0
    assert again.fetched_at == first.org.read_at  # the page's "Data as of"


def test_an_old_read_is_served_while_a_new_one_is_made_in_the_background(upstream, clock, settings):
    settings.PE365_CACHE_TTL = 30
    expect_organisation(upstream, **small_organisation())
    old = organisation.organisation(make_client(cache_ttl=30)).org
    clock.advance(organisation.ORGANISATION_REFRESH_AFTER + 1)
    expect_organisation(upstream, **small_organisation())

    served = organisation.organisation(make_client(cache_ttl=30))

    assert served.org is old
    renewed = organisation._background.result(timeout=PATIENCE)
    assert renewed.read_at > old.read_at
    assert organisation.kept(make_client(cache_ttl=30)) is renewed


def test_a_refresh_reads_again_within_the_page(upstream):
    expect_organisation(upstream, **small_organisation())
    old = organisation.organisation(make_client(cache_ttl=30)).org
    expect_organisation(upstream, **small_organisation())

    refreshed = organisation.organisation(make_client(cache_ttl=30, bypass_cache=True))

    assert refreshed.org is not old and not refreshed.refreshing


def test_a_read_bigger_than_a_page_may_make_goes_to_the_background(upstream, settings):
    expect_organisation(upstream, **small_organisation())
    # The page may make 4 calls; the first three say 5 are needed.
    client = make_client(cache_ttl=30, max_calls=4)

    read = organisation.organisation(client)

    assert client.calls == 3  # the first pages; the background read made the rest
    assert len(read.org.assignments) == 3


def test_a_page_that_cannot_wait_for_the_background_read_says_so(upstream, settings):
    settings.PE365_CACHE_TTL = 30
    expect_organisation(upstream, **small_organisation())
    detail = plan_detail_url(small_organisation()["plans"][0]["api_id"])
    upstream.remove("GET", detail)
    release = threading.Event()

    def slow_detail(request):
        release.wait(PATIENCE)
        return (200, {}, json.dumps(small_organisation()["plans"][0]))

    upstream.add_callback("GET", detail, callback=slow_detail)
    client = make_client(cache_ttl=30, max_calls=4, timeout=0.6)

    with pytest.raises(organisation.OrganisationBeingRead) as raised:
        organisation.organisation(client)

    release.set()
    assert raised.value.status_code == 503
    assert "reload this page in a minute" in raised.value.message
    kept = organisation._background.result(timeout=PATIENCE)
    assert organisation.kept(make_client(cache_ttl=30)) is kept


def test_the_management_command_reads_and_keeps_it(upstream, settings):
    settings.PE365_CACHE_TTL = 30
    expect_organisation(upstream, **small_organisation())
    out = io.StringIO()

    call_command("keep_organisation_fresh", "--once", stdout=out)

    assert out.getvalue() == "Read 2 active plans, 3 assignments and 3 people in 5 calls.\n"
    assert organisation.kept(make_client(cache_ttl=30)) is not None


def test_the_management_command_needs_the_shared_cache(settings):
    settings.PE365_CACHE_TTL = 0
    with pytest.raises(CommandError, match="PE365_CACHE_TTL"):
        call_command("keep_organisation_fresh", "--once")
