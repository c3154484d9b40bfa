"""A page's upstream work has one budget: PE365_TIMEOUT seconds and PE365_MAX_CALLS calls
shared by all of its calls, and a 429 to any of them holds the others back."""

import json
import threading
import time

import pytest
from responses import matchers

from plans import services
from plans.exceptions import TooManyCalls, UpstreamThrottled, UpstreamTimeout
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


def test_its_time_budget_starts_when_the_client_is_made(upstream):
    upstream.get(PLANS_URL, json=plan_page(3, 0, 3))
    client = make_client(timeout=2)
    time.sleep(0.5)

    services.plan_list(client=client, limit=25, offset=0)

    assert read_timeout(upstream.calls[0]) <= 1.5


def test_every_call_of_a_page_gets_what_is_left_of_its_budget(upstream):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    upstream.get(TEMPLATE_URL, json=load_fixture("template_detail.json"))
    client = make_client(timeout=3)
    services.plan_get(client=client, api_id=PLAN_ID)
    time.sleep(1)

    with client.concurrently() as pool:
        pool.submit(services.template_get, client=client, api_id=TEMPLATE_ID).result()

    first, second = (read_timeout(call) for call in upstream.calls)
    assert first > 2.5
    assert second <= 2.0, "the pool's call shares the request's deadline"


def test_it_makes_no_call_once_the_budget_is_spent(upstream):
    client = make_client(timeout=0.2)
    time.sleep(0.3)

    with pytest.raises(UpstreamTimeout, match=r"did not answer within 0\.2 seconds"):
        services.plan_list(client=client, limit=25, offset=0)

    assert len(upstream.calls) == 0


def test_a_page_of_slow_calls_ends_at_its_budget_not_at_the_sum_of_their_timeouts(upstream):
    def slow_page(request):
        time.sleep(0.4)
        offset = int(request.params["offset"])
        return 200, {}, json.dumps(plan_page(9900, offset, 100))

    upstream.add_callback("GET", PLANS_URL, callback=slow_page)
    started = time.monotonic()

    client = make_client(timeout=1)
    with pytest.raises(UpstreamTimeout, match="within 1 seconds"):
        services.plan_list_all(client=client)

    assert time.monotonic() - started < 1 + 1
    # The first page, then the others at once: no call starts once the second alone
    # would end past the budget.
    assert len(upstream.calls) <= 1 + 2 * client.concurrency


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


def test_a_429_holds_every_further_call_of_the_request_until_retry_after(upstream):
    throttled_at: list[float] = []
    arrivals: dict[str, float] = {}
    throttled = threading.Event()

    def plans_once_throttled(request):
        if not throttled_at:
            throttled_at.append(time.monotonic())
            throttled.set()
            return 429, {"Retry-After": "1"}, '{"detail": "Request was throttled."}'
        arrivals["plans retried"] = time.monotonic()
        return 200, {}, '{"count": 0, "results": []}'

    def template(request):
        arrivals["template"] = time.monotonic()
        return 200, {}, json.dumps(load_fixture("template_detail.json"))

    upstream.add_callback("GET", PLANS_URL, callback=plans_once_throttled)
    upstream.add_callback("GET", TEMPLATE_URL, callback=template)
    client = make_client(timeout=5)

    with client.concurrently() as pool:
        plans = pool.submit(services.plan_list, client=client, limit=25, offset=0)
        assert throttled.wait(2)
        services.template_get(client=client, api_id=TEMPLATE_ID)
        plans.result()

    assert arrivals["template"] - throttled_at[0] >= 0.95, "held by the other call's 429"
    assert arrivals["plans retried"] - throttled_at[0] >= 0.95


def test_a_429_to_one_page_of_a_whole_set_holds_every_other_page_until_retry_after(upstream):
    guard = threading.Lock()
    throttled_at: list[float] = []
    arrivals: list[tuple[int, float]] = []

    def pages_one_throttled_once(request):
        offset = int(request.params["offset"])
        with guard:
            now = time.monotonic()
            if offset == 300 and not throttled_at:
                throttled_at.append(now)
                return 429, {"Retry-After": "1"}, '{"detail": "Request was throttled."}'
            arrivals.append((offset, now))
        time.sleep(0.1)  # the pages in flight when the 429 comes are answered after it
        return 200, {}, json.dumps(plan_page(1000, offset, 100))

    upstream.add_callback("GET", PLANS_URL, callback=pages_one_throttled_once)

    plans = services.plan_list_all(client=make_client(timeout=5))

    assert [plan.name for plan in plans] == [f"Plan {n:03d}" for n in range(1000)]
    after = {offset: at - throttled_at[0] for offset, at in arrivals if at > throttled_at[0]}
    assert {300, 900} <= set(after)  # 300's retry, and a page its thread had yet to ask for
    assert min(after.values()) >= 0.95, "every further call of the scan waited Retry-After"


def test_another_requests_calls_are_not_held_by_a_429(upstream):
    upstream.get(PLANS_URL, status=429, headers={"Retry-After": "5"})
    upstream.get(TEMPLATE_URL, json=load_fixture("template_detail.json"))
    throttled = make_client(timeout=2)
    with pytest.raises(UpstreamThrottled):
        services.plan_list(client=throttled, limit=25, offset=0)
    started = time.monotonic()

    services.template_get(client=make_client(timeout=2), api_id=TEMPLATE_ID)

    assert time.monotonic() - started < 0.5


def test_a_hold_longer_than_the_budget_refuses_further_calls_at_once(upstream):
    upstream.get(PLANS_URL, status=429, headers={"Retry-After": "5"})
    client = make_client(timeout=2)
    with pytest.raises(UpstreamThrottled):
        services.plan_list(client=client, limit=25, offset=0)
    started = time.monotonic()

    with pytest.raises(UpstreamThrottled, match="too many requests"):
        services.template_get(client=client, api_id=TEMPLATE_ID)

    assert time.monotonic() - started < 0.1
    assert len(upstream.calls) == 1, "the template is never asked for"
