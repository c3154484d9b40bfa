"""A plan's participation: where each assigned user stands, on its own page, in the plan
page, and in the users export."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import DatabaseError
from django.urls import reverse
from responses import matchers

import audit
from audit.models import AuditEntry
from plans import services
from plans.exceptions import MalformedResponse, NotFound
from tests.helpers import (
    AUTH_HEADER,
    CONVERSATIONS_URL,
    OTHER_PLAN_ID,
    PLAN_ID,
    PLAN_URL,
    USERS_CSV_HEADER,
    assignee,
    expect_plan_conversations,
    expect_plan_people,
    load_fixture,
    make_client,
    person_record,
    plan_conversation,
)

pytestmark = pytest.mark.django_db

PARTICIPATION = f"/plans/{PLAN_ID}/participation/"
USERS_CSV = f"/plans/{PLAN_ID}/users.csv"


def plan_with(*users: dict) -> dict:
    return load_fixture("plan_detail.json") | {"assigned_users": list(users)}


def four_people() -> tuple[dict, list[dict]]:
    """Ana completed (two rounds), Ben in progress at a later round, Cleo not started,
    Dan in progress whose newer conversation was deleted."""
    plan = plan_with(
        assignee(1, "Ana Alves", "ana@example.com"),
        assignee(2, "Ben Brown", "ben@example.com"),
        assignee(3, "Cleo Chen", "cleo@example.com"),
        assignee(4, "Dan Diaz", "dan@example.com"),
    )
    conversations = [
        plan_conversation(
            1, status="final", generated="2026-01-01T00:00:00Z", updated="2026-01-10T00:00:00Z"
        ),
        plan_conversation(
            1, status="final", generated="2026-04-01T00:00:00Z", updated="2026-04-03T12:00:00Z"
        ),
        plan_conversation(
            2, status="final", generated="2026-01-01T00:00:00Z", updated="2026-01-20T00:00:00Z"
        ),
        plan_conversation(
            2,
            status="draft",
            stage="Manager review",
            generated="2026-04-01T00:00:00Z",
            updated="2026-04-02T00:00:00Z",
        ),
        plan_conversation(4, status="draft", updated="2026-03-15T00:00:00Z"),
        plan_conversation(4, status="deleted", generated="2026-05-01T00:00:00Z"),
    ]
    return plan, conversations


# What the users endpoint says of the four: Ana and Ben in Finance under Mia (Ben in Sales
# too), Dan in Sales under Max, Cleo in no department and under nobody.
MIA = {"name": "Mia Boss", "email": "mia@example.com", "api_id": "582:900"}
MAX = {"name": "Max Lead", "email": "max@example.com", "api_id": "582:901"}
FINANCE = {"api_id": "442:1", "name": "Finance"}
SALES = {"api_id": "442:2", "name": "Sales"}
FOUR_PEOPLE = [
    person_record(1, "Ana Alves", email="ana@example.com", departments=[FINANCE], manager=MIA),
    person_record(
        2, "Ben Brown", email="ben@example.com", departments=[FINANCE, SALES], manager=MIA
    ),
    person_record(3, "Cleo Chen", email="cleo@example.com", departments=[], manager=None),
    person_record(4, "Dan Diaz", email="dan@example.com", departments=[SALES], manager=MAX),
]


def html_of(response) -> str:
    return " ".join(response.content.decode().split())


def names_in(response) -> list[str]:
    """The names on the page of the participation table shown."""
    return [row.record.user.name for row in response.context["table"].page.object_list]


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.getvalue().decode().removeprefix("\ufeff"))))


# --- The use case --------------------------------------------------------------------------


def test_it_asks_for_the_plans_conversations_by_name_page_by_page(upstream):
    plan = services.PlanDetail(
        api_id=PLAN_ID,
        name="Engagement survey",
        template_name="",
        template_api_id="",
        status="active",
        frequency=None,
        assigned_users=tuple(services.User(f"582:{n}", f"P{n}", "") for n in range(150)),
        assigned_departments=(),
    )
    conversations = [plan_conversation(n, status="final") for n in range(150)]
    for offset in (0, 100):
        upstream.get(
            CONVERSATIONS_URL,
            json={"count": 150, "results": conversations[offset : offset + 100]},
            match=[
                matchers.query_param_matcher(
                    {"plan_name": "Engagement survey", "limit": "100", "offset": str(offset)}
                ),
                matchers.header_matcher(
                    {"Authorization": AUTH_HEADER, "Accept": "application/json"}
                ),
            ],
        )

    participation = services.plan_participation(client=make_client(), plan=plan)

    assert (participation.completed, participation.in_progress, participation.not_started) == (
        150,
        0,
        0,
    )
    assert [call.request.url for call in upstream.calls] == [
        f"{CONVERSATIONS_URL}?plan_name=Engagement+survey&limit=100&offset=0",
        f"{CONVERSATIONS_URL}?plan_name=Engagement+survey&limit=100&offset=100",
    ]


def test_the_latest_round_decides_and_deleted_or_archived_ones_do_not_count(upstream):
    plan, conversations = four_people()
    conversations.append(plan_conversation(3, status="archived"))
    upstream.get(PLAN_URL, json=plan)
    expect_plan_conversations(upstream, conversations)
    client = make_client()

    detail = services.plan_get(client=client, api_id=PLAN_ID)
    standings = {
        p.user.name: p.standing
        for p in services.plan_participation(client=client, plan=detail).participants
    }

    assert standings["Ana Alves"] == services.Standing(
        state="completed",
        stage="Final",
        moved=datetime(2026, 4, 3, 12, tzinfo=UTC),
        completed=datetime(2026, 4, 3, 12, tzinfo=UTC),
        rounds_completed=2,
    )
    assert standings["Ben Brown"] == services.Standing(
        state="in_progress",
        stage="Manager review",
        moved=datetime(2026, 4, 2, tzinfo=UTC),
        rounds_completed=1,
    )
    assert standings["Cleo Chen"].state == "not_started"
    assert standings["Dan Diaz"].state == "in_progress"


def test_without_a_generated_date_the_last_update_orders_the_rounds(upstream):
    upstream.get(PLAN_URL, json=plan_with(assignee(1)))
    expect_plan_conversations(
        upstream,
        [
            plan_conversation(1, status="draft", generated=None, updated="2026-05-01T00:00:00Z"),
            plan_conversation(1, status="final", generated=None, updated="2026-02-01T00:00:00Z"),
        ],
    )
    client = make_client()
    plan = services.plan_get(client=client, api_id=PLAN_ID)

    (participant,) = services.plan_participation(client=client, plan=plan).participants

    assert participant.standing.state == "in_progress"
    assert participant.standing.rounds_completed == 1


def test_a_plan_sharing_its_name_never_mixes_in(upstream):
    upstream.get(PLAN_URL, json=plan_with(assignee(1), assignee(2)))
    expect_plan_conversations(
        upstream,
        [
            plan_conversation(1, status="draft"),
            plan_conversation(1, status="final", plan_api_id=OTHER_PLAN_ID),
            plan_conversation(2, status="final", plan_api_id=OTHER_PLAN_ID),
        ],
    )
    client = make_client()
    plan = services.plan_get(client=client, api_id=PLAN_ID)

    participation = services.plan_participation(client=client, plan=plan)

    assert [p.standing.state for p in participation.participants] == [
        "in_progress",
        "not_started",
    ]
    assert participation.participants[0].standing.rounds_completed == 0


def counting_standings(monkeypatch) -> list[int]:
    """A list that grows by one for every person whose standing is worked out."""
    worked_out: list[int] = []
    standing = services.standing_of

    def counted(conversations):
        worked_out.append(1)
        return standing(conversations)

    monkeypatch.setattr(services, "standing_of", counted)
    return worked_out


def test_the_standings_are_kept_so_a_repeat_view_does_not_work_them_out_again(
    upstream, monkeypatch
):
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    expect_plan_conversations(upstream, conversations)
    worked_out = counting_standings(monkeypatch)

    first = make_client(cache_ttl=30)
    kept = services.plan_participation(
        client=first, plan=services.plan_get(client=first, api_id=PLAN_ID)
    )
    assert len(worked_out) == 4
    assert (
        services.plan_participation(
            client=first, plan=services.plan_get(client=first, api_id=PLAN_ID)
        )
        == kept
    )  # once per request
    repeat = make_client(cache_ttl=30)
    assert (
        services.plan_participation(
            client=repeat, plan=services.plan_get(client=repeat, api_id=PLAN_ID)
        )
        == kept
    )

    assert len(worked_out) == 4
    assert len(upstream.calls) == 2  # the plan and its one page of conversations


def test_a_refresh_works_the_standings_out_again_from_fresh_conversations(upstream, monkeypatch):
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    expect_plan_conversations(upstream, conversations)
    worked_out = counting_standings(monkeypatch)
    cached = make_client(cache_ttl=30)
    services.plan_participation(
        client=cached, plan=services.plan_get(client=cached, api_id=PLAN_ID)
    )

    refreshing = make_client(cache_ttl=30, bypass_cache=True)
    services.plan_participation(
        client=refreshing, plan=services.plan_get(client=refreshing, api_id=PLAN_ID)
    )

    assert len(worked_out) == 8
    assert len(upstream.calls) == 4


def test_plans_sharing_a_name_keep_standings_of_their_own(upstream):
    conversations = [
        plan_conversation(1, status="final"),
        plan_conversation(1, status="draft", plan_api_id=OTHER_PLAN_ID),
    ]
    expect_plan_conversations(upstream, conversations)
    client = make_client(cache_ttl=30)
    states = [
        services.plan_participation(
            client=client,
            plan=services.PlanDetail(
                api_id,
                "Engagement survey",
                "",
                "",
                "active",
                None,
                (services.User("582:1", "A", ""),),
                (),
            ),
        )
        .participants[0]
        .standing.state
        for api_id in (PLAN_ID, OTHER_PLAN_ID)
    ]

    assert states == ["completed", "in_progress"]


def test_a_plan_without_a_name_is_not_looked_up(upstream):
    plan = services.PlanDetail(PLAN_ID, "", "", "", "active", None, (), ())
    with pytest.raises(NotFound):
        services.plan_participation(client=make_client(), plan=plan)
    assert not upstream.calls


def test_a_conversation_with_a_bad_date_is_a_malformed_answer(upstream):
    upstream.get(PLAN_URL, json=plan_with(assignee(1)))
    expect_plan_conversations(upstream, [plan_conversation(1) | {"generated_date": "soon"}])
    client = make_client()
    plan = services.plan_get(client=client, api_id=PLAN_ID)
    with pytest.raises(MalformedResponse):
        services.plan_participation(client=client, plan=plan)


# --- The participation page --------------------------------------------------------------


def test_it_shows_every_state_with_totals_and_a_bar(admin_client, upstream):
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    expect_plan_people(upstream, conversations, FOUR_PEOPLE)

    response = admin_client.get(PARTICIPATION)

    assert response.status_code == 200
    html = html_of(response)
    assert (
        "<strong>25% completed</strong>: 1 of 4 people · <strong>2</strong> in progress · "
        "<strong>1</strong> not started"
    ) in html
    assert 'aria-label="25% completed, 50% in progress"' in html
    assert '<rect class="participation-bar-completed" x="0.00" width="25.00"' in html
    assert '<rect class="participation-bar-in_progress" x="25.00" width="50.00"' in html
    assert names_in(response) == ["Ana Alves", "Ben Brown", "Cleo Chen", "Dan Diaz"]
    assert (
        'Completed</span></td><td data-label="Stage and date">on '
        '<time datetime="2026-04-03T12:00:00+00:00">3 Apr 2026' in html
    )
    assert "Manager review, last moved <time" in html and "2 Apr 2026</time>" in html
    assert 'Not started</span></td><td data-label="Stage and date">—</td>' in html
    # Ana's rounds completed
    assert '<td class="text-end" data-label="Rounds done">2</td>' in html
    assert "Showing 1–4 of 4" in html


@pytest.mark.parametrize(
    ("state", "names"),
    [
        ("completed", ["Ana Alves"]),
        ("in_progress", ["Ben Brown", "Dan Diaz"]),
        ("not_started", ["Cleo Chen"]),
        ("to_act", ["Ben Brown", "Cleo Chen", "Dan Diaz"]),
    ],
)
def test_it_filters_by_state(admin_client, upstream, state, names):
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    expect_plan_people(upstream, conversations, FOUR_PEOPLE)

    response = admin_client.get(PARTICIPATION, {"state": state})

    html = html_of(response)
    assert names_in(response) == names
    assert f'href="{PARTICIPATION}?state={state}" aria-current="page"' in html
    assert f'href="{USERS_CSV}?state={state}"' in html


def test_state_search_and_sort_combine(admin_client, upstream):
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    expect_plan_people(upstream, conversations, FOUR_PEOPLE)

    query = {"state": "to_act", "q": "EN", "sort": "-name"}  # Ben Brown, Cleo Chen
    response = admin_client.get(PARTICIPATION, query)

    html = html_of(response)
    assert names_in(response) == ["Cleo Chen", "Ben Brown"]
    # Counts per state within the search; links keep the search and the sort.
    assert f'href="{PARTICIPATION}?q=EN&amp;sort=-name">Everyone <span class="badge' in html
    assert f'href="{PARTICIPATION}?state=completed&amp;q=EN&amp;sort=-name">Completed' in html
    assert f'href="{USERS_CSV}?state=to_act&amp;q=EN&amp;sort=-name"' in html
    assert '<input type="hidden" name="state" value="to_act">' in html
    # The name header's link turns the order around; it is the sorted column.
    assert (
        f'aria-sort="descending"><a href="{PARTICIPATION}'
        '?state=to_act&amp;q=EN&amp;sort=name" class="sort-link">Name' in html
    )


@pytest.mark.parametrize(
    ("sort", "names"),
    [
        ("name", ["Ana Alves", "Ben Brown", "Cleo Chen", "Dan Diaz"]),
        ("state", ["Cleo Chen", "Ben Brown", "Dan Diaz", "Ana Alves"]),
        ("-state", ["Ana Alves", "Ben Brown", "Dan Diaz", "Cleo Chen"]),
        # Oldest first, people without a date last either way.
        ("date", ["Dan Diaz", "Ben Brown", "Ana Alves", "Cleo Chen"]),
        ("-date", ["Ana Alves", "Ben Brown", "Dan Diaz", "Cleo Chen"]),
    ],
)
def test_it_sorts_by_name_state_or_date(admin_client, upstream, sort, names):
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    expect_plan_people(upstream, conversations, FOUR_PEOPLE)

    assert names_in(admin_client.get(PARTICIPATION, {"sort": sort})) == names


def test_it_pages_twenty_five_people_at_a_time_by_default(admin_client, upstream):
    people = [assignee(n, f"Person {n:03d}") for n in range(120)]
    upstream.get(PLAN_URL, json=plan_with(*people))
    expect_plan_people(upstream, [])

    response = admin_client.get(PARTICIPATION, {"state": "not_started", "page": 5})

    html = html_of(response)
    assert names_in(response)[0] == "Person 100" and len(names_in(response)) == 20
    assert "Showing 101–120 of 120" in html
    # Without JavaScript the pager's links lead to this page of its own.
    assert f'rel="prev" href="{PARTICIPATION}?state=not_started&amp;page=4"' in html
    assert 'rel="next"' not in html


def test_a_page_past_the_end_lands_on_the_last_one(admin_client, upstream):
    upstream.get(PLAN_URL, json=plan_with(*(assignee(n) for n in range(60))))
    expect_plan_people(upstream, [])

    response = admin_client.get(PARTICIPATION, {"state": "not_started", "page": 9})

    assert response.status_code == 302
    assert response["Location"] == f"{PARTICIPATION}?state=not_started&page=3"


@pytest.mark.parametrize(
    "query",
    [
        {"state": "done"},
        {"sort": "age"},
        {"page": "0"},
        {"per_page": "7"},
        {"q": "x" * 201},
        {"q": "a\x00"},
        {"by_manager_sort": "x"},
    ],
)
def test_bad_parameters_are_a_400_without_an_upstream_call(admin_client, upstream, query):
    response = admin_client.get(PARTICIPATION, query)
    assert response.status_code == 400
    assert not upstream.calls


def test_a_plan_with_nobody_assigned_says_so(admin_client, upstream):
    upstream.get(PLAN_URL, json=plan_with())
    expect_plan_people(upstream, [])

    html = html_of(admin_client.get(PARTICIPATION))

    assert "<strong>0% completed</strong>: 0 of 0 people" in html
    assert "No users are assigned to this plan." in html
    assert "<svg" not in html
    assert "Export" not in html.split('id="participation"')[1]


def test_a_plan_without_conversations_has_everyone_not_started(admin_client, upstream):
    upstream.get(PLAN_URL, json=plan_with(assignee(1), assignee(2)))
    expect_plan_people(upstream, [])

    html = html_of(admin_client.get(PARTICIPATION))

    assert "<strong>0</strong> in progress · <strong>2</strong> not started" in html


def test_no_match_says_so(admin_client, upstream):
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    expect_plan_people(upstream, conversations, FOUR_PEOPLE)

    html = html_of(admin_client.get(PARTICIPATION, {"q": "zebra", "state": "completed"}))

    assert "Nobody matches these filters." in html
    assert f'<a href="{PARTICIPATION}" class="btn btn-sm btn-link">Show everyone</a>' in html


def test_the_name_collision_shows_only_this_plans_people(admin_client, upstream):
    upstream.get(PLAN_URL, json=plan_with(assignee(1, "Ana Alves")))
    expect_plan_people(upstream, [plan_conversation(1, status="final", plan_api_id=OTHER_PLAN_ID)])

    html = html_of(admin_client.get(PARTICIPATION))

    assert "0 of 1 person · <strong>0</strong> in progress · <strong>1</strong> not started" in html


def test_names_link_to_the_persons_page(admin_client, upstream):
    upstream.get(PLAN_URL, json=plan_with(assignee(7, "Jürgen Müller")))
    expect_plan_people(upstream, [])

    html = html_of(admin_client.get(PARTICIPATION))

    assert (
        '<a hx-boost="false" href="/people/?name=J%C3%BCrgen+M%C3%BCller&amp;person=582%3A7">'
        in html
    )


def test_a_conversations_failure_without_javascript_is_the_error_page_with_its_status(
    admin_client, upstream
):
    upstream.get(PLAN_URL, json=plan_with(assignee(1)))
    upstream.get(CONVERSATIONS_URL, status=500, json={"detail": "A server error occurred."})

    response = admin_client.get(PARTICIPATION)

    assert response.status_code == 503
    assert response.templates[0].name == "plans/upstream_error.html"
    assert "Try again" in html_of(response)


def test_htmx_gets_the_section_alone(admin_client, upstream):
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    expect_plan_people(upstream, conversations, FOUR_PEOPLE)

    response = admin_client.get(PARTICIPATION, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="participation"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_the_section_follows_its_own_links_in_place(admin_client, upstream):
    """htmx follows the section's links and search (hx-boost) and swaps the answer in its
    place; the links to other pages (a person, the export, reminders) it leaves alone."""
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    expect_plan_people(upstream, conversations, FOUR_PEOPLE)

    html = admin_client.get(PARTICIPATION, headers={"HX-Request": "true"}).content.decode()

    assert (
        '<section id="participation" class="mb-4" aria-labelledby="participation-heading" '
        'hx-boost="true" hx-target="this" hx-swap="outerHTML">'
    ) in html
    detail = reverse("plans:detail", kwargs={"api_id": PLAN_ID})
    assert f'<a class="nav-link" href="{detail}?state=not_started">Not started' in html
    assert '<a hx-boost="false" href="/people/?name=Ana+Alves' in html
    assert 'download hx-boost="false">Export people (CSV)' in html


def test_the_plan_page_answers_a_request_aimed_at_its_people_with_them_alone(
    admin_client, upstream
):
    """A followed link of the people section asks the plan page's URL (the one to bookmark)
    with htmx aimed at the section: the answer is the section, filtered as the URL says."""
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    expect_plan_people(upstream, conversations, FOUR_PEOPLE)

    response = admin_client.get(
        f"/plans/{PLAN_ID}/",
        {"state": "not_started"},
        headers={"HX-Request": "true", "HX-Boosted": "true", "HX-Target": "participation"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="participation"')
    assert "<html" not in html
    assert [row.record.user.name for row in response.context["table"].page.object_list] == [
        "Cleo Chen"
    ]
    assert "HX-Request" in response["Vary"]


def test_the_plan_page_is_drawn_whole_for_htmx_aimed_elsewhere(admin_client, upstream):
    """Only a request aimed at the people section is answered with it: any other (a page
    htmx restores from history, say) gets the plan page, which costs its one call."""
    upstream.get(PLAN_URL, json=plan_with(assignee(1)))

    response = admin_client.get(
        f"/plans/{PLAN_ID}/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )

    assert "<html" in response.content.decode()
    assert len(upstream.calls) == 1
    assert "HX-Request" in response["Vary"]


def test_a_missing_plan_is_a_404(admin_client, upstream):
    upstream.get(PLAN_URL, json={"detail": "Not found."}, status=404)
    assert admin_client.get(PARTICIPATION).status_code == 404


def test_it_needs_the_view_plans_permission(client, django_user_model, upstream):
    client.force_login(django_user_model.objects.create_user("visitor", password="x-12345678"))
    assert client.get(PARTICIPATION).status_code == 403
    assert client.get(USERS_CSV).status_code == 403


# --- The plan page ---------------------------------------------------------------------------


def test_the_plan_page_stays_one_call_and_links_to_participation(admin_client, upstream):
    upstream.get(PLAN_URL, json=plan_with(assignee(1)))

    html = html_of(admin_client.get(f"/plans/{PLAN_ID}/", {"q": "ana"}))

    assert len(upstream.calls) == 1
    assert (
        '<section id="participation" class="mb-4" aria-labelledby="participation-heading" '
        f'hx-get="{PARTICIPATION}?q=ana" hx-trigger="load" hx-swap="outerHTML"'
    ) in html
    assert f'<a href="{PARTICIPATION}?q=ana">See who has completed' in html


# --- The users export --------------------------------------------------------------------------


def test_the_users_export_has_each_persons_state(admin_client, upstream):
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    expect_plan_people(upstream, conversations, FOUR_PEOPLE)

    rows = read_csv(admin_client.get(USERS_CSV))

    mia, max_ = ["Mia Boss", "mia@example.com"], ["Max Lead", "max@example.com"]
    assert rows == [
        USERS_CSV_HEADER,
        [
            "Ana Alves",
            "ana@example.com",
            "582:1",
            "Completed",
            "",
            "2026-04-03",
            "2",
            "Finance",
            *mia,
        ],
        [
            "Ben Brown",
            "ben@example.com",
            "582:2",
            "In progress",
            "Manager review",
            "",
            "1",
            "Finance; Sales",
            *mia,
        ],
        ["Cleo Chen", "cleo@example.com", "582:3", "Not started", "", "", "0", "", "", ""],
        [
            "Dan Diaz",
            "dan@example.com",
            "582:4",
            "In progress",
            "Employee input",
            "",
            "0",
            "Sales",
            *max_,
        ],
    ]


def test_the_users_export_follows_the_participation_filters(admin_client, upstream):
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    expect_plan_people(upstream, conversations, FOUR_PEOPLE)

    rows = read_csv(admin_client.get(USERS_CSV, {"state": "outstanding", "sort": "date"}))

    assert [row[0] for row in rows[1:]] == ["Dan Diaz", "Ben Brown", "Cleo Chen"]


def test_the_users_export_rejects_a_bad_state(admin_client, upstream):
    assert admin_client.get(USERS_CSV, {"state": "nope"}).status_code == 400
    assert not upstream.calls


def test_htmx_gets_a_failure_as_the_error_partial_with_its_status(admin_client, upstream):
    upstream.get(PLAN_URL, json=plan_with(assignee(1)))
    upstream.get(CONVERSATIONS_URL, status=500, json={"detail": "A server error occurred."})

    response = admin_client.get(PARTICIPATION, headers={"HX-Request": "true"})

    # base.html's htmx-config swaps error answers into the part's place.
    assert response.status_code == 503
    html = html_of(response)
    assert html.startswith('<div class="alert alert-warning small upstream-error" role="alert"')
    assert "<html" not in html and "Error 503." in html
    assert not AuditEntry.objects.filter(action=audit.Action.PARTICIPATION_VIEW).exists()


# --- The audit log --------------------------------------------------------------------------


def test_a_participation_view_is_recorded_with_its_search_as_filters_not_as_a_person(
    admin_client, upstream
):
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    expect_plan_people(upstream, conversations, FOUR_PEOPLE)

    admin_client.get(PARTICIPATION, {"state": "to_act", "q": "brown"})

    (entry,) = AuditEntry.objects.filter(action=audit.Action.PARTICIPATION_VIEW)
    assert (entry.plan_id, entry.person, entry.row_count) == (PLAN_ID, "", 1)
    assert entry.filters == {"state": "to_act", "q": "brown"}


def test_a_participation_view_that_cannot_be_recorded_is_refused(
    admin_client, upstream, monkeypatch
):
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    expect_plan_people(upstream, conversations, FOUR_PEOPLE)
    monkeypatch.setattr(AuditEntry, "save", refuse_to_save)

    response = admin_client.get(PARTICIPATION)

    assert response.status_code == 503
    assert "Ana Alves" not in response.content.decode()


def refuse_to_save(*args, **kwargs):
    raise DatabaseError("could not extend file: No space left on device")


# --- Departments, managers and completion by team ------------------------------------------


def serve_four(upstream) -> None:
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    expect_plan_people(upstream, conversations, FOUR_PEOPLE)


def team_rows(response, which: str) -> list[tuple]:
    table = response.context[f"{which}_table"]
    return [
        (t.name, t.people, t.completed, t.in_progress, t.not_started, t.percent_completed)
        for t in table.data
    ]


def test_each_person_shows_their_departments_and_manager(admin_client, upstream):
    serve_four(upstream)

    html = html_of(admin_client.get(PARTICIPATION))

    assert (
        '<td data-label="Department">Finance, Sales</td><td data-label="Manager">Mia Boss' in html
    )
    assert '<td data-label="Department">—</td><td data-label="Manager">—</td>' in html  # Cleo


@pytest.mark.parametrize(
    ("query", "names", "heading"),
    [
        ({"department": "442:1"}, ["Ana Alves", "Ben Brown"], "Everyone · Department: Finance"),
        ({"department": "442:2"}, ["Ben Brown", "Dan Diaz"], "Everyone · Department: Sales"),
        ({"department": "none"}, ["Cleo Chen"], "Everyone · No department"),
        ({"manager": "582:901"}, ["Dan Diaz"], "Everyone · Manager: Max Lead"),
        ({"manager": "none"}, ["Cleo Chen"], "Everyone · No manager"),
        (
            {"manager": "582:900", "state": "in_progress"},
            ["Ben Brown"],
            "In progress · Manager: Mia Boss",
        ),
        ({"state": "to_act"}, ["Ben Brown", "Cleo Chen", "Dan Diaz"], "Still to act"),
        ({"state": "completed"}, ["Ana Alves"], "Completed"),
    ],
)
def test_it_filters_by_department_manager_and_state_and_says_what_it_shows(
    admin_client, upstream, query, names, heading
):
    serve_four(upstream)

    response = admin_client.get(PARTICIPATION, query)

    assert names_in(response) == names
    assert f'<h3 class="h5 mb-2" id="people-heading">{heading} <span' in html_of(response)


@pytest.mark.parametrize("query", [{"state": "completed"}, {"q": "ana"}, {"manager": "582:900"}])
def test_filtered_it_says_completion_by_team_counts_the_whole_plan(admin_client, upstream, query):
    serve_four(upstream)
    whole_plan = "counts all 4 of the plan's people, whatever the search and filters above."

    assert whole_plan in html_of(admin_client.get(PARTICIPATION, query))
    upstream.reset()
    serve_four(upstream)
    assert "whatever the search and filters" not in html_of(admin_client.get(PARTICIPATION))


def test_a_search_matches_departments_and_managers_ignoring_case_and_accents(
    admin_client, upstream
):
    serve_four(upstream)
    assert names_in(admin_client.get(PARTICIPATION, {"q": "SALES"})) == ["Ben Brown", "Dan Diaz"]
    upstream.reset()
    serve_four(upstream)
    assert names_in(admin_client.get(PARTICIPATION, {"q": "max"})) == ["Dan Diaz"]


def test_the_tabs_count_the_searchs_people_in_each_state(admin_client, upstream):
    serve_four(upstream)

    response = admin_client.get(PARTICIPATION, {"q": "finance", "state": "completed"})

    counts = {link["label"]: link["count"] for link in response.context["state_links"]}
    assert counts == {
        "Everyone": 2,
        "Completed": 1,
        "In progress": 1,
        "Not started": 0,
        "Still to act": 1,
    }
    # The plan's own totals stay the plan's.
    assert "1 of 4 people" in html_of(response)


def test_completion_by_department_and_manager_counts_everyone_once_per_group(
    admin_client, upstream
):
    serve_four(upstream)

    response = admin_client.get(PARTICIPATION, {"by_department_sort": "name"})

    # Ben is in Finance and Sales: he counts in both.
    assert team_rows(response, "department") == [
        ("Finance", 2, 1, 1, 0, 50),
        ("Sales", 2, 0, 2, 0, 0),
        ("No department", 1, 0, 0, 1, 0),
    ]
    # By default the furthest behind first.
    assert team_rows(response, "manager") == [
        ("Max Lead", 1, 0, 1, 0, 0),
        ("No manager", 1, 0, 0, 1, 0),
        ("Mia Boss", 2, 1, 1, 0, 50),
    ]
    html = html_of(response)
    assert f'<a href="{PARTICIPATION}?department=442%3A1">Finance</a>' in html
    assert f'<a href="{PARTICIPATION}?manager=none">No manager</a>' in html


def test_in_the_plan_page_its_links_lead_to_the_plan_page(admin_client, upstream):
    serve_four(upstream)

    html = html_of(admin_client.get(PARTICIPATION, {"sort": "name"}, HTTP_HX_REQUEST="true"))

    detail = f"/plans/{PLAN_ID}/"
    assert f'<a href="{detail}?sort=name&amp;manager=582%3A900">Mia Boss</a>' in html
    assert f'href="{detail}?sort=name&amp;state=not_started">Not started' in html
    assert f'<form method="get" action="{detail}"' in html


def test_small_groups_fold_into_other_when_the_setting_asks(admin_client, upstream, settings):
    settings.PE365_MIN_GROUP_SIZE = 3
    serve_four(upstream)

    response = admin_client.get(PARTICIPATION, {"by_manager_sort": "name"})

    # Mia's two and Max's one fold into Other; the people without a manager stay apart.
    assert team_rows(response, "manager") == [
        ("No manager", 1, 0, 0, 1, 0),
        ("Other (2 smaller groups)", 3, 1, 2, 0, 33),
    ]
    html = html_of(response)
    assert "Managers of fewer than 3 people are counted together as “Other”." in html
    assert '<td data-label="Manager">Other (2 smaller groups)</td>' in html  # no one link


def test_namesakes_are_told_apart_by_e_mail(admin_client, upstream):
    plan = plan_with(
        assignee(1, "Ana Alves", "ana@example.com"), assignee(2, "Ana Alves", "ana2@example.com")
    )
    upstream.get(PLAN_URL, json=plan)
    expect_plan_people(
        upstream,
        [plan_conversation(2, status="final")],
        [
            person_record(1, "Ana Alves", email="ana@example.com", departments=[FINANCE]),
            person_record(2, "Ana Alves", email="ana2@example.com", departments=[SALES]),
        ],
    )

    response = admin_client.get(PARTICIPATION, {"sort": "email"})

    page = response.context["table"].page
    rows = [(row.record.user.email, row.record.standing.state) for row in page]
    assert rows == [("ana2@example.com", "completed"), ("ana@example.com", "not_started")]
    html = html_of(response)
    assert "ana2@<wbr>example.<wbr>com" in html and "person=582%3A2" in html


def test_it_pages_with_a_chosen_page_size(admin_client, upstream):
    people = [assignee(n, f"Person {n:03d}") for n in range(120)]
    upstream.get(PLAN_URL, json=plan_with(*people))
    expect_plan_people(upstream, [])

    response = admin_client.get(PARTICIPATION, {"per_page": 25, "page": 2})

    assert names_in(response)[0] == "Person 025" and len(names_in(response)) == 25
    assert '<option value="25" selected>' in html_of(response)


@pytest.mark.parametrize(
    ("sort", "names"),
    [
        ("departments", ["Ana Alves", "Ben Brown", "Dan Diaz", "Cleo Chen"]),
        ("manager", ["Dan Diaz", "Ana Alves", "Ben Brown", "Cleo Chen"]),
        ("-manager", ["Ana Alves", "Ben Brown", "Dan Diaz", "Cleo Chen"]),
        ("rounds", ["Cleo Chen", "Dan Diaz", "Ben Brown", "Ana Alves"]),
        ("-email", ["Dan Diaz", "Cleo Chen", "Ben Brown", "Ana Alves"]),
    ],
)
def test_it_sorts_by_any_column_with_the_empty_ones_last(admin_client, upstream, sort, names):
    serve_four(upstream)
    assert names_in(admin_client.get(PARTICIPATION, {"sort": sort})) == names


def test_the_users_export_follows_the_department_and_manager_filters(admin_client, upstream):
    serve_four(upstream)

    rows = read_csv(admin_client.get(USERS_CSV, {"department": "442:2", "manager": "582:900"}))

    assert [row[0] for row in rows[1:]] == ["Ben Brown"]
    assert rows[1][-3:] == ["Finance; Sales", "Mia Boss", "mia@example.com"]


# --- Kept decoded while fresh -----------------------------------------------------------------


def test_a_repeat_view_reuses_the_joined_people_and_a_refresh_joins_them_afresh(
    admin_client, upstream, settings, clock
):
    settings.PE365_CACHE_TTL = 30
    serve_four(upstream)
    first = admin_client.get(PARTICIPATION)
    assert names_in(first) == ["Ana Alves", "Ben Brown", "Cleo Chen", "Dan Diaz"]
    calls = len(upstream.calls)

    again = admin_client.get(PARTICIPATION, {"department": "442:1"})

    assert len(upstream.calls) == calls  # nothing read again, nothing joined again
    assert names_in(again) == ["Ana Alves", "Ben Brown"]

    # Meanwhile Cleo started and Ben left Finance; a Refresh shows it.
    upstream.reset()
    plan, conversations = four_people()
    upstream.get(PLAN_URL, json=plan)
    people = [dict(record) for record in FOUR_PEOPLE]
    people[1] = people[1] | {"departments": [SALES]}
    expect_plan_people(upstream, [*conversations, plan_conversation(3)], people)
    clock.advance(10)  # past the refresh allowance, within the cache's 30 seconds

    fresh = admin_client.get(PARTICIPATION, {"department": "442:1", "refresh": "1"})

    assert names_in(fresh) == ["Ana Alves"]
    assert "<strong>3</strong> in progress" in html_of(fresh)
