"""What an upstream answer may hold: a size cap after decompression, strict JSON with a
bounded number of values, numbers and dates within reason, and only text that can be
stored and shown; the in-process cache bounded in entries and entry size."""

import gzip
import json
import tracemalloc

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from responses import matchers

from plans import services
from plans.api import caching, reader
from plans.exceptions import MalformedResponse, TooManyRows
from tests.helpers import (
    CONVERSATIONS_URL,
    PLAN_ID,
    PLAN_URL,
    PLANS_URL,
    TEMPLATE_ID,
    TEMPLATE_URL,
    conversation,
    load_fixture,
    make_client,
    plan_page,
)

LIMIT = 64 * 1024


def big_plan_list(size: int) -> bytes:
    """A valid plan list of about `size` bytes (one very long plan name)."""
    page = plan_page(1, 0, 1)
    page["results"][0]["name"] = "x" * size
    return json.dumps(page).encode()


# --- Size -------------------------------------------------------------------------------


def test_it_refuses_an_answer_bigger_than_the_cap(upstream):
    upstream.get(PLANS_URL, body=big_plan_list(LIMIT * 2), content_type="application/json")

    with pytest.raises(MalformedResponse, match="bigger than the dashboard reads") as raised:
        services.plan_list(client=make_client(max_response_bytes=LIMIT), limit=25, offset=0)

    assert "PE365_MAX_RESPONSE_MB" in raised.value.detail


def test_it_counts_the_cap_after_decompression(upstream):
    compressed = gzip.compress(big_plan_list(LIMIT * 4))
    assert len(compressed) < LIMIT
    upstream.get(PLANS_URL, body=compressed, headers={"Content-Encoding": "gzip"})

    with pytest.raises(MalformedResponse, match="bigger than the dashboard reads"):
        services.plan_list(client=make_client(max_response_bytes=LIMIT), limit=25, offset=0)


def test_it_reads_a_compressed_answer_within_the_cap(upstream):
    body = big_plan_list(LIMIT // 2)
    upstream.get(PLANS_URL, body=gzip.compress(body), headers={"Content-Encoding": "gzip"})

    page = services.plan_list(client=make_client(max_response_bytes=LIMIT), limit=25, offset=0)

    assert len(page.plans[0].name) == LIMIT // 2


def test_the_cap_comes_from_pe365_max_response_mb(settings):
    settings.PE365_MAX_RESPONSE_MB = 3
    assert services.Client.from_settings().max_response_bytes == 3 * 2**20


# --- Strict JSON --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"count": NaN, "results": []}',
        '{"count": Infinity, "results": []}',
        '{"count": 1, "results": [{"api_id": "1", "name": "x", "score": 1e999}]}',
        '{"count": 1' + "0" * 5000 + ', "results": []}',
        '{"count": 1, "results": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
    ids=["nan", "infinity", "float-overflow", "5000-digits", "nested-100000-deep"],
)
def test_it_refuses_json_no_page_could_use(upstream, body):
    upstream.get(PLANS_URL, body=body, content_type="application/json")

    with pytest.raises(MalformedResponse, match="could not read") as raised:
        services.plan_list(client=make_client(), limit=25, offset=0)

    assert "not JSON" in raised.value.detail


# --- Memory follows the size of an answer, not its shape ------------------------------------


