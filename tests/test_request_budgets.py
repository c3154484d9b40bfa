"""A page's upstream work has one budget: PE365_TIMEOUT seconds and PE365_MAX_CALLS calls
shared by all of its calls; a 429 is retried only when its Retry-After fits the budget."""

import json
import time

import pytest
from responses import matchers

from plans import services
from plans.exceptions import TooManyCalls, UpstreamError, UpstreamThrottled, UpstreamTimeout
from tests.helpers import (
    PLAN_ID,
    PLAN_URL,
    PLANS_URL,
    TEMPLATE_ID,
    TEMPLATE_URL,
    load_fixture,
    make_client,
    plan_page,
)


def read_timeout(call) -> float:
    """The read timeout requests was given for one recorded call."""
    return call.request.req_kwargs["timeout"][1]


def expect_pages(upstream, *, count: int, offsets) -> None:
    for offset in offsets:
        upstream.get(
            PLANS_URL,
            json=plan_page(count, offset, 100),
            match=[matchers.query_param_matcher({"limit": "100", "offset": str(offset)})],
        )


# --- Time --------------------------------------------------------------------------------


def test_its_time_budget_starts_when_the_client_is_made(upstream, clock):
    upstream.get(PLANS_URL, json=plan_page(3, 0, 3))
    client = make_client(timeout=2)
    clock.advance(0.5)

    services.plan_list(client=client, limit=25, offset=0)

    assert read_timeout(upstream.calls[0]) == 1.5


def test_every_call_of_a_page_gets_what_is_left_of_its_budget(upstream, clock):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    upstream.get(TEMPLATE_URL, json=load_fixture("template_detail.json"))
    client = make_client(timeout=3)
    services.plan_get(client=client, api_id=PLAN_ID)
    clock.advance(1)

    with client.concurrently() as pool:
        pool.submit(services.template_get, client=client, api_id=TEMPLATE_ID).result()

    first, second = (read_timeout(call) for call in upstream.calls)
    assert first == 3
    assert second == 2, "the pool's call shares the request's deadline"


def test_it_makes_no_call_once_the_budget_is_spent(upstream, clock):
    client = make_client(timeout=0.2)
    clock.advance(0.3)

    with pytest.raises(UpstreamTimeout, match=r"did not answer within 0\.2 seconds"):
        services.plan_list(client=client, limit=25, offset=0)

    assert len(upstream.calls) == 0


def test_a_page_of_slow_calls_ends_at_its_budget_not_at_the_sum_of_their_timeouts(upstream, clock):
    def slow_page(request):
        clock.advance(0.4)
        offset = int(request.params["offset"])
        return 200, {}, json.dumps(plan_page(9900, offset, 100))

    upstream.add_callback("GET", PLANS_URL, callback=slow_page)

    client = make_client(timeout=1)
    with pytest.raises(UpstreamTimeout, match="within 1 seconds"):
        services.plan_list_all(client=client)

    # The first page, then the others at once: none starts once the budget is spent.
    assert len(upstream.calls) <= 1 + client.concurrency


def test_an_answer_that_arrives_in_time_but_is_read_past_the_budget_is_a_timeout(upstream, clock):
    def answered_as_the_budget_ends(request):
        clock.advance(1.5)
        return 200, {}, json.dumps(plan_page(3, 0, 3))

    upstream.add_callback("GET", PLANS_URL, callback=answered_as_the_budget_ends)

    with pytest.raises(UpstreamTimeout):
        services.plan_list(client=make_client(timeout=1), limit=25, offset=0)


# --- Calls --------------------------------------------------------------------------------


def any_page_of(count: int):
    """A `responses` callback: the page of `count` plans the query asks for."""

    def page(request):
        offset, limit = int(request.params["offset"]), int(request.params["limit"])
        return 200, {}, json.dumps(plan_page(count, offset, limit))

    return page


def test_a_page_that_needs_more_calls_than_allowed_stops_with_a_clear_message(upstream):
    # Its pages are read at once: which two follow the first is up to the threads.
    upstream.add_callback("GET", PLANS_URL, callback=any_page_of(30_000))

    with pytest.raises(TooManyCalls) as raised:
        services.plan_list_all(client=make_client(max_calls=3))

    assert "Narrow the list by plan name or template" in raised.value.message
    assert "PE365_MAX_CALLS" in raised.value.detail
    assert len(upstream.calls) == 3


@pytest.mark.django_db
def test_the_list_page_says_to_narrow_it_when_it_needs_too_many_calls(
    admin_client, upstream, settings
):
    settings.PE365_MAX_CALLS = 2
    upstream.add_callback("GET", PLANS_URL, callback=any_page_of(30_000))

    response = admin_client.get("/plans/", {"sort": "name"})

    assert response.status_code == 503
    page = response.content.decode()
    assert "Narrow the list by plan name or template" in page
    assert "PE365_MAX_CALLS" in page
    assert len(upstream.calls) == 2


# --- 429 ------------------------------------------------------------------------------------


def test_a_429_whose_retry_after_fits_the_budget_is_retried(upstream):
    upstream.get(PLANS_URL, status=429, headers={"Retry-After": "1"})
    upstream.get(PLANS_URL, json=plan_page(3, 0, 3))

    page = services.plan_list(client=make_client(timeout=5), limit=25, offset=0)

    assert page.count == 3
    assert len(upstream.calls) == 2


def test_a_retry_after_longer_than_the_budget_is_not_waited_for(upstream):
    upstream.get(PLANS_URL, status=429, headers={"Retry-After": "5"})

    with pytest.raises(UpstreamThrottled, match="too many requests"):
        services.plan_list(client=make_client(timeout=2), limit=25, offset=0)

    assert len(upstream.calls) == 1, "no retry: its wait would end past the budget"


def test_another_requests_calls_are_not_held_by_a_429(upstream):
    upstream.get(PLANS_URL, status=429, headers={"Retry-After": "5"})
    upstream.get(TEMPLATE_URL, json=load_fixture("template_detail.json"))
    with pytest.raises(UpstreamThrottled):
        services.plan_list(client=make_client(timeout=2), limit=25, offset=0)

    template = services.template_get(client=make_client(timeout=2), api_id=TEMPLATE_ID)

    assert template.name


# --- One deadline, over real HTTP --------------------------------------------------------


@pytest.mark.parametrize(
    "fault", ["trickle-status", "trickle-headers", "trickle", "stall", "slow:5", "429:1~slow:0.6"]
)
def test_a_get_ends_by_its_deadline_whatever_the_upstream_holds_back(fault_api, fault):
    client = make_client(root=fault_api.url, username="demo", api_key="demo-key", timeout=1)
    started = time.monotonic()

    with pytest.raises(UpstreamError) as raised:
        services.plan_list(client=client, name=f"!fault:{fault}", limit=25, offset=0)

    assert time.monotonic() - started < 1 + 1
    assert isinstance(raised.value, UpstreamTimeout | UpstreamThrottled)
