import dataclasses
import json
import logging
import threading
from datetime import UTC, datetime

import pytest
import requests
import responses
from responses import matchers

from plans import services
from plans.api import transport
from plans.exceptions import (
    CredentialsRejected,
    MalformedResponse,
    NotFound,
    UpstreamThrottled,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tests.helpers import (
    AUTH_HEADER,
    CONVERSATIONS_URL,
    OTHER_PLAN_ID,
    PATIENCE,
    PLAN_ID,
    PLAN_URL,
    PLANS_URL,
    TEMPLATE_ID,
    TEMPLATE_URL,
    empty_page_once_joined,
    expect_plan_conversations,
    in_threads,
    load_fixture,
    make_client,
    plan_conversation,
    plan_item,
    plan_page,
)


def expect_list(upstream, query: dict, body: dict, status: int = 200):
    upstream.get(
        PLANS_URL,
        json=body,
        status=status,
        match=[
            matchers.query_param_matcher(query),
            matchers.header_matcher({"Authorization": AUTH_HEADER, "Accept": "application/json"}),
        ],
    )


# --- Requests sent ---------------------------------------------------------------------


def test_it_lists_plans_with_exact_url_query_and_basic_auth(upstream):
    expect_list(upstream, {"limit": "25", "offset": "0"}, load_fixture("plan_list.json"))

    page = services.plan_list(client=make_client(), limit=25, offset=0)

    assert page.count == 1
    assert page.plans[0] == services.PlanSummary(
        api_id=PLAN_ID,
        name="Engagement survey",
        template_name="Engagement Survey",
        template_api_id="580:55a31458-d71a-4962-841a-048439073239",
        status="draft",
        frequency="Every 4 weeks",
    )
    sent = upstream.calls[0].request
    assert sent.url == f"{PLANS_URL}?limit=25&offset=0"
    assert sent.headers["Authorization"] == AUTH_HEADER


def test_it_passes_filters_upstream_as_is(upstream):
    query = {
        "name": "Évaluation & co",
        "template_name": "Engagement Survey",
        "limit": "10",
        "offset": "20",
    }
    expect_list(upstream, query, plan_page(0, 0, 0))

    services.plan_list(
        client=make_client(),
        name="Évaluation & co",
        template_name="Engagement Survey",
        limit=10,
        offset=20,
    )

    assert "name=%C3%89valuation+%26+co" in upstream.calls[0].request.url


def test_it_leaves_out_empty_filters(upstream):
    expect_list(upstream, {"limit": "25", "offset": "0"}, plan_page(3, 0, 3))
    services.plan_list(client=make_client(), name="", template_name="", limit=25, offset=0)


def test_it_tops_up_a_page_the_api_capped(upstream):
    expect_list(upstream, {"limit": "5", "offset": "0"}, plan_page(8, 0, 2))
    expect_list(upstream, {"limit": "3", "offset": "2"}, plan_page(8, 2, 3))

    page = services.plan_list(client=make_client(), limit=5, offset=0)

    assert [p.name for p in page.plans] == [f"Plan {n:03d}" for n in range(5)]


def test_it_gets_one_plan_with_its_id_percent_encoded_as_one_segment(upstream):
    upstream.get(
        PLAN_URL,
        json=load_fixture("plan_detail.json"),
        match=[
            matchers.query_param_matcher({}),
            matchers.header_matcher({"Authorization": AUTH_HEADER}),
        ],
    )

    plan = services.plan_get(client=make_client(), api_id=PLAN_ID)

    assert upstream.calls[0].request.url == PLAN_URL
    assert plan.frequency is None
    assert plan.assigned_users == (
        services.User(
            api_id="582:8a1fc17e-d1f5-4d6b-924e-dea3912814e3",
            name="Joanne Stefani",
            email="jstefani@test.com",
        ),
    )
    assert plan.assigned_departments == (
        services.Department(
            api_id="442:8a1fc17e-d1f5-4d6b-924e-dea3912814e3", name="Senior Developers"
        ),
    )


@pytest.mark.parametrize(
    "api_id",
    [
        "",
        "..",
        ".",
        "a/b",
        "../../users",
        "a?b=1",
        "a#b",
        "a b",
        "a\\b",
        "a%2Fb",
        "a\x00b",
        "x" * 201,
    ],
)
def test_it_refuses_ids_that_could_reach_another_path(upstream, api_id):
    with pytest.raises(NotFound):
        services.plan_get(client=make_client(), api_id=api_id)
    assert len(upstream.calls) == 0


def test_it_encodes_every_reserved_character_of_an_allowed_id():
    assert services.plan_path("580:a!b@c") == "/api/v2/conversation_plans/580%3Aa%21b%40c/"


def test_it_gives_connecting_and_reading_what_is_left_of_the_budget(upstream, clock):
    expect_list(upstream, {"limit": "1", "offset": "0"}, plan_page(0, 0, 0))
    client = make_client(timeout=7)
    clock.advance(2)
    services.plan_list(client=client, limit=1, offset=0)
    assert upstream.calls[0].request.req_kwargs["timeout"] == (5, 5)


# --- Tolerance and malformed answers -----------------------------------------------------


def test_it_tolerates_missing_optional_keys_and_extra_keys(upstream):
    item = {"api_id": "1:x", "name": "Bare", "surprise": {"nested": True}}
    expect_list(
        upstream, {"limit": "25", "offset": "0"}, {"count": 1, "results": [item], "extra": 1}
    )

    page = services.plan_list(client=make_client(), limit=25, offset=0)

    assert page.plans[0] == services.PlanSummary("1:x", "Bare", "", "", "", None)


@pytest.mark.parametrize(
    "body",
    [
        ["unexpected"],
        {"results": []},
        {"count": "3", "results": []},
        {"count": -1, "results": []},
        {"count": 1, "results": "oops"},
        {"count": 1, "results": ["not an object"]},
        {"count": 1, "results": [{"name": "no id"}]},
        {"count": 1, "results": [{"api_id": "1:x", "name": 42}]},
    ],
)
def test_it_reports_a_wrongly_shaped_list_as_malformed(upstream, body):
    expect_list(upstream, {"limit": "25", "offset": "0"}, body)
    with pytest.raises(MalformedResponse):
        services.plan_list(client=make_client(), limit=25, offset=0)


def test_it_reports_wrongly_shaped_assignees_as_malformed(upstream):
    detail = load_fixture("plan_detail.json") | {"assigned_users": {"oops": 1}}
    upstream.get(PLAN_URL, json=detail)
    with pytest.raises(MalformedResponse):
        services.plan_get(client=make_client(), api_id=PLAN_ID)


def test_it_reports_invalid_json_as_malformed(upstream):
    upstream.get(PLANS_URL, body='{"count": 3, "results": [', content_type="application/json")
    with pytest.raises(MalformedResponse, match="could not read"):
        services.plan_list(client=make_client(), limit=25, offset=0)


# --- Errors and retries ----------------------------------------------------------------------


def test_it_maps_401_to_rejected_credentials_naming_the_settings(upstream):
    upstream.get(PLANS_URL, json={"detail": "Invalid username/password."}, status=401)
    with pytest.raises(CredentialsRejected) as raised:
        services.plan_list(client=make_client(), limit=25, offset=0)
    assert "check its API key" in raised.value.message
    assert "PE365_API_KEY" in raised.value.detail
    assert "test-api-key" not in raised.value.message + raised.value.detail


def test_it_maps_403_to_rejected_credentials(upstream):
    upstream.get(PLANS_URL, json={"detail": "You do not have permission."}, status=403)
    with pytest.raises(CredentialsRejected, match="refused the dashboard's access") as raised:
        services.plan_list(client=make_client(), limit=25, offset=0)
    assert "lacks read access" in raised.value.detail


def test_it_maps_404_to_not_found(upstream):
    upstream.get(PLAN_URL, json={"detail": "Not found."}, status=404)
    with pytest.raises(NotFound, match="no plan"):
        services.plan_get(client=make_client(), api_id=PLAN_ID)


def test_it_does_not_retry_a_500(upstream):
    upstream.get(PLANS_URL, json={"detail": "A server error occurred."}, status=500)
    with pytest.raises(UpstreamUnavailable, match="server error") as raised:
        services.plan_list(client=make_client(), limit=25, offset=0)
    assert "HTTP 500" in raised.value.detail
    assert len(upstream.calls) == 1


@pytest.mark.parametrize("status", [502, 503, 504])
def test_it_retries_gateway_errors_then_gives_up(upstream, status):
    attempts = transport.RETRY.total + 1
    for _ in range(attempts):
        upstream.get(PLANS_URL, json={"detail": "down"}, status=status)
    with pytest.raises(UpstreamUnavailable, match="server error") as raised:
        services.plan_list(client=make_client(), limit=25, offset=0)
    assert f"HTTP {status}" in raised.value.detail
    assert len(upstream.calls) == attempts


def test_it_recovers_when_a_retry_succeeds(upstream):
    upstream.get(PLANS_URL, status=503)
    upstream.get(PLANS_URL, json=plan_page(1, 0, 1))
    page = services.plan_list(client=make_client(), limit=25, offset=0)
    assert page.count == 1


def test_it_retries_a_429_and_gives_up_when_it_keeps_coming(upstream):
    upstream.get(PLANS_URL, status=429, headers={"Retry-After": "2"})
    upstream.get(PLANS_URL, status=429, json={"detail": "Request was throttled."})
    with pytest.raises(UpstreamThrottled, match="too many requests") as raised:
        services.plan_list(client=make_client(), limit=25, offset=0)
    assert "HTTP 429" in raised.value.detail
    assert len(upstream.calls) == transport.RETRY.total + 1


def test_it_honours_retry_after_up_to_a_cap():
    assert transport.RETRY.parse_retry_after("2") == 2
    assert transport.RETRY.parse_retry_after("3600") == transport.RETRY_AFTER_MAX == 5


def test_it_never_waits_past_its_time_budget(upstream):
    upstream.get(PLANS_URL, status=429, headers={"Retry-After": "5"})
    with pytest.raises(UpstreamThrottled):
        services.plan_list(client=make_client(timeout=1), limit=25, offset=0)
    assert len(upstream.calls) == 1, "a wait past the budget is not waited: no retry"


def test_it_maps_a_read_timeout_without_retrying(upstream):
    upstream.get(PLANS_URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(UpstreamTimeout, match="within 10 seconds"):
        services.plan_list(client=make_client(), limit=25, offset=0)
    assert len(upstream.calls) == 1


def test_it_reports_a_connection_error_as_unavailable(upstream):
    # (urllib3 retries it first; responses raises it past the adapter's Retry.)
    upstream.get(PLANS_URL, body=requests.ConnectionError("refused"))
    with pytest.raises(UpstreamUnavailable, match="could not be reached") as raised:
        services.plan_list(client=make_client(), limit=25, offset=0)
    assert "PE365_API_URL" in raised.value.detail


def test_it_logs_path_status_and_time_but_never_the_key(upstream, caplog):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    with caplog.at_level(logging.INFO, logger="plans.services"):
        services.plan_get(client=make_client(), api_id=PLAN_ID)
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith("upstream GET /api/v2/conversation_plans/580%3A58f96337")
    assert "-> 200 in " in line and line.endswith(" ms")
    assert "test-api-key" not in caplog.text
    assert "test-api-key" not in repr(make_client())


# --- Per-request memo and shared cache -------------------------------------------------------


def test_it_fetches_a_resource_once_per_request(upstream):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    client = make_client()
    for _ in range(3):
        services.plan_get(client=client, api_id=PLAN_ID)
    assert len(upstream.calls) == 1


def test_it_memoises_failures_within_a_request(upstream):
    upstream.get(PLAN_URL, json={"detail": "Not found."}, status=404)
    client = make_client()
    for _ in range(2):
        with pytest.raises(NotFound):
            services.plan_get(client=client, api_id=PLAN_ID)
    assert len(upstream.calls) == 1


def test_it_shares_nothing_between_requests_without_a_cache(upstream):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    services.plan_get(client=make_client(), api_id=PLAN_ID)
    services.plan_get(client=make_client(), api_id=PLAN_ID)
    assert len(upstream.calls) == 2


def test_the_shared_cache_serves_a_second_request(upstream):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    first = make_client(cache_ttl=30)
    services.plan_get(client=first, api_id=PLAN_ID)
    second = make_client(cache_ttl=30)
    services.plan_get(client=second, api_id=PLAN_ID)
    assert len(upstream.calls) == 1
    assert second.fetched_at == first.fetched_at


def test_the_shared_cache_keeps_accounts_apart(upstream):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    services.plan_get(client=make_client(cache_ttl=30), api_id=PLAN_ID)
    services.plan_get(client=make_client(cache_ttl=30, username="other-bot"), api_id=PLAN_ID)
    assert len(upstream.calls) == 2


def test_refresh_bypasses_and_renews_the_shared_cache(upstream):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json") | {"name": "Renamed"})
    services.plan_get(client=make_client(cache_ttl=30), api_id=PLAN_ID)
    fresh = services.plan_get(client=make_client(cache_ttl=30, bypass_cache=True), api_id=PLAN_ID)
    cached = services.plan_get(client=make_client(cache_ttl=30), api_id=PLAN_ID)
    assert fresh.name == cached.name == "Renamed"
    assert len(upstream.calls) == 2


def test_it_never_caches_failures_across_requests(upstream):
    upstream.get(PLAN_URL, status=500)
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    with pytest.raises(UpstreamUnavailable):
        services.plan_get(client=make_client(cache_ttl=30), api_id=PLAN_ID)
    assert services.plan_get(client=make_client(cache_ttl=30), api_id=PLAN_ID).name


def test_concurrent_misses_make_one_upstream_call(upstream, flight_joins):
    upstream.add_callback(
        responses.GET, PLANS_URL, callback=empty_page_once_joined(flight_joins, 7)
    )
    threads = [
        threading.Thread(
            target=services.plan_list,
            kwargs={"client": make_client(cache_ttl=30), "limit": 5, "offset": 0},
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(upstream.calls) == 1


def test_plan_item_helper_matches_the_vendor_shape():
    assert set(plan_item(1)) == set(load_fixture("plan_list.json")["results"][0])


# --- Templates ----------------------------------------------------------------------------------


def test_it_gets_a_template_with_its_id_as_one_encoded_segment(upstream):
    upstream.get(
        TEMPLATE_URL,
        json=load_fixture("template_detail.json"),
        match=[
            matchers.query_param_matcher({}),
            matchers.header_matcher({"Authorization": AUTH_HEADER}),
        ],
    )
    template = services.template_get(client=make_client(), api_id=TEMPLATE_ID)
    assert template == services.Template(
        api_id=TEMPLATE_ID,
        name="Engagement Survey",
        active=True,
        draft=False,
        deleted=False,
        created=datetime(2024, 3, 14, 9, 26, tzinfo=UTC),
        updated=datetime(2025, 1, 20, 16, 5, tzinfo=UTC),
    )
    assert template.state == "active"


@pytest.mark.parametrize("api_id", ["../users", "a/b", "x?y", "%2e%2e", "", "a b"])
def test_impossible_template_ids_never_reach_the_api(upstream, api_id):
    with pytest.raises(NotFound, match="no template with that id"):
        services.template_get(client=make_client(), api_id=api_id)


@pytest.mark.parametrize(
    "body", [["unexpected"], {"name": 3}, {"active": "yes"}, {"created_date": "last week"}]
)
def test_a_malformed_template_is_reported(upstream, body):
    upstream.get(TEMPLATE_URL, json=body)
    with pytest.raises(MalformedResponse):
        services.template_get(client=make_client(), api_id=TEMPLATE_ID)


# --- Progress -----------------------------------------------------------------------------------


def the_plan(upstream) -> services.PlanDetail:
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    return services.plan_get(client=make_client(), api_id=PLAN_ID)


def test_progress_counts_the_plans_own_conversations_by_status(upstream):
    plan = the_plan(upstream)
    finals = [
        plan_conversation(n, status="final", updated=f"2026-0{n}-01T00:00:00Z") for n in range(1, 6)
    ]
    drafts = [plan_conversation(n) for n in range(6, 13)]
    others = [
        plan_conversation(13, status="deleted"),
        plan_conversation(14, status="archived"),
        # Another plan of the same name: the API filters conversations by name alone.
        plan_conversation(
            15, status="final", updated="2026-09-01T00:00:00Z", plan_api_id=OTHER_PLAN_ID
        ),
    ]
    expect_plan_conversations(upstream, finals + drafts + others)

    progress = services.plan_progress(client=make_client(), plan=plan)

    assert progress == services.PlanProgress(
        draft=7, final=5, last_completed=datetime(2026, 5, 1, tzinfo=UTC)
    )
    assert progress.total == 12 and progress.percent_final == 42


def test_progress_and_participation_share_one_read_of_the_conversations(upstream):
    plan = the_plan(upstream)
    expect_plan_conversations(upstream, [plan_conversation(1, status="final")])
    client = make_client()

    services.plan_participation(client=client, plan=plan)
    progress = services.plan_progress(client=client, plan=plan)

    assert progress.final == 1
    assert len(upstream.calls) == 2  # the plan, and the one page of conversations


@pytest.mark.parametrize("read", [services.plan_progress, services.plan_participation])
def test_progress_or_participation_of_a_nameless_plan_asks_nothing(upstream, read):
    plan = dataclasses.replace(the_plan(upstream), name="")
    with pytest.raises(NotFound):
        read(client=make_client(), plan=plan)
    assert len(upstream.calls) == 1  # the plan alone


def test_extras_run_concurrently_and_keep_each_failure_to_itself(upstream):
    both_asked = threading.Barrier(2)

    def answered_once_both_are_asked(status, body):
        def answer(request):
            both_asked.wait(PATIENCE)  # broken, failing the call, if they came one by one
            return status, {}, json.dumps(body)

        return answer

    upstream.add_callback(
        responses.GET,
        TEMPLATE_URL,
        callback=answered_once_both_are_asked(500, {"detail": "A server error occurred."}),
    )
    upstream.add_callback(
        responses.GET,
        CONVERSATIONS_URL,
        callback=answered_once_both_are_asked(200, {"count": 0, "results": []}),
    )
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    client = make_client()
    plan = services.plan_get(client=client, api_id=PLAN_ID)

    extras = services.plan_extras(client=client, plan=plan)

    assert extras.template is None
    assert isinstance(extras.template_error, UpstreamUnavailable)
    assert extras.progress == services.PlanProgress(draft=0, final=0, last_completed=None)
    assert extras.progress_error is None


def test_the_per_request_memo_is_safe_across_threads(upstream):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    client = make_client()  # no shared cache: only the memo can deduplicate
    plans = []

    in_threads(lambda: plans.append(services.plan_get(client=client, api_id=PLAN_ID)), 8)

    assert len(plans) == 8
    assert len(upstream.calls) == 1
