"""The overview at `/`: plan totals by status, template and frequency and conversations by
template, as server-drawn SVG bar charts whose bars link to the matching plan list, each
with a data table."""

import re
from html import unescape

import pytest

from tests.helpers import CONVERSATIONS_URL, PLANS_URL, expect_all
from tests.overview_fixtures import (
    expect_conversation_count,
    expect_organisation,
    organisation_plans,
)

pytestmark = pytest.mark.django_db


def section(html: str, chart: str) -> str:
    """The HTML of one chart's <section> (id chart-<chart>)."""
    match = re.search(rf'<section[^>]* id="chart-{chart}">(.*?)</section>', html, re.S)
    assert match, f"no {chart} chart"
    return match.group(1)


def bar_links(html: str) -> dict[str, str]:
    """Label → link of every linked bar in a chart's HTML."""
    rows = re.findall(
        r'<a class="chart-row" href="([^"]+)">\s*<span class="chart-label">([^<]*)</span>', html
    )
    return {unescape(label): unescape(href) for href, label in rows}


def bar_lengths(html: str) -> list[str]:
    return re.findall(r'<rect class="chart-fill [^"]+" width="([^"]+)"', html)


def test_it_is_the_home_page(admin_client, upstream):
    expect_organisation(upstream)

    response = admin_client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Overview · Perform &amp; Engage 365</title>" in html
    assert "6 plans: 4 active, 2 draft, using 3 templates." in html
    assert '<a class="nav-link active" href="/" aria-current="page">Overview</a>' in html
    assert len(upstream.calls) == 1 + 2 * 3


def test_each_status_bar_links_to_the_list_of_that_status(admin_client, upstream):
    expect_organisation(upstream)

    html = admin_client.get("/").content.decode()

    status = section(html, "status")
    assert bar_links(status) == {"Active": "/plans/?status=active", "Draft": "/plans/?status=draft"}
    assert bar_lengths(status) == ["100.00", "50.00"]  # 4 and 2 plans: the largest fills it
    assert '4<span class="visually-hidden"> plans</span>' in status


def test_each_template_bar_links_to_the_list_of_that_template(admin_client, upstream):
    expect_organisation(upstream)

    html = admin_client.get("/").content.decode()

    assert bar_links(section(html, "template")) == {
        "Engagement Survey": "/plans/?template_name=Engagement+Survey",
        "Weekly Check-in": "/plans/?template_name=Weekly+Check-in",
        "Évaluation annuelle": "/plans/?template_name=%C3%89valuation+annuelle",
    }


def test_each_frequency_bar_links_to_the_list_of_that_frequency(admin_client, upstream):
    expect_organisation(upstream)

    html = admin_client.get("/").content.decode()

    assert bar_links(section(html, "frequency")) == {
        "One-off": "/plans/?frequency=one-off",
        "Every 4 weeks": "/plans/?frequency=Every+4+weeks",
        "Weekly": "/plans/?frequency=Weekly",
    }


def test_the_conversation_bars_show_completed_and_in_progress_per_template(admin_client, upstream):
    expect_organisation(upstream, counts={"Engagement Survey": (30, 10), "Weekly Check-in": (0, 0)})

    html = admin_client.get("/").content.decode()

    chart = section(html, "conversations")
    assert bar_links(chart)["Engagement Survey"] == "/plans/?template_name=Engagement+Survey"
    assert '75 %<span class="visually-hidden"> of conversations completed</span>' in chart
    assert "30 conversations completed · 10 in progress" in chart
    assert "none yet" in chart  # Weekly Check-in has no conversation
    assert '<rect class="chart-fill chart-fill-final" width="75.00" height="10"/>' in chart
    in_progress = '<rect class="chart-fill chart-fill-progress" x="75.00" width="25.00"'
    assert in_progress in chart
    assert "for the 3 templates with the most plans" in chart
    assert "33 completed, 12 in progress" in chart  # 30+0+3 and 10+0+2


def test_every_chart_has_a_data_table(admin_client, upstream):
    expect_organisation(upstream)

    html = admin_client.get("/").content.decode()

    for chart, caption in [
        ("status", "Plans by status"),
        ("template", "Plans by template"),
        ("frequency", "Plans by frequency"),
        ("conversations", "Conversations by template and state"),
    ]:
        part = section(html, chart)
        assert "<summary>Show as table</summary>" in part
        assert f"<caption>{caption}</caption>" in part
    conversations = section(html, "conversations")
    assert '<th scope="col" class="text-end">In progress</th>' in conversations
    row = re.search(r"Engagement Survey</a></th>(.*?)</tr>", conversations, re.S).group(1)
    assert re.findall(r">([^<]+)</td>", row) == ["3", "2", "60 %"]


