"""End to end: the real dashboard process against the demo API process, over real HTTP."""

import csv
import html
import io
import math
import re
from urllib.parse import quote, unquote

import pytest
import requests

from demo_api import data
from devtools.servers import dashboard, dashboard_env, demo_api, log_in
from tests.helpers import USERS_CSV_HEADER

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api():
    with demo_api() as server:
        yield server


@pytest.fixture(scope="module")
def site(api):
    with dashboard(dashboard_env(api.url)) as url:
        yield url


def summary(html: str) -> str:
    return " ".join(re.search(r"Showing[^<]*", html).group(0).split())


def detail_links(html: str) -> list[str]:
    """Detail links of a list page, without their "Back to results" query."""
    return re.findall(r'href="(/plans/[^"?]+/)(?:\?back=[^"]*)?"', html)


def test_an_admin_walks_list_filter_page_and_detail(site, api):
    session = log_in(site)

    api.reset_stats()
    listing = session.get(f"{site}/plans/", timeout=10)
    assert summary(listing.text) == "Showing 1–25 of 150 plans"
    assert api.calls() == 1, "a list page costs exactly one upstream call"

    filtered = session.get(f"{site}/plans/", params={"template_name": "check-in"}, timeout=10)
    assert re.match(r"Showing 1–\d+ of \d+ plans", summary(filtered.text))
    count = int(re.search(r"of (\d+) plans", filtered.text).group(1))
    assert 0 < count < 150

    page_two = session.get(f"{site}/plans/", params={"page": 2, "per_page": 10}, timeout=10)
    assert summary(page_two.text) == "Showing 11–20 of 150 plans"
    assert 'href="?page=3&amp;per_page=10"' in page_two.text

    api.reset_stats()
    link = detail_links(page_two.text)[0]
    detail = session.get(f"{site}{link}", timeout=10)
    assert detail.status_code == 200
    assert "<dt>Assigned</dt>" in detail.text and "<dt>Departments</dt>" in detail.text
    assert api.calls() == 1, "a detail page costs exactly one upstream call"

    # Its side panels, loaded by the page's script: the plan again (the shared cache is
    # off here), then concurrently its template and the conversations with its name
    # (plans of up to 100 users: one page).
    api.reset_stats()
    panels = session.get(f"{site}{link}panels/", timeout=10)
    assert "conversations completed" in panels.text or "not generated any" in panels.text
    assert api.calls() == 3


def test_a_shared_detail_link_works_after_login_in_a_new_session(site):
    session = log_in(site)
    listing = session.get(f"{site}/plans/", params={"name": "Company-wide"}, timeout=10)
    link = detail_links(listing.text)[0]

    stranger = requests.Session()
    bounced = stranger.get(f"{site}{link}", timeout=10)
    assert "/accounts/login/?next=" in bounced.url

    colleague = log_in(site)
    encoded = link.replace(":", "%3A")
    for url in (link, encoded):
        page = colleague.get(f"{site}{url}", timeout=10)
        assert page.status_code == 200
        assert "Company-wide engagement survey 2026" in page.text
        assert "<dt>Assigned</dt><dd>3,000 people</dd>" in page.text


def test_unknown_and_hostile_ids_are_404(site, api):
    session = log_in(site)
    api.reset_stats()
    assert session.get(f"{site}/plans/580:no-such-plan/", timeout=10).status_code == 404
    assert (
        session.get(f"{site}/plans/{quote('../../users', safe='')}/", timeout=10).status_code == 404
    )
    # Only the well-formed id went upstream (the demo counts decoded paths).
    assert api.stats()["by_path"] == {"/api/v2/conversation_plans/580:no-such-plan/": 1}


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8").removeprefix("\ufeff"))))


