"""templates/tables/table.html: the accessible django-tables2 template all tables use."""

import re
from pathlib import Path

import django_tables2 as tables
from django.conf import settings
from django.test import RequestFactory

from plans.tables import (
    ManagerTeamTable,
    PeopleTable,
    PersonPlanTable,
    PlanPeopleTable,
    PlanTable,
    TeamTable,
)


class SortableTable(tables.Table):
    name = tables.Column()
    status = tables.Column()
    note = tables.Column(orderable=False)

    class Meta:
        template_name = "tables/table.html"


ROWS = [{"name": f"Plan {n:02d}", "status": "draft", "note": ""} for n in range(30)]


def render(table, query: str = "") -> str:
    request = RequestFactory().get(f"/plans/{query}")
    tables.RequestConfig(request, paginate={"per_page": 10}).configure(table)
    return table.as_html(request)


def test_it_is_the_template_of_every_table_and_extends_django_tables2s_bootstrap_5():
    every = (PlanPeopleTable, TeamTable, ManagerTeamTable, PlanTable, PeopleTable, PersonPlanTable)
    for table in every:
        assert table._meta.template_name == "tables/table.html"
    source = Path(settings.BASE_DIR, "templates/tables/table.html").read_text()
    # Its responsive variant: a table wider than a tablet's page scrolls in its own box.
    assert source.startswith('{% extends "django_tables2/bootstrap5-responsive.html" %}')
    assert '<div class="table-container table-responsive">' in render(SortableTable(ROWS[:1]))


def test_each_cell_carries_its_columns_header_for_the_phone_cards():
    html = render(SortableTable(ROWS[:1]))
    assert 'data-label="Name">Plan 00</td>' in html
    assert 'data-label="Status">draft</td>' in html


def headers(html: str) -> list[str]:
    """Each <th>'s attributes after django-tables2's own class attribute."""
    return re.findall(r"<th (?:class=\"[^\"]*\")?\s*([^>]*)>", html)


def test_it_scopes_headers_and_announces_the_sort_state():
    html = render(SortableTable(ROWS, order_by="-name"), "?sort=-name")
    assert headers(html) == [
        'scope="col" aria-sort="descending"',
        'scope="col" aria-sort="none"',
        'scope="col"',
    ]
    assert 'href="?sort=name" class="sort-link">Name' in html  # next click: ascending

    html = render(SortableTable(ROWS, order_by="name"), "?sort=name")
    assert headers(html)[0] == 'scope="col" aria-sort="ascending"'


def test_it_labels_the_pager_and_marks_the_current_page():
    html = render(SortableTable(ROWS), "?page=2")
    assert '<nav class="table-pagination" aria-label="Pages of items">' in html
    assert 'href="?page=2" aria-current="page">2</a>' in html
    assert 'rel="prev" href="?page=1"><span aria-hidden="true">&laquo;</span> Previous</a>' in html
    assert 'rel="next" href="?page=3">Next <span aria-hidden="true">&raquo;</span></a>' in html


def test_it_names_each_pager_after_its_table_prefix():
    html = render(SortableTable(ROWS, prefix="users_"))
    assert 'aria-label="Pages of users"' in html


def test_it_shows_no_pager_for_a_single_page():
    assert "<nav" not in render(SortableTable(ROWS[:5]))
