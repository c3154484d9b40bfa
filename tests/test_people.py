"""People: find someone by name or e-mail, and see every active plan they are assigned to."""

import re

import pytest
from django.db import DatabaseError
from django.utils.html import strip_tags
from responses import matchers

import audit
from audit.models import AuditEntry
from plans import services
from plans.exceptions import NotFound
from tests.helpers import (
    AUTH_HEADER,
    CONVERSATIONS_URL,
    OTHER_PLAN_ID,
    PLANS_URL,
    USERS_URL,
    assignee,
    expect_organisation,
    expect_pages,
    make_client,
    org_plan,
    person_record,
    plan_conversation,
)

pytestmark = pytest.mark.django_db


def shown_cells(response) -> list[dict[str, str]]:
    """The text of each row of the page's table, by column header."""
    return [
        {column.header: strip_tags(str(cell)) for column, cell in row.items()}
        for row in response.context["table"].paginated_rows
    ]


def html_of(response) -> str:
    return " ".join(response.content.decode().split())


def expect_user_search(upstream, name: str, people: list[dict], *, count: int | None = None):
    upstream.get(
        USERS_URL,
        json={"count": len(people) if count is None else count, "results": people},
        match=[
            matchers.query_param_matcher({"name": name, "limit": "50", "offset": "0"}),
            matchers.header_matcher({"Authorization": AUTH_HEADER, "Accept": "application/json"}),
        ],
    )


def mia_and_a_namesake() -> tuple[dict, list[dict]]:
    """Mia Park (582:1) is in two plans, one in its second round; a namesake (582:2) in
    a third plan; a deleted conversation in a fourth."""
    mia = person_record(1, "Mia Park")
    conversations = [
        plan_conversation(
            1,
            status="final",
            generated="2026-01-01T00:00:00Z",
            updated="2026-01-09T00:00:00Z",
            person_name="Mia Park",
        ),
        plan_conversation(
            1,
            status="draft",
            stage="Manager review",
            generated="2026-04-01T00:00:00Z",
            updated="2026-04-04T00:00:00Z",
            person_name="Mia Park",
        ),
        plan_conversation(
            1,
            status="final",
            plan_api_id=OTHER_PLAN_ID,
            plan_name="Annual review",
            updated="2026-02-02T00:00:00Z",
            person_name="Mia Park",
        ),
        plan_conversation(
            2,
            status="final",
            plan_api_id="580:namesake",
            plan_name="Not hers",
            person_name="Mia Park",
        ),
        plan_conversation(
            1, status="deleted", plan_api_id="580:gone", plan_name="Deleted", person_name="Mia Park"
        ),
    ]
    return mia, conversations


# --- The use cases --------------------------------------------------------------------------


def test_it_finds_people_by_name_in_one_call(upstream):
    expect_user_search(
        upstream,
        "mia",
        [person_record(1, "Mia Park", manager=None, is_active=False, departments=None)],
        count=120,
    )

    found = services.people_find(client=make_client(), name="mia", limit=50)

    assert found.count == 120
    (mia,) = found.people
    assert (mia.name, mia.manager, mia.active, mia.departments) == ("Mia Park", None, False, ())


def test_a_person_is_found_by_name_and_id_among_namesakes(upstream):
    expect_pages(
        upstream,
        USERS_URL,
        {"name": "Mia Park"},
        [person_record(2, "Mia Park"), person_record(1, "Mia Park")],
    )

    mia = services.person_find(client=make_client(), name="Mia Park", api_id="582:1")

    assert mia.api_id == "582:1"
    assert mia.departments == (services.Department("442:1", "Finance"),)
    assert mia.manager is not None and mia.manager.name == "Mia Boss"


def test_an_id_nobody_by_that_name_has_is_not_found(upstream):
    expect_pages(upstream, USERS_URL, {"name": "Mia Park"}, [person_record(2, "Mia Park")])
    with pytest.raises(NotFound):
        services.person_find(client=make_client(), name="Mia Park", api_id="582:1")