@pytest.mark.parametrize("item", [b"{}", b"[]", b"0", b'"ab"'])
def test_an_answer_of_many_small_values_is_refused_before_it_is_decoded(upstream, item):
    # 31 MB of tiny values would take gigabytes once decoded.
    body = b'{"count": 1, "results": [' + b",".join([item] * (31 * 2**20 // 5)) + b"]}"
    upstream.get(PLANS_URL, body=body, content_type="application/json")
    tracemalloc.start()
    try:
        with pytest.raises(MalformedResponse, match="could not read") as raised:
            services.plan_list(client=make_client(), limit=25, offset=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert "more values than the dashboard reads" in raised.value.detail
    assert peak < 4 * len(body), "a few times the answer, never what decoding it would take"


def test_an_answer_within_the_value_bound_is_read(upstream):
    limit = make_client().max_response_bytes // 32
    body = '{"count": 1, "results": [{"api_id": "1", "name": "x", "tags": [' + ",".join(
        ["0"] * (limit - 100)
    )
    upstream.get(PLANS_URL, body=body + "]}]}", content_type="application/json")

    page = services.plan_list(client=make_client(), limit=25, offset=0)

    assert page.plans[0].name == "x"


def test_a_list_page_holding_more_items_than_asked_for_is_malformed(upstream):
    upstream.get(PLANS_URL, json=plan_page(500, 0, 200))

    with pytest.raises(MalformedResponse, match="could not read") as raised:
        services.plan_list(client=make_client(), limit=25, offset=0)

    assert "200 items where at most 25 were asked for" in raised.value.detail


# --- Text -----------------------------------------------------------------------------------


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\u0000"])
def test_a_lone_surrogate_or_nul_in_upstream_text_becomes_the_replacement_character(
    upstream, escape
):
    body = json.dumps(plan_page(1, 0, 1)).replace('"Plan 000"', f'"Plan {escape}000"')
    upstream.get(PLANS_URL, body=body, content_type="application/json")

    (plan,) = services.plan_list(client=make_client(), limit=25, offset=0).plans

    assert plan.name == "Plan \ufffd000"
    plan.name.encode()  # any page, export or database row can hold it


def test_a_surrogate_pair_in_upstream_text_stays_the_character_it_encodes(upstream):
    body = json.dumps(plan_page(1, 0, 1)).replace('"Plan 000"', '"Plan \\ud83d\\ude00"')
    upstream.get(PLANS_URL, body=body, content_type="application/json")

    (plan,) = services.plan_list(client=make_client(), limit=25, offset=0).plans

    assert plan.name == "Plan \U0001f600"


def test_a_plans_assigned_users_read_as_other_text_does():
    users = [
        {"api_id": "582:a", "name": "Ana", "email": "ana@example.com", "extra": 1},
        {"api_id": "582:b", "name": None},  # nulls and missing keys are empty
        {"api_id": "582:c", "name": "Bo\ud800", "email": "bo\x00@example.com"},
    ]
    plan = reader.plan_detail({"api_id": "580:p", "assigned_users": users}, path="/p/")

    assert [(u.api_id, u.name, u.email) for u in plan.assigned_users] == [
        ("582:a", "Ana", "ana@example.com"),
        ("582:b", "", ""),
        ("582:c", "Bo\ufffd", "bo\ufffd@example.com"),
    ]
    for wrong, said in (
        ([{"api_id": "582:d", "name": 7}], "int in 'name' where text belongs"),
        (["582:e"], "str where an assigned user belongs"),
    ):
        with pytest.raises(MalformedResponse) as raised:
            reader.plan_detail({"api_id": "580:p", "assigned_users": wrong}, path="/p/")
        assert said in raised.value.detail


# --- Numbers and dates ----------------------------------------------------------------------


@pytest.mark.parametrize("count", [reader.MAX_COUNT + 1, 10**12, 10**400, -1, 2.5, True])
def test_it_refuses_an_absurd_count(upstream, count):
    body = '{"count": ' + json.dumps(count) + ', "results": []}'
    upstream.get(PLANS_URL, body=body, content_type="application/json")

    with pytest.raises(MalformedResponse, match="could not read") as raised:
        services.plan_list(client=make_client(), limit=25, offset=0)

    assert "'count'" in raised.value.detail


@pytest.mark.parametrize(
    "date",
    ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "9999-12-31T20:00:00Z"],
)
def test_it_refuses_a_date_no_time_zone_could_show(upstream, date):
    template = load_fixture("template_detail.json") | {"created_date": date}
    upstream.get(TEMPLATE_URL, json=template)

    with pytest.raises(MalformedResponse) as raised:
        services.template_get(client=make_client(), api_id=TEMPLATE_ID)

    assert "'created_date'" in raised.value.detail


def test_plan_progress_refuses_a_count_past_the_rows_it_reads_after_one_call(upstream):
    # The largest count allowed: refused on the first page (PE365_MAX_ROWS), nothing held.
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    plan = services.plan_get(client=make_client(), api_id=PLAN_ID)
    upstream.get(
        CONVERSATIONS_URL,
        json={"count": reader.MAX_COUNT, "results": [conversation(1, completed="2026-03-02")]},
        match=[matchers.query_param_matcher({"plan_name": plan.name}, strict_match=False)],
    )
    tracemalloc.start()
    try:
        with pytest.raises(TooManyRows):
            services.plan_progress(client=make_client(), plan=plan)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert len(upstream.calls) == 2  # the plan, and the first page of conversations
    assert peak < 5 * 2**20


# --- The in-process cache ---------------------------------------------------------------


def test_the_in_process_cache_is_bounded_in_entries():
    assert django_settings.CACHES["default"]["OPTIONS"]["MAX_ENTRIES"] <= 1000


def test_it_shares_an_answer_of_ordinary_size(upstream):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))

    services.plan_get(client=make_client(cache_ttl=30), api_id=PLAN_ID)
    services.plan_get(client=make_client(cache_ttl=30), api_id=PLAN_ID)

    assert len(upstream.calls) == 1


def test_it_serves_but_does_not_keep_an_answer_bigger_than_an_entry_may_be(upstream, monkeypatch):
    monkeypatch.setattr(caching, "MAX_SHARED_ENTRY_BYTES", 10_000)
    template = load_fixture("template_detail.json") | {"name": "x" * 20_000}
    upstream.get(TEMPLATE_URL, json=template)

    for _ in range(2):
        client = make_client(cache_ttl=30)
        assert services.template_get(client=client, api_id=TEMPLATE_ID).name == template["name"]

    assert len(upstream.calls) == 2
    assert not cache._cache  # type: ignore[attr-defined]
