"""The overview's data: plan totals from the whole plan set, and two conversation counts for
each of the templates with the most plans, asked concurrently on the request's pool."""

import threading

import pytest
import responses

from plans import services
from plans.api.results import PlanCount, TemplateConversations
from plans.exceptions import MalformedResponse, UpstreamUnavailable
from tests.helpers import AUTH_HEADER, CONVERSATIONS_URL, PLANS_URL, expect_all, make_client
from tests.overview_fixtures import (
    expect_conversation_count,
    expect_organisation,
    organisation_plans,
)


def test_it_counts_plans_by_status_template_and_frequency(upstream):
    expect_organisation(upstream, counts={"Engagement Survey": (40, 10)})

    overview = services.organisation_overview(client=make_client())

    assert overview.plan_total == 6
    assert overview.by_status == (PlanCount("active", 4), PlanCount("draft", 2))
    assert overview.by_template == (
        PlanCount("Engagement Survey", 3),
        PlanCount("Weekly Check-in", 2),
        PlanCount("Évaluation annuelle", 1),
    )
    assert overview.other_template_plans == 0
    assert overview.other_template_count == 0
    # Most plans first; plans without a frequency (one-off) have the value "".
    assert overview.by_frequency == (
        PlanCount("", 2),
        PlanCount("Every 4 weeks", 2),
        PlanCount("Weekly", 2),
    )
    assert overview.conversations[0] == TemplateConversations("Engagement Survey", 40, 10)
    assert overview.conversations[0].percent_final == 80
    assert [t.template_name for t in overview.conversations] == [
        "Engagement Survey",
        "Weekly Check-in",
        "Évaluation annuelle",
    ]
    assert overview.conversations_error is None


def test_it_costs_the_plan_pages_and_two_counts_per_template(upstream):
    # 150 plans (two pages of 100) over three templates: 2 + 2 × 3 calls, no more.
    templates = ("Engagement Survey", "Weekly Check-in", "Quarterly Review")
    rows = [(templates[n % 3], "active", None) for n in range(150)]
    expect_organisation(upstream, rows)

    services.organisation_overview(client=make_client())

    assert len(upstream.calls) == 2 + 2 * 3
    plan_calls = [c for c in upstream.calls if c.request.url.startswith(PLANS_URL)]
    assert len(plan_calls) == 2
    counts = [c for c in upstream.calls if c.request.url.startswith(CONVERSATIONS_URL)]
    assert len(counts) == 6
    assert all(c.request.headers["Authorization"] == AUTH_HEADER for c in upstream.calls)


def test_it_counts_conversations_for_the_top_templates_only(upstream):
    # Ten templates: "T0" has 11 plans, "T1" 10, …, "T9" 2; the last two are "other".
    rows = [(f"T{t}", "active", None) for t in range(10) for _ in range(11 - t)]
    rows += [("", "draft", None)]  # a plan naming no template is never looked up by name
    expect_all(upstream, items=organisation_plans(rows))
    for t in range(services.OVERVIEW_TEMPLATES):
        expect_conversation_count(upstream, template_name=f"T{t}", status="final", count=t)
        expect_conversation_count(upstream, template_name=f"T{t}", status="draft", count=1)

    overview = services.organisation_overview(client=make_client())

    assert services.OVERVIEW_TEMPLATES == 8
    assert [c.value for c in overview.by_template] == [f"T{t}" for t in range(8)]
    assert overview.other_template_plans == 3 + 2 + 1  # T8, T9 and the unnamed one
    assert overview.other_template_count == 2
    assert len(overview.conversations) == 8
    assert len(upstream.calls) == 1 + 2 * 8


def test_it_breaks_ties_by_name(upstream):
    rows = [("b", "active", "Weekly"), ("A", "active", "Monthly"), ("c", "active", "Weekly")]
    rows += [("A", "active", "Monthly")]
    expect_organisation(upstream, rows)

    overview = services.organisation_overview(client=make_client())

    assert [c.value for c in overview.by_template] == ["A", "b", "c"]
    assert [c.value for c in overview.by_frequency] == ["Monthly", "Weekly"]


def test_it_always_shows_the_documented_statuses_then_any_other(upstream):
    rows = [("A", "archived", None), ("A", "archived", None), ("A", "active", None)]
    expect_organisation(upstream, rows)

    overview = services.organisation_overview(client=make_client())

    assert overview.by_status == (
        PlanCount("active", 1),
        PlanCount("draft", 0),
        PlanCount("archived", 2),
    )


def test_an_empty_organisation_costs_one_call(upstream):
    expect_all(upstream, items=[])

    overview = services.organisation_overview(client=make_client())

    assert overview.plan_total == 0
    assert overview.by_status == (PlanCount("active", 0), PlanCount("draft", 0))
    assert overview.by_template == overview.by_frequency == overview.conversations == ()
    assert len(upstream.calls) == 1


def test_it_asks_for_the_counts_on_the_requests_own_threads(upstream):
    expect_all(upstream, items=organisation_plans())
    threads = set()

    def count(request):
        threads.add(threading.current_thread().name)
        return 200, {}, '{"count": 1, "results": []}'

    upstream.add_callback(responses.GET, CONVERSATIONS_URL, callback=count)

    overview = services.organisation_overview(client=make_client())

    assert threads and all(name.startswith("pe365-call") for name in threads)
    assert all(t.final == t.draft == 1 for t in overview.conversations)
    assert len(upstream.calls) == 1 + 2 * 3


def test_a_failed_count_is_returned_and_the_plan_totals_kept(upstream):
    expect_all(upstream, items=organisation_plans())
    expect_conversation_count(upstream, template_name="Engagement Survey", status="final", count=1)
    expect_conversation_count(
        upstream, template_name="Engagement Survey", status="draft", http_status=500
    )
    upstream.assert_all_requests_are_fired = False  # the others may or may not be asked

    overview = services.organisation_overview(client=make_client())

    assert overview.plan_total == 6
    assert overview.conversations == ()
    assert isinstance(overview.conversations_error, UpstreamUnavailable)


def test_a_count_the_dashboard_cannot_read_is_a_conversations_error(upstream):
    expect_all(upstream, items=organisation_plans([("A", "active", None)]))
    upstream.get(CONVERSATIONS_URL, json={"results": []})  # no "count"

    overview = services.organisation_overview(client=make_client())

    assert isinstance(overview.conversations_error, MalformedResponse)
    assert overview.by_template == (PlanCount("A", 1),)


def test_a_failed_plan_set_is_raised(upstream):
    upstream.get(PLANS_URL, status=500)

    with pytest.raises(UpstreamUnavailable):
        services.organisation_overview(client=make_client())


def test_a_second_look_within_the_cache_ttl_costs_no_call(upstream):
    expect_organisation(upstream)
    first = services.organisation_overview(client=make_client(cache_ttl=60))
    calls = len(upstream.calls)

    second = services.organisation_overview(client=make_client(cache_ttl=60))

    assert second == first
    assert len(upstream.calls) == calls == 1 + 2 * 3