def test_a_persons_plans_come_from_their_conversations_by_name_and_id(upstream):
    _mia, conversations = mia_and_a_namesake()
    expect_pages(upstream, CONVERSATIONS_URL, {"person_name": "Mia Park"}, conversations)
    person = services.Person("582:1", "Mia Park", "", (), None, True)

    plans = services.person_plans(client=make_client(), person=person)

    assert [(p.plan_name, p.standing.state, p.standing.rounds_completed) for p in plans] == [
        ("Annual review", "completed", 1),
        ("Engagement survey", "in_progress", 1),
    ]
    assert plans[1].standing.stage == "Manager review"


def test_a_person_without_a_name_is_not_looked_up(upstream):
    person = services.Person("582:1", "", "", (), None, None)
    assert services.person_plans(client=make_client(), person=person) == ()
    assert not upstream.calls


# --- The page ----------------------------------------------------------------------------------
# The page reads the organisation (plans.organisation): every user, and every active plan's
# assigned users with their conversations.


def mia_in_plans() -> dict:
    """Mia Park (582:1) in plan 1 (second round in progress), plan 3 (not started) and a
    draft plan 2; her namesake (582:2, another e-mail and department) in plan 5; Jürgen
    Müller (582:3) nowhere."""
    mia = assignee(1, "Mia Park")
    namesake = assignee(2, "Mia Park", "mia.park2@example.com")
    plans = [
        org_plan(1, [mia], name="Engagement survey"),
        org_plan(2, [mia], status="draft", name="Drafted"),
        org_plan(3, [mia], name="Annual review"),
        org_plan(5, [namesake], name="Not hers"),
    ]
    conversations = [
        plan_conversation(
            1,
            status="final",
            generated="2026-01-01T00:00:00Z",
            updated="2026-01-09T00:00:00Z",
            plan_api_id=plans[0]["api_id"],
        ),
        plan_conversation(
            1,
            stage="Manager review",
            generated="2026-04-01T00:00:00Z",
            updated="2026-04-04T00:00:00Z",
            plan_api_id=plans[0]["api_id"],
        ),
        plan_conversation(2, status="final", plan_api_id=plans[3]["api_id"]),
    ]
    people = [
        person_record(1, "Mia Park"),
        person_record(
            2,
            "Mia Park",
            email="mia.park2@example.com",
            departments=[{"api_id": "442:2", "name": "Legal"}],
        ),
        person_record(3, "Jürgen Müller", email="juergen.mueller@example.com"),
    ]
    return {"plans": plans, "people": people, "conversations": conversations}


def test_the_page_alone_offers_a_search(admin_client, upstream):
    html = html_of(admin_client.get("/people/"))
    assert 'name="name"' in html and "Find a person by name or e-mail" in html
    assert not upstream.calls


def test_it_lists_the_people_found_telling_namesakes_apart(admin_client, upstream):
    expect_organisation(upstream, **mia_in_plans())

    response = admin_client.get("/people/", {"name": "park"})
    html = html_of(response)

    assert "2 people match “park”" in html
    assert '<a href="/people/?name=Mia+Park&amp;person=582%3A1">Mia Park</a>' in html
    first, second = shown_cells(response)
    assert (first["E-mail"], first["Departments"], first["Manager"]) == (
        "mia.park2@example.com",
        "Legal",
        "Mia Boss",
    )
    assert (second["E-mail"], second["Departments"]) == ("person1@example.com", "Finance")


@pytest.mark.parametrize("search", ["muller", "JURGEN müller", "juergen.mueller", "mueller@"])
def test_the_search_matches_name_or_e_mail_ignoring_case_and_accents(
    admin_client, upstream, search
):
    expect_organisation(upstream, **mia_in_plans())

    response = admin_client.get("/people/", {"name": search})

    assert [row["Name"] for row in shown_cells(response)] == ["Jürgen Müller"]


def test_nobody_found_says_so(admin_client, upstream):
    expect_organisation(upstream, **mia_in_plans())
    assert "Nobody's name or e-mail contains “zebra”." in html_of(
        admin_client.get("/people/", {"name": "zebra"})
    )


