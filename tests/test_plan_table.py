"""plans/plan_table.html writes PlanTable's rows out for speed; they must stay identical."""

import re

import pytest
from django.test import RequestFactory
from django.test.html import parse_html

from plans.services import PlanSummary
from plans.tables import PlanTable
from tests.conftest import plan_item

EDGE_CASES = [
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


def tbody(table: PlanTable) -> str:
    html = table.as_html(RequestFactory().get("/plans/"))
    return re.search(r"<tbody.*</tbody>", html, re.DOTALL).group(0)


@pytest.mark.parametrize("back", ["", "name=a b&sort=-status"])
@pytest.mark.parametrize("plan", EDGE_CASES, ids=lambda plan: plan.api_id)
def test_the_written_out_rows_render_exactly_what_the_columns_would(plan, back):
    generic = PlanTable([plan], back=back, template_name="plans/table.html")
    fast = PlanTable([plan], back=back)
    assert fast.template_name == "plans/plan_table.html"
    assert parse_html(tbody(fast)) == parse_html(tbody(generic))


def test_the_written_out_rows_cover_every_column():
    columns = [column.name for column in PlanTable([]).columns]
    assert columns == ["name", "template", "status", "frequency"], (
        "PlanTable's columns changed: update templates/plans/plan_table.html to match"
    )
