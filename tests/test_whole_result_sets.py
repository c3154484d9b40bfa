"""Whole result sets: every page of a list read at once, in order, bounded and shared.

The status and frequency filters, sorting and the CSV export need every plan matching
the name and template filters; plan progress scans a plan's completed conversations.
Both read through plans.api.pages.
"""

import json
import re
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.core.cache import cache
from responses import matchers

from plans import services
from plans.api import caching
from plans.api.client import Client
from plans.exceptions import TooManyRows, UpstreamUnavailable
from tests.helpers import (
    AUTH_HEADER,
    PATIENCE,
    PLANS_URL,
    expect_all,
    make_client,
    plan_item,
    plan_page,
)

pytestmark = pytest.mark.django_db


def expect_plans(upstream, query: dict, body: dict) -> None:
    upstream.get(
        PLANS_URL,
        json=body,
        match=[
            matchers.query_param_matcher({k: str(v) for k, v in query.items()}),
            matchers.header_matcher({"Authorization": AUTH_HEADER, "Accept": "application/json"}),
        ],
    )


def names(plans) -> list[str]:
    return [plan.name for plan in plans]


def numbered(count: int) -> list[str]:
    return [f"Plan {n:03d}" for n in range(count)]


def query_of(request) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(request.url).query).items()}


# --- Reading ------------------------------------------------------------------------------------


def test_it_reads_the_other_pages_at_the_page_size_the_upstream_serves(upstream):
    # Asked for 100 rows, the API serves 40: the other pages ask for 40 at offsets 40, 80.
    expect_plans(upstream, {"name": "Sales", "limit": 100, "offset": 0}, plan_page(95, 0, 40))
    expect_plans(upstream, {"name": "Sales", "limit": 40, "offset": 40}, plan_page(95, 40, 40))
    expect_plans(upstream, {"name": "Sales", "limit": 40, "offset": 80}, plan_page(95, 80, 40))

    plans = services.plan_list_all(client=make_client(), name="Sales")

    assert names(plans) == numbered(95)


def test_it_keeps_the_pages_in_offset_order_whatever_order_they_arrive_in(upstream):
    last_answered = threading.Event()

    def last_page_answers_first(request):
        offset = int(query_of(request)["offset"])
        if offset == 100:
            assert last_answered.wait(PATIENCE)
        if offset == 900:
            last_answered.set()
        return 200, {}, json.dumps(plan_page(1000, offset, 100))

    upstream.add_callback(responses.GET, PLANS_URL, callback=last_page_answers_first)

    plans = services.plan_list_all(client=make_client())

    assert names(plans) == numbered(1000)
    assert len(upstream.calls) == 10


@pytest.mark.parametrize("concurrency", [3, 8])
def test_it_never_has_more_calls_in_flight_than_its_concurrency(upstream, concurrency):
    guard = threading.Lock()
    in_flight = [0]
    peak = [0]
    all_in_flight = threading.Event()

    def page_held_until_the_pool_is_full(request):
        offset = int(query_of(request)["offset"])
        with guard:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
            if in_flight[0] == concurrency:
                all_in_flight.set()
        if offset:  # the first page is read alone
            all_in_flight.wait(PATIENCE)
        with guard:
            in_flight[0] -= 1
        return 200, {}, json.dumps(plan_page(3000, offset, 100))

    upstream.add_callback(responses.GET, PLANS_URL, callback=page_held_until_the_pool_is_full)

    plans = services.plan_list_all(client=make_client(concurrency=concurrency))

    assert len(plans) == 3000
    assert len(upstream.calls) == 30
    assert peak[0] == concurrency  # as many as allowed at once, never more


def test_it_tops_up_a_page_the_upstream_cut_short(upstream):
    items = [plan_item(n) for n in range(250)]

    def page(offset: int, size: int) -> dict:
        return {"count": 250, "results": items[offset : offset + size]}

    expect_plans(upstream, {"limit": 100, "offset": 0}, page(0, 100))
    expect_plans(upstream, {"limit": 100, "offset": 100}, page(100, 60))  # 60 of 100
    expect_plans(upstream, {"limit": 40, "offset": 160}, page(160, 40))
    expect_plans(upstream, {"limit": 100, "offset": 200}, page(200, 100))

    assert names(services.plan_list_all(client=make_client())) == numbered(250)


def test_it_reads_on_when_the_count_grows_while_it_reads(upstream):
    expect_plans(upstream, {"limit": 100, "offset": 0}, plan_page(200, 0, 100))
    expect_plans(upstream, {"limit": 100, "offset": 100}, plan_page(230, 100, 100))
    expect_plans(upstream, {"limit": 100, "offset": 200}, plan_page(230, 200, 100))

    assert names(services.plan_list_all(client=make_client())) == numbered(230)


def test_it_stops_when_the_list_runs_out_before_its_count(upstream):
    expect_plans(upstream, {"limit": 100, "offset": 0}, plan_page(300, 0, 100))
    expect_plans(upstream, {"limit": 100, "offset": 100}, plan_page(300, 100, 100))
    expect_plans(upstream, {"limit": 100, "offset": 200}, {"count": 200, "results": []})

    assert names(services.plan_list_all(client=make_client())) == numbered(200)


