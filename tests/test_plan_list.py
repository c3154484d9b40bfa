import re

import pytest
from django.utils.html import strip_tags
from responses import matchers

from plans.tables import PlanTable
from tests.helpers import (
    PLANS_URL,
    expect_all,
    plan_item,
    plan_page,
)

pytestmark = pytest.mark.django_db


def shown_cells(response) -> list[dict[str, str]]:
    """The text of each shown row's cells, by column header."""
    table = response.context["table"]
    return [
        {column.header: strip_tags(str(cell)) for column, cell in row.items()}
        for row in table.paginated_rows
    ]


def expect_page(upstream, *, limit=25, offset=0, count=137, filters=None, body=None):
    query = {**(filters or {}), "limit": str(limit), "offset": str(offset)}
    upstream.get(
        PLANS_URL,
        json=body if body is not None else plan_page(count, offset, limit),
        match=[matchers.query_param_matcher(query)],
    )


def test_it_works(admin_client, upstream):
    expect_page(upstream)

    response = admin_client.get("/plans/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Showing 1–25 of 137 plans" in html
    assert 'href="/plans/580:00000000-0000-4000-8000-000000000001/"' in html
    assert '<span class="badge text-bg-success">Active</span>' in html
    frequencies = [cells["Frequency"] for cells in shown_cells(response)]
    assert frequencies[:2] == ["One-off", "Every 4 weeks"]  # plan 0: null
    assert len(upstream.calls) == 1


def test_it_requires_login(client):
    response = client.get("/plans/?name=x")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/plans/%3Fname%3Dx"


def test_it_passes_filters_upstream(admin_client, upstream):
    filters = {"name": "Sales Q3", "template_name": "Engagement Survey"}
    expect_page(upstream, filters=filters, count=3)

    response = admin_client.get("/plans/", filters)

    assert "Showing 1–3 of 3 plans" in response.content.decode()


def test_it_pages_with_limit_and_offset(admin_client, upstream):
    expect_page(upstream, limit=25, offset=25)
    response = admin_client.get("/plans/?page=2")
    assert "Showing 26–50 of 137 plans" in response.content.decode()


def test_the_last_partial_page_costs_one_call(admin_client, upstream):
    expect_page(upstream, limit=25, offset=125)
    response = admin_client.get("/plans/?page=6")
    assert "Showing 126–137 of 137 plans" in response.content.decode()
    assert len(row_names(response)) == 12
    assert len(upstream.calls) == 1


@pytest.mark.parametrize("per_page", [10, 50, 100])
def test_it_offers_page_sizes(admin_client, upstream, per_page):
    expect_page(upstream, limit=per_page, offset=per_page)
    response = admin_client.get(f"/plans/?page=2&per_page={per_page}")
    last = min(2 * per_page, 137)
    assert f"Showing {per_page + 1}–{last} of 137 plans" in response.content.decode()


def test_page_links_keep_every_filter(admin_client, upstream):
    expect_page(upstream, limit=10, offset=10, filters={"name": "a b"}, count=40)
    html = admin_client.get("/plans/?name=a+b&per_page=10&page=2").content.decode()
    assert 'href="?name=a+b&amp;per_page=10&amp;page=3"' in html
    assert 'href="?name=a+b&amp;per_page=10&amp;page=1"' in html


def test_it_shows_an_empty_state(admin_client, upstream):
    expect_page(upstream, filters={"name": "nothing"}, count=0)
    html = admin_client.get("/plans/?name=nothing").content.decode()
    assert "No plans match these filters." in html
    assert "No plans" in html


@pytest.mark.parametrize("query", ["page=abc", "page=0", "page=-3"])
def test_it_rejects_bad_paging_before_calling_upstream(admin_client, upstream, query):
    response = admin_client.get(f"/plans/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html or "alert-danger" in html
    assert len(upstream.calls) == 0


def test_a_page_past_the_end_lands_on_the_last_page_with_a_notice(admin_client, upstream):
    expect_page(upstream, offset=24975, filters={"name": "Plan"}, body=plan_page(137, 24975, 0))
    response = admin_client.get("/plans/?name=Plan&page=1000")
    assert response.status_code == 302
    assert response["Location"] == "/plans/?name=Plan&page=6"

    expect_page(upstream, offset=125, filters={"name": "Plan"})
    html = admin_client.get(response["Location"]).content.decode()
    assert "There is no page 1000 of these results: this is page 6, the last one." in html
    assert "Showing 126–137 of 137 plans" in html


def test_a_page_past_the_end_of_a_single_page_lands_on_the_first(admin_client, upstream):
    expect_page(upstream, offset=50, body=plan_page(3, 50, 0))
    response = admin_client.get("/plans/?page=3")
    assert response["Location"] == "/plans/"


@pytest.mark.parametrize(
    ("per_page", "nearest"), [("7", "10"), ("30", "25"), ("100000", "100"), ("abc", "25")]
)
def test_an_unknown_page_size_lands_on_the_nearest_with_a_notice(
    admin_client, upstream, per_page, nearest
):
    response = admin_client.get(f"/plans/?name=x&per_page={per_page}&page=4")
    assert response.status_code == 302
    assert response["Location"] == f"/plans/?name=x&per_page={nearest}"
    assert len(upstream.calls) == 0

    expect_page(upstream, limit=int(nearest), filters={"name": "x"})
    html = admin_client.get(response["Location"]).content.decode()
    assert f"not “{per_page}”: here are {nearest} per page." in html
    assert f'<option value="{nearest}" selected>{nearest}</option>' in html


def test_an_overlong_filter_is_a_form_error(admin_client, upstream):
    response = admin_client.get("/plans/", {"name": "x" * 10_000})
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()


def test_it_escapes_hostile_plan_names(admin_client, upstream):
    hostile = plan_item(
        1, name="<script>alert(1)</script>", template_name='"><img src=x onerror=alert(1)>'
    )
    expect_page(upstream, body={"count": 1, "results": [hostile]})
    html = admin_client.get("/plans/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_it_shows_an_upstream_failure_as_a_friendly_page(admin_client, upstream):
    upstream.get(PLANS_URL, json={"detail": "A server error occurred."}, status=500)
    response = admin_client.get("/plans/")
    assert response.status_code == 503
    page = response.content.decode()
    assert "answered with a server error" in page
    assert "Details for your administrator" in page and "HTTP 500" in page


# --- Status and frequency filters, sorting: the whole result set, filtered locally ----------


def row_names(response) -> list[str]:
    """The plan names of the rows the page's table shows."""
    return [row.record.name for row in response.context["table"].paginated_rows]


def test_it_filters_by_status_over_every_matching_plan(admin_client, upstream):
    expect_all(upstream, filters={"name": "Plan"})

    response = admin_client.get("/plans/", {"name": "Plan", "status": "draft"})
    html = response.content.decode()

    # Plans 0, 2, …, 136 are drafts: 69 of them, first page of 25.
    assert "Showing 1–25 of 69 plans" in html
    assert row_names(response)[:3] == ["Plan 000", "Plan 002", "Plan 004"]
    assert "text-bg-success" not in html
    assert len(upstream.calls) == 2


def test_it_follows_the_rows_the_upstream_actually_returns(admin_client, upstream):
    # The API caps pages at 50 rows: the next offset is 50, not 100.
    expect_all(upstream, count=120, page_size=50)
    html = admin_client.get("/plans/?status=active&per_page=100").content.decode()
    assert "Showing 1–60 of 60 plans" in html
    assert len(upstream.calls) == 3


def test_it_filters_by_frequency_and_offers_the_values_seen(admin_client, upstream):
    items = [
        plan_item(1, frequency="Weekly"),
        plan_item(2, frequency=None),
        plan_item(3, frequency="every 4 weeks"),
        plan_item(4, frequency="Every 4 weeks"),
    ]
    expect_all(upstream, items=items)
    response = admin_client.get("/plans/?frequency=Every+4+weeks")
    html = response.content.decode()
    assert row_names(response) == ["Plan 003", "Plan 004"]
    assert '<option value="one-off">One-off</option>' in html
    assert '<option value="Weekly">Weekly</option>' in html
    assert '<option value="Every 4 weeks" selected>Every 4 weeks</option>' in html


def test_one_off_selects_plans_without_a_frequency(admin_client, upstream):
    items = [plan_item(1, frequency="Weekly"), plan_item(2, frequency=None)]
    expect_all(upstream, items=items)
    response = admin_client.get("/plans/?frequency=one-off")
    html = response.content.decode()
    assert row_names(response) == ["Plan 002"]
    assert "Frequency: One-off" in html


def test_an_unknown_frequency_matches_nothing_and_stays_selected(admin_client, upstream):
    expect_all(upstream, count=3)
    response = admin_client.get("/plans/?frequency=Fortnightly")
    html = response.content.decode()
    assert response.status_code == 200
    assert "No plans match these filters." in html
    assert '<option value="Fortnightly" selected>Fortnightly</option>' in html


@pytest.mark.parametrize(
    "query", ["status=archived", "sort=size", "sort=name,-status", "frequency=" + "x" * 300]
)
def test_it_rejects_bad_status_frequency_and_sort_before_calling_upstream(
    admin_client, upstream, query
):
    response = admin_client.get(f"/plans/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html or "alert-danger" in html
    assert len(upstream.calls) == 0


@pytest.mark.parametrize(
    ("sort", "first_three"),
    [
        ("name", ["alpha", "Bravo", "charlie"]),
        ("-name", ["delta", "charlie", "Bravo"]),
        ("frequency", ["charlie", "alpha", "Bravo"]),  # Weekly, Monthly, then one-offs
        ("-frequency", ["alpha", "charlie", "Bravo"]),  # one-offs still last
        ("status", ["Bravo", "delta", "alpha"]),  # stable: active in upstream order
    ],
)
def test_it_sorts_case_insensitively_and_stably(admin_client, upstream, sort, first_three):
    items = [
        plan_item(1, name="Bravo", status="active", frequency=None),
        plan_item(2, name="delta", status="active", frequency=None),
        plan_item(3, name="alpha", status="draft", frequency="Monthly"),
        plan_item(4, name="charlie", status="draft", frequency="Weekly"),
    ]
    expect_all(upstream, items=items)
    response = admin_client.get(f"/plans/?sort={sort}")
    assert row_names(response)[:3] == first_three


def test_sorting_pages_locally(admin_client, upstream):
    expect_all(upstream)
    response = admin_client.get("/plans/?sort=-name&page=2&per_page=10")
    html = response.content.decode()
    assert "Showing 11–20 of 137 plans" in html
    assert row_names(response)[0] == "Plan 126"
    assert 'href="?sort=-name&amp;page=3&amp;per_page=10"' in html


def test_column_headers_sort_and_keep_the_filters(admin_client, upstream):
    expect_page(upstream, filters={"name": "a b"}, count=3)
    html = admin_client.get("/plans/?name=a+b").content.decode()
    assert 'href="?name=a+b&amp;sort=name"' in html
    assert 'href="?name=a+b&amp;sort=template"' in html
    assert 'href="?name=a+b&amp;sort=frequency"' in html


def test_a_sorted_column_links_to_the_opposite_order(admin_client, upstream):
    expect_all(upstream, count=3)
    html = admin_client.get("/plans/?sort=name").content.decode()
    assert '<th class="asc orderable" scope="col" aria-sort="ascending">' in html
    assert 'href="?sort=-name"' in html


def test_a_local_page_past_the_end_lands_on_the_last_page(admin_client, upstream):
    expect_all(upstream, count=60)
    response = admin_client.get("/plans/?status=active&page=9")
    assert response["Location"] == "/plans/?status=active&page=2"


# --- Chips, clear, export button, links to details --------------------------------------------


def test_active_filters_are_removable_chips(admin_client, upstream):
    expect_all(upstream, filters={"name": "Plan"})
    html = admin_client.get(
        "/plans/?name=Plan&status=draft&sort=name&per_page=10&page=2"
    ).content.decode()
    # Each chip drops its own filter and the page, and keeps the rest.
    assert 'href="/plans/?status=draft&amp;sort=name&amp;per_page=10"' in html
    assert 'href="/plans/?name=Plan&amp;sort=name&amp;per_page=10"' in html
    assert "Plan name: Plan" in html and "Status: Draft" in html
    clear = re.search(r'<a href="([^"]*)" class="small">Clear filters</a>', html).group(1)
    assert clear == "/plans/?sort=name&amp;per_page=10"


def test_no_chips_without_filters(admin_client, upstream):
    expect_page(upstream)
    html = admin_client.get("/plans/").content.decode()
    assert "Clear filters" not in html


def test_the_export_button_keeps_the_filters(admin_client, upstream):
    expect_all(upstream, filters={"name": "Plan"})
    html = admin_client.get("/plans/?name=Plan&status=draft&page=2&per_page=10").content.decode()
    assert 'href="/plans/export.csv?name=Plan&amp;status=draft"' in html


def test_detail_links_carry_the_way_back(admin_client, upstream):
    expect_all(upstream, count=3)
    html = admin_client.get("/plans/?status=active&refresh=0&page=1").content.decode()
    assert 'href="/plans/580:00000000-0000-4000-8000-000000000001/?back=status%3Dactive"' in html


def test_htmx_gets_the_results_alone_and_a_clean_url_to_show(admin_client, upstream):
    expect_all(upstream, count=3)

    response = admin_client.get(
        "/plans/?name=&template_name=&status=active&frequency=&per_page=25",
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response["HX-Push-Url"] == "/plans/?status=active"
    assert "HX-Request" in response["Vary"]
    html = response.content.decode()
    assert "<html" not in html and "<form" not in html
    assert 'id="result-summary"' in html and "<table" in html


def test_the_filter_form_applies_on_change_and_keeps_its_button(admin_client, upstream):
    expect_page(upstream)
    html = admin_client.get("/plans/").content.decode()
    assert (
        'hx-get="/plans/" hx-trigger="change, submit" hx-sync="this:replace" '
        'hx-target="#plan-results"'
    ) in html
    assert '<button type="submit" class="btn btn-primary">Filter</button>' in html
    assert '<div id="plan-results">' in html


def test_frequencies_sort_by_interval_with_unknown_wordings_then_one_offs_last(
    admin_client, upstream
):
    wordings = [
        "Annually",
        None,
        "Monthly",
        "Every 4 weeks",
        "Now and then",
        "Quarterly",
        "Weekly",
        "Every 2 weeks",
    ]
    items = [
        plan_item(n, name=str(wording), frequency=wording) for n, wording in enumerate(wordings)
    ]
    expect_all(upstream, items=items)
    response = admin_client.get("/plans/?sort=frequency")
    html = response.content.decode()
    assert row_names(response) == [
        "Weekly",
        "Every 2 weeks",
        "Every 4 weeks",
        "Monthly",
        "Quarterly",
        "Annually",
        "Now and then",
        "None",
    ]
    # The select offers them in the same order.
    offered = re.findall(r'<option value="([^"]*)"', html[html.index('name="frequency"') :])
    assert offered[:9] == ["", "one-off", *wordings_in_order(wordings)]


def wordings_in_order(wordings):
    order = ["Weekly", "Every 2 weeks", "Every 4 weeks", "Monthly", "Quarterly", "Annually"]
    return [*order, "Now and then"]


def test_a_value_has_one_label_in_the_table_the_filters_and_the_chips(admin_client, upstream):
    expect_all(upstream, count=3)
    html = admin_client.get("/plans/?status=active&frequency=one-off").content.decode()
    assert '<option value="active" selected>Active</option>' in html
    assert '<option value="one-off" selected>One-off</option>' in html
    assert "Status: Active" in html and "Frequency: One-off" in html


def test_no_export_link_when_nothing_matches(admin_client, upstream):
    expect_page(upstream, filters={"name": "nothing"}, count=0)
    html = admin_client.get("/plans/?name=nothing").content.decode()
    assert "Export CSV" not in html


def test_the_unsorted_list_says_whose_order_it_is_with_sorting_a_click_away(admin_client, upstream):
    expect_page(upstream, filters={"name": "Plan"})
    html = admin_client.get("/plans/?name=Plan&page=1").content.decode()
    assert "These plans are in Perform &amp; Engage 365’s own order." in html
    assert '<a href="/plans/?name=Plan&amp;sort=name">Sort them by name</a>' in html
    assert len(upstream.calls) == 1


def test_a_sorted_list_does_not_say_it(admin_client, upstream):
    expect_all(upstream, count=3)
    html = admin_client.get("/plans/?sort=name").content.decode()
    assert "own order" not in html


def test_on_phones_the_plans_are_cards_and_the_filters_fold_behind_a_count(admin_client, upstream):
    expect_all(upstream, count=3, filters={"name": "Plan"})
    response = admin_client.get("/plans/?name=Plan&status=active")
    html = response.content.decode()
    assert '<details class="filters-toggle mb-3">' in html
    assert 'Filters <span id="filters-in-use">(2)</span></summary>' in html
    # Below 576 px a table-cards table shows each row as a card, each value beside its
    # column's header (dashboard.css): one table, no second copy of the rows.
    assert 'class="table table-hover align-middle plans-table table-cards"' in html
    tbody = re.search(r"<tbody.*?</tbody>", html, re.DOTALL).group(0)
    assert tbody.count("<tr") == 1  # plan 1, the only active one
    assert 'data-label="Status"><span class="badge text-bg-success">Active</span></td>' in tbody
    assert 'data-label="Template">Engagement Survey</td>' in tbody


def test_each_cell_is_rendered_once(admin_client, upstream, monkeypatch):
    expect_page(upstream)
    rendered = []
    render_status = PlanTable.render_status
    monkeypatch.setattr(
        PlanTable,
        "render_status",
        lambda table, value: rendered.append(value) or render_status(table, value),
    )
    response = admin_client.get("/plans/")
    assert len(rendered) == 25
    assert len(row_names(response)) == 25


def test_htmx_updates_the_filter_count_too(admin_client, upstream):
    expect_all(upstream, count=3)
    html = admin_client.get(
        "/plans/?status=active", headers={"HX-Request": "true"}
    ).content.decode()
    assert '<span id="filters-in-use" hx-swap-oob="true">(1)</span>' in html


def test_htmx_offers_the_frequencies_of_the_plans_found(admin_client, upstream):
    items = [plan_item(0, frequency="Weekly"), plan_item(1, frequency="Yearly")]
    expect_all(upstream, items=items, filters={"name": "Plan"})
    html = admin_client.get(
        "/plans/?name=Plan&status=draft&frequency=Monthly", headers={"HX-Request": "true"}
    ).content.decode()

    swapped = re.search(
        r'<datalist hx-swap-oob="innerHTML:#id_frequency">(.*?)</datalist>', html, re.DOTALL
    )
    assert swapped, "the frequency select's options come with the results"
    options = re.findall(r'<option value="([^"]*)"( selected)?>', swapped.group(1))
    # Every frequency of the plans found, by interval, and the URL's own value, chosen.
    assert options == [
        ("", ""),
        ("one-off", ""),
        ("Weekly", ""),
        ("Monthly", " selected"),
        ("Yearly", ""),
    ]


def test_a_list_error_names_the_filters_and_links_to_the_list_without_them(admin_client, upstream):
    upstream.get(PLANS_URL, status=503)
    upstream.get(PLANS_URL, status=503)
    upstream.get(PLANS_URL, status=503)
    html = admin_client.get("/plans/?name=Zürich&status=draft").content.decode()
    assert "filtered by plan name “Zürich”, status “Draft”" in html
    assert '<a class="btn btn-link" href="/plans/">All plans, without filters</a>' in html
    assert "Details for your administrator" in html


def test_phones_choose_the_sort_in_the_filters_since_cards_have_no_headings(admin_client, upstream):
    expect_all(upstream)
    html = admin_client.get("/plans/?sort=-name").content.decode()
    assert '<div class="col-12 phone-sort"><label for="id_sort">Sort by</label>' in html
    assert '<option value="-name" selected>Plan, Z to A</option>' in html