def test_a_person_lists_every_active_plan_they_are_assigned_to_not_started_included(
    admin_client, upstream
):
    org = mia_in_plans()
    expect_organisation(upstream, **org)

    response = admin_client.get("/people/", {"name": "Mia Park", "person": "582:1"})
    html = html_of(response)

    assert '<h2 class="h4" id="person-heading">Mia Park</h2>' in html
    assert "Mia Boss (mia@example.com)" in html
    assert [(row["Plan"], row["State"]) for row in shown_cells(response)] == [
        ("Annual review", "Not started"),
        ("Engagement survey", "In progress"),
    ]
    plans = re.findall(r'data-label="Plan"><a href="(/plans/[^"]+)">([^<]+)</a></td>', html)
    assert plans[1] == (f"/plans/{org['plans'][0]['api_id']}/?q=Mia+Park", "Engagement survey")
    assert "Manager review, last moved" in html
    assert "Not hers" not in html and "Drafted" not in html
    assert 'id="organisation-read"' in html and "as read at" in html


def test_a_person_in_no_active_plan_says_so(admin_client, upstream):
    expect_organisation(upstream, **mia_in_plans())

    html = html_of(admin_client.get("/people/", {"name": "Jürgen", "person": "582:3"}))

    assert "Jürgen Müller is not assigned to any active plan." in html


def test_an_unknown_person_is_a_404(admin_client, upstream):
    expect_organisation(upstream, **mia_in_plans())
    response = admin_client.get("/people/", {"name": "Mia Park", "person": "582:404"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"person": "582:1"},
        {"name": "x" * 201},
        {"name": "a\x07"},
        {"name": "a", "person": "b\x07c"},
    ],
)
def test_bad_input_is_a_400_with_the_form_and_no_upstream_call(admin_client, upstream, query):
    response = admin_client.get("/people/", query)
    assert response.status_code == 400
    assert 'class="text-danger"' in response.content.decode()
    assert not upstream.calls


def test_a_failing_user_search_is_an_upstream_error_page(admin_client, upstream):
    upstream.get(PLANS_URL, json={"count": 0, "results": []})
    upstream.get(CONVERSATIONS_URL, json={"count": 0, "results": []})
    upstream.get(USERS_URL, status=403, json={"detail": "You do not have permission."})
    assert admin_client.get("/people/", {"name": "mia"}).status_code == 502


def test_people_need_the_view_plans_permission(client, django_user_model, upstream):
    client.force_login(django_user_model.objects.create_user("visitor", password="x-12345678"))
    assert client.get("/people/", {"name": "mia"}).status_code == 403


def test_the_header_links_to_people_for_those_allowed(admin_client, client, django_user_model):
    html = admin_client.get("/people/").content.decode()
    assert '<a class="nav-link active" href="/people/" aria-current="page">People</a>' in html
    client.force_login(django_user_model.objects.create_user("visitor", password="x-12345678"))
    assert 'href="/people/"' not in client.get("/people/").content.decode()


# --- The audit log --------------------------------------------------------------------------


def test_a_person_search_is_recorded_with_what_was_searched(admin_client, upstream):
    expect_organisation(upstream, **mia_in_plans())

    admin_client.get("/people/", {"name": "park"})

    (entry,) = AuditEntry.objects.filter(action=audit.Action.PERSON_LOOKUP)
    assert (entry.person, entry.row_count) == ("park", 2)


def test_a_person_search_that_cannot_be_recorded_is_refused(admin_client, upstream, monkeypatch):
    expect_organisation(upstream, **mia_in_plans())

    def refuse(*args, **kwargs):
        raise DatabaseError("could not extend file: No space left on device")

    monkeypatch.setattr(AuditEntry, "save", refuse)
    response = admin_client.get("/people/", {"name": "park"})

    assert response.status_code == 503
    assert "Mia Park" not in response.content.decode()


def test_the_search_form_alone_records_nothing(admin_client, upstream):
    admin_client.get("/people/")
    assert not AuditEntry.objects.filter(action=audit.Action.PERSON_LOOKUP).exists()
