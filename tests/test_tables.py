"""What the plan, people and team tables render: cells, links, escaping, headers."""

import re
from datetime import UTC, datetime

import pytest
from django.test import RequestFactory
from django.utils import timezone

from plans.api.results import Manager
from plans.roster import NOBODY, OTHER, Member, Team
from plans.services import Department, Person, PersonPlan, PlanSummary, Standing, User
from plans.tables import (
    ManagerTeamTable,
    PeopleTable,
    PersonPlanTable,
    PlanListData,
    PlanPeopleData,
    PlanPeopleTable,
    PlanTable,
    TeamTable,
    breakable_email,
    plan_url,
)
from tests.helpers import plan_item


def plan(**fields) -> PlanSummary:
    return PlanSummary(**(plan_item(1) | fields))


def rows(table, query: str = "") -> list[str]:
    html = table.as_html(RequestFactory().get(f"/plans/{query}"))
    tbody = re.search(r"<tbody.*</tbody>", html, re.DOTALL).group(0)
    return [re.sub(r"\s+", " ", row).strip() for row in re.findall(r"<tr.*?</tr>", tbody, re.S)]


def cells(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", row)


def member(user: User, person: Person | None = None, state: str = "not_started") -> Member:
    return Member(user=user, standing=Standing(state=state), person=person)


def people_table(members, **kwargs) -> PlanPeopleTable:
    return PlanPeopleTable(PlanPeopleData(list(members)), link_base="/plans/580:1/", **kwargs)


def test_it_renders_a_plan_as_a_linked_name_template_status_badge_and_frequency():
    [row] = rows(PlanTable([plan(api_id="580:abc", name="Survey", frequency="Weekly")]))
    assert cells(row) == [
        '<a href="/plans/580:abc/">Survey</a>',
        "Engagement Survey",
        '<span class="badge text-bg-success">Active</span>',
        "Weekly",
    ]


def test_it_labels_missing_values_in_words():
    [row] = rows(PlanTable([plan(name="", template_name="", status="", frequency=None)]))
    assert cells(row)[0].endswith(">(unnamed plan)</a>")
    assert cells(row)[1:] == [
        "—",
        '<span class="badge text-bg-light border">Unknown</span>',
        "One-off",
    ]


def test_its_links_carry_the_lists_query_for_the_way_back():
    [row] = rows(PlanTable([plan(api_id="580:abc")], back="name=a b&status=draft"))
    assert 'href="/plans/580:abc/?back=name%3Da+b%26status%3Ddraft"' in row


def test_it_does_not_link_a_plan_whose_id_no_url_can_carry():
    [row] = rows(PlanTable([plan(api_id="580:has/slash", name="Unlinkable")]))
    assert cells(row)[0] == "Unlinkable"


def test_it_escapes_upstream_text():
    [row] = rows(PlanTable([plan(name="<b>Ünïcode & co</b>", template_name="Check-in <i>")]))
    assert "&lt;b&gt;Ünïcode &amp; co&lt;/b&gt;</a>" in row
    assert cells(row)[1] == "Check-in &lt;i&gt;"
    [row] = rows(
        people_table([member(User(api_id="", name="<script>x</script>", email="a<b@x.y"))])
    )
    assert cells(row)[:2] == ["&lt;script&gt;x&lt;/script&gt;", "a&lt;b@<wbr>x.<wbr>y"]


def test_e_mail_addresses_wrap_after_the_at_and_dots_only_and_link_when_plausible():
    users = [
        User(api_id="", name="Ada", email="ada.lovelace@example.com"),
        User(api_id="", name="", email=""),
        User(api_id="", name="Ann", email="not an address"),
    ]
    assert [cells(row)[:2] for row in rows(people_table(member(u) for u in users))] == [
        [
            "Ada",
            '<a href="mailto:ada.lovelace@example.com" class="email">'
            "ada.<wbr>lovelace@<wbr>example.<wbr>com</a>",
        ],
        ["—", "—"],
        ["Ann", "not an address"],
    ]
    assert breakable_email("<b>@x") == "&lt;b&gt;@<wbr>x"


def test_a_person_shows_their_departments_manager_state_and_rounds():
    person = Person(
        "582:1",
        "Ada",
        "ada@example.com",
        (Department("442:1", "R&D <lab>"), Department("442:2", "Finance")),
        Manager("582:9", "Mia Boss", "mia@example.com"),
        True,
    )
    records = [
        Member(
            User("582:1", "Ada", "ada@example.com"),
            Standing("completed", rounds_completed=3),
            person,
        ),
        member(User("582:2", "Ben", "ben@example.com")),  # the users endpoint lacks him
    ]
    ada, ben = (cells(row) for row in rows(people_table(records)))
    assert ada[2:] == [
        "R&amp;D &lt;lab&gt;, Finance",
        "Mia Boss",
        '<span class="badge participation-completed">Completed</span>',
        "—",
        "3",
    ]
    assert ben[2:4] == ["—", "—"]
    assert ada[0] == '<a hx-boost="false" href="/people/?name=Ada&amp;person=582%3A1">Ada</a>'


def test_every_people_column_sorts_and_says_so():
    html = people_table([], order_by="-manager").as_html(
        RequestFactory().get("/plans/580:1/participation/?sort=-manager")
    )
    headers = re.findall(r'href="/plans/580:1/\?sort=(-?\w+)" class="sort-link">([^<]+)<', html)
    assert headers == [
        ("name", "Name"),
        ("email", "E-mail"),
        ("departments", "Department"),
        ("manager", "Manager"),
        ("state", "State"),
        ("date", "Stage and date"),
        ("rounds", "Rounds done"),
    ]
    assert 'aria-sort="descending"><a href="/plans/580:1/?sort=manager"' in html


def test_a_team_links_to_its_people_and_other_does_not():
    teams = [
        Team("442:1", "R&D", "", 4, 2, 1, 1),
        Team(NOBODY, "No department", "", 1, 0, 0, 1),
        Team(OTHER, "Other (2 smaller groups)", "", 2, 2, 0, 0),
    ]
    table = TeamTable(
        teams, by="department", link_base="/p/", team_url=lambda key: f"/p/?department={key}"
    )
    assert [cells(row) for row in rows(table)] == [
        ['<a href="/p/?department=442:1">R&amp;D</a>', "4", "2", "1", "1", "50%"],
        ['<a href="/p/?department=none">No department</a>', "1", "0", "0", "1", "0%"],
        ["Other (2 smaller groups)", "2", "2", "0", "0", "100%"],
    ]


def test_only_the_current_page_is_rendered():
    users = [member(User(api_id="", name=f"User {n}", email="")) for n in range(5)]
    table = people_table(users)
    table.paginate(page=2, per_page=2)
    assert [cells(row)[0] for row in rows(table)] == ["User 2", "User 3"]


def test_sortable_headers_announce_their_sort_state():
    data = PlanListData([plan(name="b"), plan(name="a")])
    html = PlanTable(data, order_by="-name").as_html(RequestFactory().get("/plans/?sort=-name"))
    assert 'scope="col" aria-sort="descending">' in html
    assert 'scope="col" aria-sort="none">' in html
    assert 'href="?sort=name" class="sort-link">Plan' in html


@pytest.mark.parametrize(
    ("api_id", "url"),
    [
        ("580:abc-123", "/plans/580:abc-123/"),
        ("a b", "/plans/a%20b/"),
        ("ü%?#", "/plans/%C3%BC%25%3F%23/"),
        ("", None),
        ("x/y", None),
    ],
)
def test_plan_links_keep_colons_and_quote_the_rest(api_id, url):
    assert plan_url(api_id) == url


def test_a_page_of_plans_renders_its_cells_as_django_tables2_does():
    plans = [
        plan(api_id="580:abc", name="Survey", frequency="Weekly"),
        plan(name="", template_name="", status="", frequency=None),
        plan(api_id="580:has/slash", name="<b>Ünïcode & co</b>", template_name="Check-in <i>"),
        plan(status="draft", frequency="every 4 weeks", template_name=None),
    ]
    page = PlanTable(plans, back="status=draft")
    page.paginate(page=1, per_page=25)
    assert rows(page) == rows(PlanTable(plans, back="status=draft"))


def test_a_page_of_people_renders_its_cells_as_django_tables2_does():
    records = [
        member(User(api_id="582:1", name="Joanne Stefani", email="jstefani@test.com")),
        member(User(api_id="582:2", name="", email="not an address"), state="completed"),
        member(User(api_id="582:3", name="<b>Emma</b> & co", email='"x"@<y>.com')),
    ]
    page = people_table(records)
    page.paginate(page=1, per_page=50)
    assert rows(page) == rows(people_table(records))


def test_people_found_link_to_their_plans_and_say_who_has_left():
    people = [
        Person("582:1", "Mia <Park>", "mia@example.com", (Department("1", "R&D"),), None, False),
        Person("", "", "", (), Manager("582:9", "Boss", ""), None),
    ]
    assert [cells(row) for row in rows(PeopleTable(people))] == [
        [
            '<a href="/people/?name=Mia+%3CPark%3E&amp;person=582%3A1">Mia &lt;Park&gt;</a>'
            ' <span class="badge text-bg-light">inactive</span>',
            "mia@<wbr>example.<wbr>com",  # wraps after its @ and dots only
            "R&amp;D",
            "—",
        ],
        ["—", "—", "—", "Boss"],
    ]


def test_a_persons_plans_link_to_the_plan_searched_for_them_and_say_where_they_stand():
    mia = Person("582:1", "Mia Park", "", (), None, True)
    moved = datetime(2026, 4, 4, 8, 0, tzinfo=UTC)
    plans = [
        PersonPlan("580:abc", "Survey", "", Standing("in_progress", "Review", moved=moved)),
        PersonPlan("x/y", "", "Check-in", Standing("completed", rounds_completed=1200)),
    ]
    with timezone.override("Europe/Paris"):
        shown = [cells(row) for row in rows(PersonPlanTable(plans, person=mia))]
    assert shown == [
        [
            '<a href="/plans/580:abc/?q=Mia+Park">Survey</a>',
            "—",
            '<span class="badge participation-in_progress">In progress</span>',
            'Review, last moved <time datetime="2026-04-04T10:00:00+02:00">4 Apr 2026</time>',
            "0",
        ],
        [
            "(unnamed plan)",
            "Check-in",
            '<span class="badge participation-completed">Completed</span>',
            "—",
            "1,200",
        ],
    ]
    [empty] = rows(PersonPlanTable([], person=mia))
    assert "Mia Park has no conversations in any plan yet." in empty


def test_completion_by_manager_is_a_table_of_cards_like_by_department():
    table = ManagerTeamTable([], by="manager", link_base="/", team_url=str)
    assert table.attrs["class"] == "table table-sm align-middle team-table table-cards"
    assert table.columns["name"].header == "Manager"