def test_status_filter_sort_export_and_back(site, api):
    session = log_in(site)
    query = {"status": "draft", "sort": "-name"}

    api.reset_stats()
    listing = session.get(f"{site}/plans/", params=query, timeout=10)
    count = int(re.search(r"of (\d+) plans?", summary(listing.text)).group(1))
    assert 0 < count < 150
    # 150 plans, read at the demo's maximum of 100 rows a page: two calls, whatever the page.
    assert api.calls() == 2, "a sorted or status-filtered list page costs two upstream calls"
    assert "Status: Draft" in listing.text and "Clear filters" in listing.text

    api.reset_stats()
    export = session.get(f"{site}/plans/export.csv", params=query, timeout=10)
    assert export.headers["Content-Disposition"].startswith('attachment; filename="plans-')
    rows = csv_rows(export)
    assert rows[0][:3] == ["Plan", "Template", "Status"]
    assert len(rows) == count + 1 and {row[2] for row in rows[1:]} == {"Draft"}
    names = [row[0].removeprefix("'") for row in rows[1:]]
    assert names == sorted(names, key=str.casefold, reverse=True)
    assert api.calls() == 2

    link = re.search(r'href="(/plans/[^"?]+/\?back=[^"]+)"', listing.text).group(1)
    detail = session.get(f"{site}{html.unescape(link)}", timeout=10)
    assert '<a href="/plans/?status=draft&amp;sort=-name" class="link-secondary">' in detail.text


