"""The plan list's template filter: the organisation's templates to choose from, matched
without regard to case or accents, and any typed value (an old bookmark's) still applied."""

import pytest
from responses import matchers

from plans import services
from tests.helpers import AUTH_HEADER, PLANS_URL, load_fixture, make_client, plan_page

pytestmark = pytest.mark.django_db

TEMPLATES_URL = "https://pe365.test/api/v2/conversation_templates/"


def template(name: str, n: int = 1, **fields) -> dict:
    return load_fixture("template_detail.json") | {"name": name, "api_id": f"580:t{n}"} | fields


def expect_templates(upstream, names, *, offset=0, count=None, status=200):
    upstream.get(
        TEMPLATES_URL,
        json={
            "count": len(names) if count is None else count,
            "next": None,
            "previous": None,
            "results": [template(name, n) for n, name in enumerate(names)],
        },
        status=status,
        match=[
            matchers.query_param_matcher({"limit": "100", "offset": str(offset)}),
            matchers.header_matcher({"Authorization": AUTH_HEADER}),
        ],
    )


def expect_plans(upstream, template_name: str):
    upstream.get(
        PLANS_URL,
        json=plan_page(3, 0, 25),
        match=[
            matchers.query_param_matcher(
                {"template_name": template_name, "limit": "25", "offset": "0"}
            )
        ],
    )


def test_the_service_reads_every_page_of_templates(upstream):
    expect_templates(upstream, [f"Template {n}" for n in range(100)], count=102)
    expect_templates(upstream, ["Évaluation annuelle", "Weekly Check-in"], offset=100, count=102)

    templates = services.template_list(client=make_client())

    assert len(templates) == 102
    assert templates[100].name == "Évaluation annuelle"
    assert isinstance(templates[0], services.Template)


@pytest.mark.parametrize("typed", ["evaluation annuelle", "EVALUATION", "évaluation"])
def test_a_typed_name_sends_the_api_the_templates_exact_name(admin_client, upstream, typed):
    expect_templates(upstream, ["Engagement Survey", "Évaluation annuelle"])
    expect_plans(upstream, "Évaluation annuelle")

    html = admin_client.get("/plans/", {"template_name": typed}).content.decode()

    assert 'value="Évaluation annuelle"' in html
    assert "Template: Évaluation annuelle" in html


def test_an_old_bookmarks_value_is_applied_and_shown_as_it_is(admin_client, upstream):
    expect_templates(upstream, ["Engagement Survey", "Engagement Pulse"])
    expect_plans(upstream, "Engagement")  # two templates contain it: left as typed

    html = admin_client.get("/plans/?template_name=Engagement").content.decode()

    assert 'value="Engagement"' in html and "Template: Engagement" in html


def test_without_the_templates_list_the_name_goes_as_typed(admin_client, upstream):
    expect_templates(upstream, [], status=500)
    expect_plans(upstream, "evaluation")
    response = admin_client.get("/plans/?template_name=evaluation")
    assert response.status_code == 200


def test_the_plain_list_asks_for_no_templates(admin_client, upstream):
    upstream.get(PLANS_URL, json=plan_page(3, 0, 25))
    html = admin_client.get("/plans/").content.decode()
    assert len(upstream.calls) == 1
    # The choices load with htmx into the field's datalist.
    assert 'list="template-options"' in html
    assert (
        '<datalist id="template-options" hx-get="/plans/template-options/" '
        'hx-trigger="load" hx-target="this"' in html
    )


def test_the_choices_are_the_templates_in_use_sorted_by_name(admin_client, upstream):
    upstream.get(
        TEMPLATES_URL,
        json={
            "count": 4,
            "results": [
                template("Weekly Check-in", 1),
                template("évaluation annuelle", 2),
                template("Old survey", 3, deleted=True),
                template("<b>Bold</b>", 4),
            ],
        },
    )

    html = admin_client.get("/plans/template-options/").content.decode()

    assert [line.strip() for line in html.splitlines() if line.strip()] == [
        '<option value="&lt;b&gt;Bold&lt;/b&gt;"></option>',
        '<option value="évaluation annuelle"></option>',
        '<option value="Weekly Check-in"></option>',
    ]