def test_it_stops_when_a_page_of_a_promised_list_is_empty(upstream):
    # count promises 50 and the first page serves 10: the next page at that size is empty.
    expect_plans(upstream, {"limit": 100, "offset": 0}, plan_page(10, 0, 10) | {"count": 50})
    for offset in (10, 20, 30, 40):
        expect_plans(upstream, {"limit": 10, "offset": offset}, {"count": 50, "results": []})

    assert names(services.plan_list_all(client=make_client())) == numbered(10)


def test_an_empty_list_costs_one_call(upstream):
    expect_plans(upstream, {"limit": 100, "offset": 0}, {"count": 0, "results": []})
    assert services.plan_list_all(client=make_client()) == ()


def test_a_failing_page_fails_the_whole_read(upstream):
    expect_plans(upstream, {"limit": 100, "offset": 0}, plan_page(200, 0, 100))
    upstream.get(
        PLANS_URL,
        status=500,
        json={"detail": "A server error occurred."},
        match=[matchers.query_param_matcher({"limit": "100", "offset": "100"})],
    )
    with pytest.raises(UpstreamUnavailable):
        services.plan_list_all(client=make_client())


def test_a_stream_reads_the_first_page_at_once_and_the_others_as_they_are_taken(upstream):
    expect_all(upstream, count=250)

    stream = services.plan_stream(client=make_client())

    assert stream.count == 250 and len(upstream.calls) == 1
    assert names(stream.items) == numbered(250)
    assert len(upstream.calls) == 3


def test_a_stream_of_a_set_already_read_calls_the_api_no_more(upstream):
    expect_all(upstream, count=150)
    client = make_client()  # no shared cache: the request's own copy
    services.plan_list_all(client=client)
    assert names(services.plan_stream(client=client).items) == numbered(150)
    assert len(upstream.calls) == 2


def test_a_stream_read_to_its_end_is_kept_and_one_left_halfway_is_not(upstream):
    expect_all(upstream, count=150)
    halfway = services.plan_stream(client=make_client(cache_ttl=30))
    next(halfway.items)
    streamed = services.plan_stream(client=make_client(cache_ttl=30))
    assert names(streamed.items) == numbered(150)
    assert len(upstream.calls) == 3  # the second stream read both pages again

    assert names(services.plan_list_all(client=make_client(cache_ttl=30))) == numbered(150)
    assert len(upstream.calls) == 3


# --- The row limit ------------------------------------------------------------------------------


def test_it_refuses_a_list_longer_than_its_row_limit_after_one_call(upstream):
    expect_plans(upstream, {"limit": 100, "offset": 0}, plan_page(251, 0, 100))

    with pytest.raises(TooManyRows, match=r"match 251 plans, .* \(250\)\. Narrow the list"):
        services.plan_list_all(client=make_client(max_rows=250))

    assert len(upstream.calls) == 1


def test_it_refuses_a_list_that_grows_past_its_row_limit_while_it_reads(upstream):
    expect_plans(upstream, {"limit": 100, "offset": 0}, plan_page(200, 0, 100))
    expect_plans(upstream, {"limit": 100, "offset": 100}, plan_page(260, 100, 100))
    with pytest.raises(TooManyRows, match="match 260 plans"):
        services.plan_list_all(client=make_client(max_rows=250))


def test_the_row_limit_defaults_to_50000(settings):
    assert settings.PE365_MAX_ROWS == 50_000
    assert Client.from_settings().max_rows == 50_000


def test_a_list_past_the_row_limit_says_how_to_narrow_it(admin_client, upstream, settings):
    settings.PE365_MAX_ROWS = 100
    expect_plans(upstream, {"name": "Plan", "limit": 100, "offset": 0}, plan_page(137, 0, 100))

    response = admin_client.get("/plans/?name=Plan&status=active&sort=name&per_page=50")

    assert response.status_code == 422
    html = response.content.decode()
    assert "These filters match 137 plans" in html
    assert "Narrow the list by plan name or template." in html
    link = re.search(r'<a href="([^"]*)">show the list without the status', html).group(1)
    assert link == "/plans/?name=Plan&amp;per_page=50"
    assert 'name="name"' in html and 'id="id_name"' in html  # the form to narrow it


@pytest.mark.parametrize("query", ["?status=draft", ""])
def test_an_export_past_the_row_limit_is_the_same_message_not_a_download(
    admin_client, upstream, settings, query
):
    settings.PE365_MAX_ROWS = 100
    expect_plans(upstream, {"limit": 100, "offset": 0}, plan_page(137, 0, 100))

    response = admin_client.get(f"/plans/export.csv{query}")

    assert response.status_code == 422
    assert response["Content-Type"].startswith("text/html")
    assert "These filters match 137 plans" in response.content.decode()


# --- Read once, page many times -----------------------------------------------------------------


@pytest.fixture
def cached(settings):
    settings.PE365_CACHE_TTL = 30


