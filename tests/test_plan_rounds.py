"""The rounds page of a plan (/plans/<api_id>/rounds/): every round's start, people and
completion, and today's round against the last one at the same point, over the demo API.

The demo's "Engagement survey – Sales Q3 2026" comes round every 4 weeks
(demo_api/data.py ROUNDS_PLANS): four rounds, begun on 5 Jan, 2 Feb, 2 Mar and 30 Mar
2026 at 7:00 UTC (the first conversation of each a few minutes after), for 43, 43, 45 and
46 of its 46 people (three join later: at round three, nine days into it, at round four),
of whom 33, 39, 39 and 35 completed: 77, 91, 87 and 76 %. Nine days into round four,
33 % had completed it, where 49 % had completed round three nine days in.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from audit.models import AuditEntry
from demo_api import DEMO_API_KEY, DEMO_USERNAME, data
from plans.api import clock
from tests.helpers import CONVERSATIONS_URL, PLAN_ID, PLAN_URL, load_fixture

pytestmark = pytest.mark.django_db

SALES = next(p for p in data.plans() if p["name"] == "Engagement survey – Sales Q3 2026")
WEEKLY = next(p for p in data.plans() if p["name"] == "1:1 – 山田 花子")
ONE_OFF = next(p for p in data.plans() if p["name"].startswith("Onboarding – January 2026"))
UNASSIGNED = next(p for p in data.plans() if p["name"] == data.UNASSIGNED_PLAN_NAME)
# Round four of the Sales plan began with its first conversation, at 7:08 on 30 March.
ROUND_FOUR = datetime(2026, 3, 30, 7, 8, tzinfo=UTC)


@pytest.fixture
def demo(settings, fault_api):
    """The dashboard reading the demo API (on loopback)."""
    settings.PE365_API_URL = fault_api.url
    settings.PE365_API_USERNAME = DEMO_USERNAME
    settings.PE365_API_KEY = DEMO_API_KEY
    return fault_api


@pytest.fixture
def today(monkeypatch):
    """Sets the dashboard's "now" (plans.api.clock)."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(clock, "now", moment.timestamp)

    return set_to


def rounds_url(plan: dict) -> str:
    return f"/plans/{plan['api_id']}/rounds/"


def text_of(response) -> str:
    return " ".join(response.content.decode().split())


def rows(response) -> list[tuple[int, str, int, int, int]]:
    return [
        (r.number, r.start.strftime("%Y-%m-%d"), r.people, r.completed, r.percent)
        for r in (row.record for row in response.context["table"].page.object_list)
    ]


def test_a_four_round_plan_shows_each_round_newest_first(admin_client, demo, today):
    today(ROUND_FOUR + timedelta(days=9))

    response = admin_client.get(rounds_url(SALES))

    assert response.status_code == 200
    assert rows(response) == [
        (4, "2026-03-30", 46, 35, 76),
        (3, "2026-03-02", 45, 39, 87),
        (2, "2026-02-02", 43, 39, 91),
        (1, "2026-01-05", 43, 33, 77),
    ]
    html = text_of(response)
    assert 'Every round <span class="badge text-bg-light">4 rounds</span>' in html
    assert 'Round 4 <span class="badge text-bg-primary">current</span>' in html
    assert '<td class="text-end" data-label="% completed">87 %</td>' in html


def test_it_says_in_words_whether_this_round_is_behind_the_last(admin_client, demo, today):
    today(ROUND_FOUR + timedelta(days=9))

    html = text_of(admin_client.get(rounds_url(SALES)))

    assert (
        "Day 9: <strong>33 %</strong> vs <strong>49 %</strong> last round, 16 points behind."
        in html
    )
    assert "Round 4 began on" in html and "for 46 people; round 3 began on" in html
    assert "for 45 people and has reached 87 %" in html


def test_the_chart_has_a_title_a_description_and_its_data_table(admin_client, demo, today):
    today(ROUND_FOUR + timedelta(days=9))

    response = admin_client.get(rounds_url(SALES))

    html = text_of(response)
    assert 'role="img" aria-labelledby="rounds-chart-title rounds-chart-desc"' in html
    assert (
        '<desc id="rounds-chart-desc">Day 9: 33 % in this round, 49 % in the last at the '
        "same point." in html
    )
    chart = response.context["chart"]
    assert chart.previous and chart.current and chart.marker
    # Days 0 to 9, labelled every week; the table lists the labelled days and the last.
    assert [(p.day, p.current, p.previous) for p in chart.table] == [
        (0, 0, 0),
        (7, 24, 40),
        (9, 33, 49),
    ]
    assert '<th scope="row" class="fw-normal">7</th> <td class="text-end">24 %</td>' in html


