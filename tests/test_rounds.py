"""A plan's rounds: its own conversations grouped into the rounds that generated them, each
round's completion, and the current round's curve against the previous one's."""

from datetime import UTC, datetime, timedelta

import pytest

from plans import rounds, services
from plans.api import reader
from plans.curves import curve_chart
from plans.exceptions import PlanWithoutName
from tests.helpers import (
    CONVERSATIONS_URL,
    OTHER_PLAN_ID,
    PLAN_ID,
    PLAN_URL,
    expect_plan_conversations,
    load_fixture,
    make_client,
    plan_conversation,
)

JAN = datetime(2026, 1, 5, 7, tzinfo=UTC)
FEB = datetime(2026, 2, 2, 7, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def done(person: int, generated: datetime, days: float) -> dict:
    """A conversation generated at `generated` and completed `days` later."""
    return plan_conversation(
        person,
        status="final",
        generated=iso(generated),
        updated=iso(generated + timedelta(days=days)),
    )


def open_(person: int, generated: datetime) -> dict:
    """A conversation generated at `generated`, still in progress."""
    return plan_conversation(
        person, generated=iso(generated), updated=iso(generated + timedelta(days=1))
    )


def grouped(*items: dict) -> rounds.PlanRounds:
    return rounds.group_rounds(reader.conversation(item, path="/") for item in items)


def test_conversations_generated_together_are_one_round_each_person_once():
    found = grouped(
        done(1, JAN, 2),
        done(2, JAN + timedelta(minutes=30), 5),
        open_(3, JAN + timedelta(hours=2)),
        done(1, FEB, 1),
        open_(2, FEB),
        open_(3, FEB + timedelta(minutes=10)),
    )

    assert [(r.number, r.start, r.people, r.completed, r.percent) for r in found.rounds] == [
        (1, JAN, 3, 2, 67),
        (2, FEB, 3, 1, 33),
    ]
    assert found.rounds[0].completion_days == (2.0, 5 + 1 / 48)  # days since the round began
    assert found.current is found.rounds[1] and found.previous is found.rounds[0]


def test_a_round_generated_over_several_days_stays_one_round():
    # The scheduler took four days over round one; person 2's second round comes a week
    # after their first, the others' a month after.
    found = grouped(
        done(1, JAN, 1),
        done(2, JAN + timedelta(days=4), 1),
        done(3, JAN + timedelta(days=3), 1),
        open_(1, FEB),
        open_(2, FEB + timedelta(hours=5)),
        open_(3, FEB + timedelta(days=1)),
    )

    assert [(r.start, r.people) for r in found.rounds] == [(JAN, 3), (FEB, 3)]


def test_someone_assigned_mid_round_joins_that_round():
    found = grouped(done(1, JAN, 1), done(2, JAN, 1), open_(3, JAN + timedelta(days=10)))

    assert [(r.start, r.people, r.completed) for r in found.rounds] == [(JAN, 3, 2)]


def test_a_one_off_plan_is_one_round_however_spread_out():
    found = grouped(*(done(n, JAN + timedelta(days=20 * n), 3) for n in range(6)))

    assert len(found.rounds) == 1 and found.rounds[0].people == 6


def test_a_second_conversation_within_two_days_is_the_same_round_its_latest_decides():
    found = grouped(
        done(1, JAN, 1),
        open_(2, JAN),
        done(2, JAN + timedelta(days=1), 0.5),  # generated again the next day, completed
        open_(1, JAN + timedelta(days=2, hours=1)),  # past the tolerance: round two
    )

    assert [(r.people, r.completed) for r in found.rounds] == [(2, 2), (1, 0)]
    assert timedelta(days=2) == rounds.ROUND_TOLERANCE


def test_deleted_and_archived_conversations_do_not_count_undated_ones_are_told():
    found = grouped(
        done(1, JAN, 1),
        plan_conversation(1, status="deleted", generated=iso(JAN + timedelta(days=40))),
        plan_conversation(2, status="archived", generated=iso(JAN + timedelta(days=40))),
        plan_conversation(3, generated=None, updated=iso(JAN + timedelta(days=1))),
        {**plan_conversation(4), "generated_date": None, "updated_date": None},
    )

    assert [(r.people, r.completed) for r in found.rounds] == [(2, 1)]
    assert found.undated == 1


def test_no_conversations_no_rounds():
    found = grouped()

    assert found.rounds == () and found.current is None
    assert rounds.compare(found, now=JAN) is None


def test_it_reads_the_plan_then_its_own_conversations_as_participation_does(upstream):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    namesake = {**done(1, FEB + timedelta(days=3), 1), "plan_api_id": OTHER_PLAN_ID}
    expect_plan_conversations(upstream, [done(1, JAN, 1), open_(2, JAN), namesake])

    found = rounds.plan_rounds(client=make_client(), api_id=PLAN_ID)

    # One call for the plan, one for the one page of conversations by its name (the
    # exact query and credentials: tests/helpers.expect_pages); the namesake's is not its own.
    assert len(upstream.calls) == 2
    assert upstream.calls[1].request.url.startswith(CONVERSATIONS_URL)
    assert [(r.people, r.completed) for r in found.rounds] == [(2, 1)]
    assert found.plan_name == "Engagement survey"


def test_rounds_share_the_reads_of_participation_and_are_kept_while_cached(upstream):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    expect_plan_conversations(upstream, [done(1, JAN, 1), open_(1, FEB)])
    client = make_client(cache_ttl=30)
    plan = services.plan_get(client=client, api_id=PLAN_ID)

    services.plan_participation(client=client, plan=plan)
    first = rounds.plan_rounds(client=client, api_id=PLAN_ID)
    again = rounds.plan_rounds(client=make_client(cache_ttl=30), api_id=PLAN_ID)

    assert len(upstream.calls) == 2  # the plan and the conversations, once each
    assert again == first and len(first.rounds) == 2


def test_a_plan_without_a_name_has_no_conversations_to_ask_for(upstream):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json") | {"name": ""})

    with pytest.raises(PlanWithoutName):
        rounds.plan_rounds(client=make_client(), api_id=PLAN_ID)


def test_today_is_compared_with_the_same_point_of_the_last_round():
    # Round one: 4 people, completed after 1, 2, 3 and 10 days. Round two: 4 people,
    # completed after 1 and 5 days so far.
    found = grouped(
        *(done(n, JAN, days) for n, days in enumerate((1, 2, 3, 10), start=1)),
        done(1, FEB, 1),
        done(2, FEB, 5),
        open_(3, FEB),
        open_(4, FEB),
    )

    comparison = rounds.compare(found, now=FEB + timedelta(days=3, hours=6))

    assert comparison is not None
    assert (comparison.day, comparison.current_percent, comparison.previous_percent) == (3, 25, 75)
    assert comparison.points_behind == 50 and comparison.points_ahead == -50
    assert comparison.horizon == 3
    assert [(p.day, p.current, p.previous) for p in comparison.points] == [
        (0, 0, 0),
        (1, 25, 25),
        (2, 25, 50),
        (3, 25, 75),
    ]


def test_the_chart_stops_where_the_last_round_did_the_words_say_today():
    found = grouped(done(1, JAN, 1), done(2, JAN, 40), done(1, FEB, 1), open_(2, FEB))

    comparison = rounds.compare(found, now=FEB + timedelta(days=60))

    assert comparison is not None
    assert comparison.day == 60 and comparison.horizon == 28  # 5 Jan to 2 Feb
    assert (comparison.current_percent, comparison.previous_percent) == (50, 100)
    assert comparison.points[-1].previous == 50  # person 2 completed round one on day 40


def test_with_one_round_there_is_nothing_to_compare():
    found = grouped(done(1, JAN, 1), open_(2, JAN))

    comparison = rounds.compare(found, now=JAN + timedelta(days=5))

    assert comparison is not None and comparison.previous is None
    assert (comparison.day, comparison.current_percent, comparison.horizon) == (5, 50, 5)
    assert all(point.previous is None for point in comparison.points)


def test_a_round_that_begins_after_now_is_day_zero():
    found = grouped(done(1, FEB, 1))

    comparison = rounds.compare(found, now=JAN)

    assert comparison is not None and (comparison.day, comparison.current_percent) == (0, 0)


def test_the_chart_draws_both_curves_on_one_scale():
    found = grouped(
        *(done(n, JAN, days) for n, days in enumerate((1, 2, 3, 10), start=1)),
        done(1, FEB, 1),
        open_(2, FEB),
    )
    comparison = rounds.compare(found, now=FEB + timedelta(days=14))
    assert comparison is not None

    chart = curve_chart(comparison)

    # Day 0 at the plot's left edge, day 14 at its right; 0 % at the bottom, 100 % at the top.
    current = chart.current.split()
    assert len(current) == 15
    assert current[0] == f"{chart.left:.1f},{chart.bottom:.1f}"
    assert current[-1] == f"{chart.right:.1f},{(chart.bottom + chart.top) / 2:.1f}"
    assert chart.previous.split()[-1] == f"{chart.right:.1f},{chart.top:.1f}"
    assert [tick.label for tick in chart.day_ticks] == ["0", "7", "14"]
    assert [tick.label for tick in chart.percent_ticks] == ["0 %", "25 %", "50 %", "75 %", "100 %"]
    assert [(p.day, p.current, p.previous) for p in chart.table] == [
        (0, 0, 0),
        (7, 50, 75),
        (14, 50, 100),
    ]
    assert chart.marker == (f"{chart.right:.1f}", f"{(chart.bottom + chart.top) / 2:.1f}")