def test_the_whole_set_is_shared_between_requests_as_one_value(upstream):
    expect_all(upstream, filters={"name": "Plan"})
    first = services.plan_list_all(client=make_client(cache_ttl=30), name="Plan")
    again = services.plan_list_all(client=make_client(cache_ttl=30), name="Plan")
    assert again == first and len(first) == 137
    assert len(upstream.calls) == 2

    # Its pages are not kept one by one besides: a page of the same size is a new call.
    expect_plans(upstream, {"name": "Plan", "limit": 100, "offset": 0}, plan_page(137, 0, 100))
    services.plan_list(client=make_client(cache_ttl=30), name="Plan", limit=100, offset=0)
    assert len(upstream.calls) == 3


def test_a_set_bigger_than_one_answer_may_be_is_still_shared(upstream, monkeypatch):
    monkeypatch.setattr(caching, "MAX_SHARED_ENTRY_BYTES", 1000)  # a page of 100 is more
    expect_all(upstream, count=137)
    services.plan_list_all(client=make_client(cache_ttl=30))
    services.plan_list_all(client=make_client(cache_ttl=30))
    assert len(upstream.calls) == 2


def test_a_shared_set_is_as_fresh_as_the_moment_it_was_read(upstream, clock):
    expect_all(upstream, count=3)
    reading = make_client(cache_ttl=30)
    read_at = clock.now()
    services.plan_list_all(client=reading)
    clock.advance(10)
    later = make_client(cache_ttl=30)
    services.plan_list_all(client=later)
    assert reading.fetched_at == later.fetched_at == read_at


def test_it_is_read_once_per_request(upstream):
    expect_all(upstream, count=150)
    client = make_client()  # no shared cache: only the request's memo can spare the calls
    services.plan_list_all(client=client)
    services.plan_list_all(client=client)
    assert len(upstream.calls) == 2


def test_paging_sorting_filtering_and_exporting_read_the_upstream_once(
    admin_client, upstream, cached
):
    expect_all(upstream, count=137, filters={"name": "Plan"})

    pages = [admin_client.get(f"/plans/?name=Plan&status=active&page={page}") for page in (1, 2, 4)]
    by_name = admin_client.get("/plans/?name=Plan&sort=-name&page=4")
    export = admin_client.get("/plans/export.csv?name=Plan&frequency=one-off")

    # 68 active plans: page 4 lands on page 3, the last.
    assert [page.status_code for page in pages] == [200, 200, 302]
    assert pages[2]["Location"] == "/plans/?name=Plan&status=active&page=3"
    assert "Showing 26–50 of 68 plans" in pages[1].content.decode()
    assert "Showing 76–100 of 137 plans" in by_name.content.decode()
    assert export.status_code == 200 and len(export.getvalue().splitlines()) == 1 + 46
    assert len(upstream.calls) == 2


def test_refresh_reads_the_whole_set_again(admin_client, upstream, cached):
    expect_all(upstream, count=3)
    renamed = [plan_item(n, name=f"Renamed {n}") for n in range(3)]
    expect_all(upstream, items=renamed)
    admin_client.get("/plans/?sort=name")

    response = admin_client.get("/plans/?sort=name&refresh=1")

    assert "Renamed 0" in response.content.decode()
    assert "Renamed 0" in admin_client.get("/plans/?sort=name").content.decode()
    assert len(upstream.calls) == 2


def test_a_plan_comes_out_of_the_shared_cache_as_it_went_in():
    plan = services.PlanSummary(
        api_id="580:a",
        name="n",
        template_name="t",
        template_api_id="580:b",
        status="s",
        frequency=None,
    )
    cache.set("plans", (plan,))  # the cache pickles what it keeps
    assert cache.get("plans") == (plan,)


def table_names(response) -> list[str]:
    tbody = re.search(r"<tbody.*</tbody>", response.content.decode(), re.DOTALL).group(0)
    return re.findall(r'<a href="/plans/[^"]*">([^<]*)</a>', tbody)


def test_paging_a_sorted_selection_reads_the_set_once(admin_client, upstream, cached):
    expect_all(upstream, count=137)

    pages = [admin_client.get(f"/plans/?status=active&sort=-name&page={n}") for n in (1, 2, 3)]
    pages.append(admin_client.get("/plans/?status=active&sort=-name&page=1"))

    assert "Showing 51–68 of 68 plans" in pages[2].content.decode()
    first = table_names(pages[0])
    assert first == sorted(first, reverse=True) and len(first) == 25
    assert table_names(pages[3]) == first
    admin_client.get("/plans/?status=draft&sort=name")
    assert len(upstream.calls) == 2


def test_a_refreshed_set_is_selected_and_sorted_again(admin_client, upstream, cached):
    expect_all(upstream, count=3)
    renamed = [plan_item(n, name=f"Renamed {n}") for n in (2, 1, 0)]
    expect_all(upstream, items=renamed)
    admin_client.get("/plans/?sort=-name")

    admin_client.get("/plans/?sort=-name&refresh=1")

    assert table_names(admin_client.get("/plans/?sort=-name")) == [
        "Renamed 2",
        "Renamed 1",
        "Renamed 0",
    ]