def test_a_round_older_than_the_last_is_charted_over_the_last_ones_length(
    admin_client, demo, today
):
    today(ROUND_FOUR + timedelta(days=60))

    response = admin_client.get(rounds_url(SALES))

    comparison = response.context["comparison"]
    assert (comparison.day, comparison.horizon) == (60, 28)
    html = text_of(response)
    assert "Day 60: <strong>76 %</strong> vs <strong>87 %</strong> last round" in html
    assert "The chart shows the first 28 days" in html and "this round is 60 days old" in html


def test_a_round_ahead_of_the_last_says_so(admin_client, demo, today):
    # The weekly 1:1's third round began at 6:03 on 20 April: two days and an hour in, 13
    # of its 17 people had completed it, where 2 of 17 had completed round two.
    today(datetime(2026, 4, 22, 7, tzinfo=UTC))

    html = text_of(admin_client.get(rounds_url(WEEKLY)))

    assert (
        "Day 2: <strong>76 %</strong> vs <strong>12 %</strong> last round, 64 points ahead." in html
    )


def test_a_one_off_plan_has_one_round_and_says_so(admin_client, demo, today):
    today(datetime(2026, 2, 11, 7, tzinfo=UTC))

    response = admin_client.get(rounds_url(ONE_OFF))

    assert response.status_code == 200
    assert rows(response) == [(1, "2026-02-01", 31, 21, 68)]
    html = text_of(response)
    assert "This plan has had one round so far, so there is nothing to compare it with yet." in html
    assert "Last round" not in html


def test_a_plan_without_conversations_says_so(admin_client, demo):
    response = admin_client.get(rounds_url(UNASSIGNED))

    assert response.status_code == 200
    assert "This plan has not generated any conversations yet" in text_of(response)
    assert response.context["chart"] is None


def test_the_raw_id_and_its_escaped_form_both_work(admin_client, demo):
    raw = admin_client.get(rounds_url(SALES))
    escaped = admin_client.get(f"/plans/{quote(SALES['api_id'], safe='')}/rounds/")

    assert raw.status_code == escaped.status_code == 200
    assert rows(raw) == rows(escaped)


def test_the_plan_page_links_to_its_rounds(admin_client, demo):
    html = text_of(admin_client.get(f"/plans/{SALES['api_id']}/"))

    assert f'href="/plans/{SALES["api_id"]}/rounds/"' in html
    assert "Completion by round" in html


def test_viewing_counts_is_not_audited(admin_client, demo):
    before = AuditEntry.objects.count()  # the sign-in

    assert admin_client.get(rounds_url(SALES)).status_code == 200

    assert AuditEntry.objects.count() == before


def test_an_unknown_plan_is_a_404(admin_client, demo):
    response = admin_client.get("/plans/580:00000000-0000-4000-8000-000000000000/rounds/")

    assert response.status_code == 404


def test_an_upstream_failure_is_the_error_page_with_its_status(admin_client, upstream):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    upstream.get(CONVERSATIONS_URL, status=500, json={"detail": "A server error occurred."})

    response = admin_client.get(f"/plans/{PLAN_ID}/rounds/")

    assert response.status_code == 503
    assert response.templates[0].name == "plans/upstream_error.html"
    assert "Try again" in text_of(response)


def test_a_bad_page_is_a_400_and_a_page_past_the_end_lands_on_the_last(admin_client, demo):
    assert admin_client.get(rounds_url(SALES), {"page": "x"}).status_code == 400

    response = admin_client.get(rounds_url(SALES), {"page": "3"})

    assert response.status_code == 302 and response["Location"] == rounds_url(SALES)


def test_it_needs_the_view_plans_permission(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="sam", password="x-123"))

    assert client.get(rounds_url(SALES)).status_code == 403


def test_it_answers_get_only(admin_client):
    response = admin_client.post(rounds_url(SALES))

    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
