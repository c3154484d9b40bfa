"""What the plan, user and department tables render: cells, links, escaping, headers."""

import re
from datetime import UTC, datetime

import pytest
from django.test import RequestFactory
from django.utils import timezone

from plans.api.results import Manager
from plans.services import Department, Person, PersonPlan, PlanSummary, Standing, User
from plans.tables import (
    DepartmentTable,
    PeopleTable,
    PersonPlanTable,
    PlanListData,
    PlanTable,
    UserTable,
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
    [row] = rows(UserTable([User(api_id="1", name="<script>x</script>", email="a<b@x.y")]))
    assert cells(row) == ["&lt;script&gt;x&lt;/script&gt;", "a&lt;b@x.y"]


def test_it_links_plausible_e_mail_addresses_only():
    users = [
        User(api_id="1", name="Ada", email="ada@example.com"),
        User(api_id="2", name="", email=""),
        User(api_id="3", name="Ann", email="not an address"),
    ]
    assert [cells(row) for row in rows(UserTable(users))] == [
        ["Ada", '<a href="mailto:ada@example.com">ada@example.com</a>'],
        ["—", "—"],
        ["Ann", "not an address"],
    ]


def test_it_renders_departments_and_the_empty_text():
    departments = [Department(api_id="1", name="R&D <lab>"), Department(api_id="2", name="")]
    assert [cells(row) for row in rows(DepartmentTable(departments))] == [
        ["R&amp;D &lt;lab&gt;"],
        ["—"],
    ]
    assert cells(rows(DepartmentTable([]))[0]) == ["No departments are assigned to this plan."]
    [row] = rows(UserTable([], empty_text="No assigned user matches “x”."))
    assert 'colspan="2">No assigned user matches “x”.' in row


def test_only_the_current_page_is_rendered():
    users = [User(api_id=str(n), name=f"User {n}", email="") for n in range(5)]
    table = UserTable(users)
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


@pytest.mark.parametrize(
    ("table", "records"),
    [
        (
            UserTable,
            [
                User(api_id="582:1", name="Joanne Stefani", email="jstefani@test.com"),
                User(api_id="582:2", name="", email="not an address"),
                User(api_id="582:3", name="<b>Emma</b> & co", email='"x"@<y>.com'),
                User(api_id="582:4", name="", email=""),
            ],
        ),
        (
            DepartmentTable,
            [
                Department(api_id="442:1", name="Stefan's <team>"),
                Department(api_id="442:2", name=""),
            ],
        ),
    ],
)
def test_a_page_of_users_or_departments_renders_its_cells_as_django_tables2_does(table, records):
    page = table(records)
    page.paginate(page=1, per_page=50)
    assert rows(page) == rows(table(records))


def test_people_found_link_to_their_plans_and_say_who_has_left():
    people = [
        Person("582:1", "Mia <Park>", "mia@example.com", (Department("1", "R&D"),), None, False),
        Person("", "", "", (), Manager("582:9", "Boss", ""), None),
    ]
    assert [cells(row) for row in rows(PeopleTable(people))] == [
        [
            '<a href="/people/?name=Mia+%3CPark%3E&amp;person=582%3A1">Mia &lt;Park&gt;</a>'
            ' <span class="badge text-bg-light">inactive</span>',
            "mia@example.com",
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
