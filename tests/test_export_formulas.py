"""CSV downloads open as text in every spreadsheet locale: no cell ever runs as a formula.

A spreadsheet set to `;` as its list separator (many European locales) reads the
file's quoting wrongly and splits inside fields at every `;`, so a name like
`x;=cmd|' /C calc'!A0;` would become a cell starting with `=` there, quoted or not.
Every field is quoted, and a formula character at the start of a field or after a
separator or line break inside one is prefixed with a quote.
"""

import csv
import io

import pytest
from responses import matchers

from tests.helpers import (
    PLAN_ID,
    PLAN_URL,
    PLANS_URL,
    expect_plan_conversations,
    load_fixture,
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


def csv_body(response) -> str:
    """The streamed file, read once, without its byte-order mark."""
    return response.getvalue().decode("utf-8").removeprefix("\ufeff")


def test_the_plans_export_has_no_formula_cell_with_either_separator(admin_client, upstream):
    items = [plan_item(n, name=name, template_name=name) for n, name in enumerate(HOSTILE)]
    upstream.get(
        PLANS_URL,
        json={"count": len(items), "results": items},
        match=[matchers.query_param_matcher({"limit": "100", "offset": "0"})],
    )
    response = admin_client.get("/plans/export.csv")
    assert response.status_code == 200
    body = csv_body(response)
    assert_no_formula_cells(body)
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[1][0] == "x;'=cmd|' /C calc'!A0;", "read with the file's separator: one cell"


def test_the_users_export_has_no_formula_cell_with_either_separator(admin_client, upstream):
    users = [
        {"api_id": f"582:{n}", "name": name, "email": f"{name}@evil.test"}
        for n, name in enumerate(HOSTILE)
    ]
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json") | {"assigned_users": users})
    # A stage is typed by people too, and goes into the export's Stage column.
    expect_plan_conversations(upstream, [plan_conversation(0, stage=HOSTILE[0])])
    response = admin_client.get(f"/plans/{PLAN_ID}/users.csv")
    assert response.status_code == 200
    assert_no_formula_cells(csv_body(response))


def test_every_field_is_quoted(admin_client, upstream):
    users = [{"api_id": "582:1", "name": "Joanne Stefani", "email": "j@test.com"}]
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json") | {"assigned_users": users})
    expect_plan_conversations(upstream, [])
    body = admin_client.get(f"/plans/{PLAN_ID}/users.csv").getvalue().decode()
    assert body == (
        '\ufeff"Name","Email","User ID","State","Stage","Completed on","Rounds completed"\r\n'
        '"Joanne Stefani","j@test.com","582:1","Not started","","","0"\r\n'
    )
