"""CSV downloads open as text in every spreadsheet locale: no cell ever runs as a formula,
and every value reads as it is.

Every field is quoted, so a reader whose separator is `;` (many European locales) keeps
a name, the first field of its row, whole as one with `,` does; a field that starts with
a formula character gets a single quote in front, and nothing else about a value changes.
"""

import csv
import io

import pytest
from responses import matchers

from plans.exports import neutralise
from tests.helpers import (
    PLAN_ID,
    PLAN_URL,
    PLANS_URL,
    expect_plan_people,
    load_fixture,
    person_record,
    plan_conversation,
    plan_item,
)

pytestmark = pytest.mark.django_db

HOSTILE = [
    "x;=cmd|' /C calc'!A0;",
    "x,=cmd|' /C calc'!A0,",
    'a";=1+1;"b',
    '=HYPERLINK("http://x")',
    "+1;-2;@SUM(A1)",
    "line\n=1+1",
    "tab;\t=1",
    "cr;\r=1",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cells(body: str, delimiter: str) -> list[str]:
    rows = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    return [cell for row in rows for cell in row]


def assert_no_formula_cells(body: str) -> None:
    for delimiter in (";", ","):
        formulas = [c for c in cells(body, delimiter) if c.startswith(FORMULA_STARTS)]
        assert formulas == [], f"formula cells with {delimiter!r} as separator"


def as_exported(value: str) -> str:
    """The value as the file holds it: a leading quote only before a leading formula character."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def assert_names_kept(body: str, names: list[str]) -> None:
    """Each row's first field (the name) reads as it is with either separator."""
    expected = sorted(as_exported(name) for name in names)
    by_comma = list(csv.reader(io.StringIO(body, newline="")))[1:]
    assert sorted(row[0] for row in by_comma) == expected
    # With `;` the quoted name stays whole; the rest of the line follows it after a `,`.
    by_semicolon = list(csv.reader(io.StringIO(body, newline=""), delimiter=";"))[1:]
    firsts = sorted(row[0] for row in by_semicolon)
    assert all(first.startswith(name + ',"') for first, name in zip(firsts, expected, strict=True))


def csv_body(response) -> str:
    """The streamed file, read once, without its byte-order mark."""
    return response.getvalue().decode("utf-8").removeprefix("\ufeff")


def test_the_plans_export_has_no_formula_cell_with_either_separator(admin_client, upstream):
    items = [plan_item(n, name=name) for n, name in enumerate(HOSTILE)]
    upstream.get(
        PLANS_URL,
        json={"count": len(items), "results": items},
        match=[matchers.query_param_matcher({"limit": "100", "offset": "0"})],
    )
    response = admin_client.get("/plans/export.csv")
    assert response.status_code == 200
    body = csv_body(response)
    assert_no_formula_cells(body)
    assert_names_kept(body, HOSTILE)
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[1][0] == "x;=cmd|' /C calc'!A0;", "the name as it is, in one cell"


def test_the_users_export_has_no_formula_cell_with_either_separator(admin_client, upstream):
    users = [
        {"api_id": f"582:{n}", "name": name, "email": f"person{n}@evil.test"}
        for n, name in enumerate(HOSTILE)
    ]
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json") | {"assigned_users": users})
    # Departments and managers come from the users endpoint: hostile there too.
    hostile_person = person_record(
        0,
        HOSTILE[0],
        departments=[{"api_id": "442:1", "name": '=HYPERLINK("http://x")'}],
        manager={"name": "+Boss", "email": "@boss.test", "api_id": "582:9"},
    )
    expect_plan_people(upstream, [plan_conversation(0, stage="=Stage 1")], [hostile_person])
    response = admin_client.get(f"/plans/{PLAN_ID}/users.csv")
    assert response.status_code == 200
    body = csv_body(response)
    assert_no_formula_cells(body)
    assert_names_kept(body, HOSTILE)


@pytest.mark.parametrize(
    ("value", "exported"),
    [
        ("Smith; =Jones", "Smith; =Jones"),
        ("O'Brien, +44", "O'Brien, +44"),
        ("=1+1", "'=1+1"),
        ("-5", "'-5"),
        ("@home", "'@home"),
        ("\tname", "'\tname"),
        ("\rname", "'\rname"),
        (" =1", " =1"),
        ("", ""),
    ],
)
def test_only_a_leading_formula_character_gets_a_quote(value, exported):
    assert neutralise(value) == exported


def test_every_field_is_quoted(admin_client, upstream):
    users = [{"api_id": "582:1", "name": "Joanne Stefani", "email": "j@test.com"}]
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json") | {"assigned_users": users})
    expect_plan_people(upstream, [])
    body = admin_client.get(f"/plans/{PLAN_ID}/users.csv").getvalue().decode()
    assert body == (
        '\ufeff"Name","Email","User ID","State","Stage","Completed on","Rounds completed",'
        '"Department","Manager","Manager email"\r\n'
        '"Joanne Stefani","j@test.com","582:1","Not started","","","0","","",""\r\n'
    )
