"""Each WrittenOutTable writes its rows out for speed; they must stay identical to the columns'."""

import re

import pytest
from django.test import RequestFactory
from django.test.html import parse_html
from django.urls import NoReverseMatch, reverse

from plans.services import Department, PlanSummary, User
from plans.tables import DepartmentTable, PlanTable, UserTable, plan_url
from tests.conftest import plan_item

PLANS = [
    PlanSummary(**plan_item(n))
    for n in range(6)  # both statuses, with and without frequency
] + [
    PlanSummary(
        api_id="580:empty", name="", template_name="", template_api_id="", status="", frequency=None
    ),
    PlanSummary(
        api_id="580:has/slash",
        name="Unlinkable",
        template_name="",
        template_api_id="",
        status="active",
        frequency=None,
    ),
    PlanSummary(
        api_id="580:odd",
        name="<b>Ünïcode & co</b>",
        template_name="Check-in <i>",
        template_api_id="",
        status="archived",
        frequency="",
    ),
]
USERS = [
    User(api_id="1", name="Ada Lovelace", email="ada@example.com"),
    User(api_id="2", name="", email=""),
    User(api_id="3", name="<script>x</script>", email="not an address"),
    User(api_id="4", name="O'Brien & Sons", email="o'brien@example.com"),
    User(api_id="5", name="Zoë", email="zoe+hr@example.co.uk"),
]
DEPARTMENTS = [
    Department(api_id="1", name="Customer Success"),
    Department(api_id="2", name=""),
    Department(api_id="3", name="R&D <lab>"),
]


def tbody(table) -> str:
    html = table.as_html(RequestFactory().get("/plans/"))
    return re.search(r"<tbody.*</tbody>", html, re.DOTALL).group(0)


def assert_same_rows(table_class, records, **kwargs):
    generic = table_class(records, template_name="plans/table.html", **kwargs)
    fast = table_class(records, **kwargs)
    assert fast.template_name == "plans/written_out_table.html"
    assert parse_html(tbody(fast)) == parse_html(tbody(generic))


@pytest.mark.parametrize("back", ["", "name=a b&sort=-status"])
def test_the_plan_rows_render_exactly_what_the_columns_would(back):
    assert_same_rows(PlanTable, PLANS, back=back)  # several rows: even/odd classes too


@pytest.mark.parametrize("plan", PLANS, ids=lambda plan: plan.api_id)
def test_each_plan_row_renders_exactly_what_the_columns_would(plan):
    assert_same_rows(PlanTable, [plan], back="name=x")


def test_the_user_and_department_rows_render_exactly_what_the_columns_would():
    assert_same_rows(UserTable, USERS)
    assert_same_rows(DepartmentTable, DEPARTMENTS)


@pytest.mark.parametrize("table_class", [PlanTable, UserTable, DepartmentTable])
def test_an_empty_table_shows_the_same_empty_text(table_class):
    assert_same_rows(table_class, [])
    assert_same_rows(table_class, [], empty_text="Nothing matches “x”.")


def test_only_the_current_page_is_written_out():
    table = UserTable(USERS)
    table.paginate(page=2, per_page=2)
    html = tbody(table)
    assert "zoe+hr@example.co.uk" not in html and "O&#x27;Brien" in html
    assert html.count("<tr") == 2


def test_the_written_out_rows_cover_every_column():
    # A column added or removed here must be added to or removed from `cells` as well.
    assert [column.name for column in PlanTable([]).columns] == [
        "name",
        "template",
        "status",
        "frequency",
    ]
    assert [column.name for column in UserTable([]).columns] == ["name", "email"]
    assert [column.name for column in DepartmentTable([]).columns] == ["name"]


AWKWARD_IDS = [
    "580:abc-123",
    "a b",
    "ü%?#&=",
    "~@!$&'()*+,;=",
    ".",
    "..",
    " ",
    "a\nb",
    "",
    "x/y",
    "//x",
]


@pytest.mark.parametrize("api_id", AWKWARD_IDS)
def test_plan_links_are_the_urls_reverse_gives(api_id):
    try:
        expected = reverse("plans:detail", kwargs={"api_id": api_id})
    except NoReverseMatch:
        expected = None
    assert plan_url(api_id) == expected
    assert plan_url(api_id, root=reverse("plans:list")) == expected
    if expected:
        assert plan_url(api_id, back="name=a b") == f"{expected}?back=name%3Da+b"