def test_detail_search_template_and_progress_with_their_call_counts(site, api):
    session = log_in(site)
    listing = session.get(f"{site}/plans/", params={"name": "Company-wide"}, timeout=10)
    link = detail_links(listing.text)[0]

    api.reset_stats()
    page = session.get(f"{site}{link}", params={"q": "stef"}, timeout=10)
    assert page.status_code == 200
    assert api.calls() == 1
    people = session.get(f"{site}{link}participation/", params={"q": "stef"}, timeout=30)
    found = re.search(r'id="participation-showing">Showing [\d,]+–[\d,]+ of ([\d,]+)', people.text)
    shown = int(found.group(1).replace(",", ""))
    assert 0 < shown < 3000

    api.reset_stats()
    panels = session.get(f"{site}{link}panels/", timeout=10)
    assert "Engagement Survey" in panels.text
    assert "Template details are unavailable" not in panels.text
    # Conversations, not people: a recurring plan has a conversation per person per round.
    assert re.search(r"[\d,]+ of [\d,]+ conversations completed", panels.text)
    name = html.unescape(re.search(r"<h1[^>]*>([^<]+)</h1>", page.text).group(1)).strip()
    named = sum(c["plan_name"] == name for c in data.conversations())
    pages = -(-named // 100)
    by_path = api.stats()["by_path"]
    # Once each: the plan, its template and every page of the conversations with its name.
    assert sorted(by_path.values()) == [1, 1, pages]
    assert api.calls() == 2 + pages

    export = session.get(f"{site}{link}users.csv", params={"q": "stef"}, timeout=10)
    rows = csv_rows(export)
    assert rows[0][:4] == ["Name", "Email", "User ID", "State"] and len(rows) == shown + 1

    # A 46-person plan: the plan; its panels: plan, template, the pages of its
    # conversations (two: four rounds of them, demo_api/data.py ROUNDS_PLANS).
    other = detail_links(session.get(f"{site}/plans/", timeout=10).text)[2]
    named = sum(c["plan_name"] == data.plans()[2]["name"] for c in data.conversations())
    assert -(-named // 100) == 2
    api.reset_stats()
    assert session.get(f"{site}{other}", timeout=10).status_code == 200
    assert api.calls() == 1
    assert session.get(f"{site}{other}panels/", timeout=10).status_code == 200
    assert api.calls() == 1 + 2 + 2


def test_a_shared_cache_makes_a_repeat_view_free(api):
    with dashboard(dashboard_env(api.url, PE365_CACHE_TTL="60")) as cached_site:
        session = log_in(cached_site)
        url = f"{cached_site}/plans/?status=active&sort=template"
        api.reset_stats()
        session.get(url, timeout=10)
        cold = api.calls()
        session.get(url, timeout=10)
        assert (cold, api.calls()) == (2, 2), "the second view within the TTL costs nothing"


def conversation_pages(plan_name: str) -> int:
    """Pages of 100 the demo API serves for the conversations with this plan name."""
    total = sum(c["plan_name"].casefold() == plan_name.casefold() for c in data.conversations())
    return -(-total // 100)


def test_participation_of_the_big_plan_filters_and_exports_with_its_call_counts(site, api):
    session = log_in(site)
    big = next(p for p in data.plans() if p["name"] == data.COMPANY_WIDE_PLAN_NAME)
    page = f"{site}/plans/{quote(big['api_id'], safe=':')}/"

    api.reset_stats()
    plan_page = session.get(page, timeout=10)
    assert f'href="/plans/{big["api_id"]}/participation/"' in plan_page.text
    assert api.calls() == 1, "the plan page still costs one call"

    api.reset_stats()
    response = session.get(f"{page}participation/", params={"state": "not_started"}, timeout=30)
    assert response.status_code == 200
    totals = re.search(
        r"completed</strong>: ([\d,]+) of 3,000 people · <strong>([\d,]+)</strong> in progress · "
        r"<strong>([\d,]+)</strong> not started",
        response.text,
    )
    completed, in_progress, not_started = (int(n.replace(",", "")) for n in totals.groups())
    assert completed + in_progress + not_started == 3000
    assert 0 < not_started < in_progress < completed
    # The plan (the shared cache is off), then every page of its conversations and,
    # at the same time, every page of the users endpoint (departments and managers).
    assert api.stats()["by_path"] == {
        f"/api/v2/conversation_plans/{big['api_id']}/": 1,
        "/api/v2/conversations/": conversation_pages(big["name"]),
        "/api/v2/users/": -(-data.USER_COUNT // 100),
    }

    export = session.get(f"{page}users.csv", params={"state": "not_started"}, timeout=30)
    rows = csv_rows(export)
    assert rows[0] == USERS_CSV_HEADER
    assert len(rows) == not_started + 1
    assert {row[3] for row in rows[1:]} == {"Not started"}


def test_two_plans_sharing_a_name_each_count_only_their_own_people(site):
    session = log_in(site)
    for plan in (p for p in data.plans() if p["name"] == data.SHARED_PLAN_NAME):
        export = session.get(
            f"{site}/plans/{quote(plan['api_id'], safe=':')}/users.csv", timeout=30
        )
        rows = csv_rows(export)
        assert [row[2] for row in rows[1:]] == [u["api_id"] for u in plan["assigned_users"]]
        started = {
            c["person_api_id"]
            for c in data.conversations()
            if c["plan_api_id"] == plan["api_id"] and c["status"] in ("draft", "final")
        }
        assert {row[2] for row in rows[1:] if row[3] != "Not started"} == started

        # The progress panel counts the plan's own conversations, not its namesake's.
        own = [c for c in data.conversations() if c["plan_api_id"] == plan["api_id"]]
        final = sum(c["status"] == "final" for c in own)
        total = final + sum(c["status"] == "draft" for c in own)
        panels = session.get(f"{site}/plans/{quote(plan['api_id'], safe=':')}/panels/", timeout=30)
        assert f"{final:,} of {total:,} conversation" in panels.text


def test_a_person_is_found_and_their_plans_listed_with_their_call_counts(site, api):
    session = log_in(site)
    active = [plan for plan in data.plans() if plan["status"] == "active"]
    person = next(
        p
        for p in data.people()
        if sum(p["api_id"] in {u["api_id"] for u in plan["assigned_users"]} for plan in active) >= 2
    )
    # The organisation read (the shared cache is off here, so each page makes it): every
    # page of the plans, users and conversations, and each active plan's details.
    dataset = data.dataset()
    read_calls = (
        math.ceil(len(dataset.plans) / 100)
        + math.ceil(len(dataset.people) / 100)
        + math.ceil(len(dataset.conversations) / 100)
        + len(active)
    )

    api.reset_stats()
    found = session.get(f"{site}/people/", params={"name": person["name"][:5]}, timeout=10)
    assert api.calls() == read_calls
    link = html.unescape(re.search(r'href="(/people/\?[^"]*person=[^"]*)"', found.text).group(1))
    assert "person=" in link

    api.reset_stats()
    page = session.get(
        f"{site}/people/", params={"name": person["name"], "person": person["api_id"]}, timeout=10
    )
    assert page.status_code == 200
    plan_ids = {
        plan["api_id"]
        for plan in active
        if person["api_id"] in {u["api_id"] for u in plan["assigned_users"]}
    }
    links = re.findall(r'data-label="Plan"><a href="/plans/([^/"]+)/\?q=', page.text)
    assert {unquote(plan_id) for plan_id in links} == plan_ids
    assert api.calls() == read_calls
