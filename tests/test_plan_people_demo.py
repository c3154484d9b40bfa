"""The plan page's people table over the demo API's data: the 3,000-person plan's figures,
worked out from demo_api/data.py (seed 365) and pinned here as the page must show them."""

import pytest
from django.utils.html import strip_tags

from demo_api import data

pytestmark = pytest.mark.django_db

BIG = next(p for p in data.plans() if p["name"] == data.COMPANY_WIDE_PLAN_NAME)
PEOPLE = f"/plans/{BIG['api_id']}/participation/"
FINANCE = next(
    d["api_id"] for p in data.people() for d in p["departments"] if d["name"] == "Finance"
)


@pytest.fixture
def demo(demo_upstream):
    """The demo API, with the shared cache on: a test's views share their reads."""
    return demo_upstream


def text(response) -> str:
    """The page's text, its white space (no-break spaces too) made single spaces."""
    return " ".join(strip_tags(response.content.decode()).split())


def remind(person: dict, *, at) -> None:
    """Record a reminder about the big plan sent to `person` at `at`."""
    from reminders.models import Batch, Kind, Reminder

    batch = Batch.objects.create(token=f"t-{at}", kind=Kind.REMINDER, plan_id=BIG["api_id"])
    Reminder.objects.create(
        batch=batch,
        plan_id=BIG["api_id"],
        person_id=person["api_id"],
        person_email=person["email"] or "someone@example.com",
        created_at=at,
    )


def counts(response) -> dict[str, int]:
    return {link["label"]: link["count"] for link in response.context["state_links"]}


def test_the_big_plans_completion_is_its_peoples(admin_client, demo):
    response = admin_client.get(PEOPLE)
    html = " ".join(response.content.decode().split())
    assert "<strong>59% completed</strong>: 1,781 of 3,000 people" in html
    assert "<strong>1,033</strong> in progress · <strong>186</strong> not started" in html
    assert counts(response) == {
        "Everyone": 3000,
        "Completed": 1781,
        "In progress": 1033,
        "Not started": 186,
        "Still to act": 1219,
    }


def test_a_search_for_a_department_shows_its_people_and_the_tabs_count_them(admin_client, demo):
    response = admin_client.get(PEOPLE, {"q": "finance", "state": "not_started"})
    assert counts(response) == {
        "Everyone": 154,
        "Completed": 96,
        "In progress": 47,
        "Not started": 11,
        "Still to act": 58,
    }
    assert response.context["table"].paginator.count == 11
    # The same people as the department's own filter, and as its row by department.
    by_filter = admin_client.get(PEOPLE, {"department": FINANCE, "state": "not_started"})
    assert by_filter.context["table"].paginator.count == 11
    finance = next(t for t in by_filter.context["department_table"].data if t.name == "Finance")
    assert (finance.people, finance.completed, finance.in_progress, finance.not_started) == (
        154,
        96,
        47,
        11,
    )
    assert finance.percent_completed == 62  # 96 of 154


def test_people_without_a_manager_are_a_group_and_a_filter_of_their_own(admin_client, demo):
    response = admin_client.get(PEOPLE, {"manager": "none"})
    nobody = next(t for t in response.context["manager_table"].data if t.key == "none")
    assert nobody.name == "No manager"
    assert response.context["table"].paginator.count == nobody.people > 0
    assert all(row.record.manager is None for row in response.context["table"].page)


def test_accents_and_case_are_ignored(admin_client, demo):
    def found(query: str) -> list[str]:
        response = admin_client.get(PEOPLE, {"q": query, "per_page": 100})
        return [row.record.user.api_id for row in response.context["table"].page]

    # Names, departments and managers alike: "muller" finds the Müllers and their reports.
    accented = found("Jürgen Müller")
    assert accented and found("jurgen muller") == accented == found("JURGEN MULLER")
    assert len(found("muller")) > len(accented)


def test_a_person_reminded_about_the_plan_says_when_beside_their_state(admin_client, demo, clock):
    person = BIG["assigned_users"][0]
    remind(person, at=clock.datetime())
    clock.advance(days=2)

    response = admin_client.get(PEOPLE, {"q": person["email"].partition("@")[0]})

    rows = [
        " ".join(strip_tags(str(row.get_cell("state"))).split())
        for row in response.context["table"].page.object_list
    ]
    assert any(row.endswith("Reminded 2 days ago") for row in rows), rows
    others = admin_client.get(PEOPLE, {"state": "completed"}).content.decode()
    assert others.count("Reminded ") <= 1, "only the person reminded says so"


def test_a_kept_people_table_is_drawn_again_for_a_reminder_sent_since_and_as_time_passes(
    admin_client, demo, clock, settings
):
    settings.PE365_CACHE_TTL = 3600  # the table's HTML is kept while its data is fresh
    person = BIG["assigned_users"][0]
    search = {"q": person["email"].partition("@")[0]}
    assert "Reminded " not in admin_client.get(PEOPLE, search).content.decode()

    remind(person, at=clock.datetime())
    clock.advance(minutes=5)
    assert "Reminded 5 minutes ago" in text(admin_client.get(PEOPLE, search))
    clock.advance(minutes=10)
    assert "Reminded 15 minutes ago" in text(admin_client.get(PEOPLE, search))