def test_the_charts_obey_the_content_security_policy(admin_client, upstream):
    expect_organisation(upstream)

    response = admin_client.get("/")

    html = response.content.decode()
    assert "style-src 'self'" in response["Content-Security-Policy"]
    assert " style=" not in html and "<style" not in html
    assert "<script>" not in html and "<script " not in html.replace('<script src="', "")
    assert html.count('<svg class="chart-bar"') == 2 + 3 + 3 + 3


def test_templates_beyond_the_top_ones_are_summed_without_a_link(admin_client, upstream):
    rows = [(f"T{t}", "active", None) for t in range(10) for _ in range(11 - t)]
    expect_all(upstream, items=organisation_plans(rows))
    for t in range(8):
        expect_conversation_count(upstream, template_name=f"T{t}", status="final")
        expect_conversation_count(upstream, template_name=f"T{t}", status="draft")

    html = admin_client.get("/").content.decode()

    template = section(html, "template")
    assert len(bar_links(template)) == 8
    assert '<div class="chart-row">\n        <span class="chart-label">Other templates</span>' in (
        template
    )
    assert "for the 8 templates with the most plans (of 10)" in section(html, "conversations")


def test_an_empty_organisation_says_so(admin_client, upstream):
    expect_all(upstream, items=[])

    response = admin_client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "No conversation plans yet." in html
    assert bar_lengths(section(html, "status")) == ["0", "0"]
    assert "No plans yet." in section(html, "template")
    assert "No plans yet, so no conversations to count." in section(html, "conversations")
    assert len(upstream.calls) == 1


def test_a_failed_conversation_count_stays_inside_its_chart(admin_client, upstream):
    expect_all(upstream, items=organisation_plans())
    upstream.get(CONVERSATIONS_URL, status=500)

    response = admin_client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    conversations = section(html, "conversations")
    assert "The conversation counts could not be loaded." in conversations
    assert "answered with a server error" in conversations
    assert 'href="?refresh=1"' in conversations
    assert "<caption>Conversations by template and state</caption>" not in conversations
    assert len(bar_links(section(html, "template"))) == 3  # the plan charts still show
    assert len(bar_links(section(html, "status"))) == 2


def test_a_failed_plan_set_is_the_error_page(admin_client, upstream):
    upstream.get(PLANS_URL, status=500)

    response = admin_client.get("/")

    assert response.status_code == 503
    assert "chart-status" not in response.content.decode()


def test_it_shows_when_its_data_was_fetched_and_offers_a_refresh(admin_client, upstream):
    expect_organisation(upstream)

    html = admin_client.get("/").content.decode()

    assert "Data as of <time" in html
    assert '<a href="?refresh=1" class="link-secondary">Refresh</a>' in html


def test_refresh_fetches_again_and_its_links_do_not_refresh(admin_client, upstream, settings):
    settings.PE365_CACHE_TTL = 60
    expect_organisation(upstream)
    admin_client.get("/")
    expect_organisation(upstream)

    response = admin_client.get("/?refresh=1")

    assert response.status_code == 200
    assert len(upstream.calls) == 2 * (1 + 2 * 3)
    assert '<a href="?refresh=1" class="link-secondary">Refresh</a>' in response.content.decode()
    assert "refresh=1&" not in response.content.decode()


def test_it_needs_the_view_plans_permission(client, django_user_model, upstream):
    user = django_user_model.objects.create_user(username="sam", password="not-used-123")
    client.force_login(user)

    response = client.get("/")

    assert response.status_code == 403
    assert len(upstream.calls) == 0


def test_a_stranger_is_sent_to_log_in_and_back(client, upstream):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
    assert len(upstream.calls) == 0


def test_the_header_links_the_overview_and_the_plans(admin_client, upstream):
    upstream.get(PLANS_URL, json={"count": 0, "results": []})

    html = admin_client.get("/plans/").content.decode()

    assert '<a class="navbar-brand fw-semibold" href="/">' in html
    assert '<a class="nav-link" href="/">Overview</a>' in html
    assert '<a class="nav-link active" href="/plans/" aria-current="page">Plans</a>' in html
