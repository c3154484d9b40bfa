"""Who still has to act, in a real browser: a plan's participation and a person's plans."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from demo_api import data
from tests.browser.helpers import new_context
from tests.helpers import USERS_CSV_HEADER

pytestmark = pytest.mark.browser

COMPANY_WIDE = next(p for p in data.plans() if p["name"] == data.COMPANY_WIDE_PLAN_NAME)


def participation(page: Page):
    return page.locator("#participation")


def test_it_opens_the_big_plan_filters_to_not_started_and_exports_them(page):
    page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")

    # Participation loads into the plan page after it is shown.
    section = participation(page)
    expect(section.locator("#participation-totals")).to_contain_text(
        re.compile(
            r"\d+% completed: [\d,]+ of [\d,]+ people · [\d,]+ in progress · [\d,]+ not started"
        )
    )
    expect(section.get_by_role("img", name=re.compile(r"\d+% completed"))).to_be_visible()
    expect(page.locator("[aria-busy]")).to_have_count(0)
    not_started = int(
        re.search(r"([\d,]+) not started", section.locator("#participation-totals").inner_text())
        .group(1)
        .replace(",", "")
    )

    tabs = section.get_by_role("navigation", name="Filter people by state")
    tabs.get_by_role("link", name=re.compile(r"^Not started")).click()
    # The plan page again, its URL naming the view; the people table loads into it.
    expect(page).to_have_url(re.compile(r"/plans/[^/]+/\?state=not_started$"))
    expect(page.get_by_role("heading", name=re.compile(r"^Not started"), level=3)).to_be_visible()
    states = page.locator(".plan-people-table tbody td:nth-child(5)")
    expect(states.first).to_have_text("Not started")
    expect(page.get_by_text(f"of {not_started:,}")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export these people (CSV)").click()
    download = download_info.value
    assert re.fullmatch(
        r"company-wide-engagement-survey-2026-users-\d{8}\.csv", download.suggested_filename
    )
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == USERS_CSV_HEADER
    assert len(rows) == not_started + 1
    assert {row[3] for row in rows[1:]} == {"Not started"}
    assigned = {u["api_id"] for u in COMPANY_WIDE["assigned_users"]}
    assert {row[2] for row in rows[1:]} <= assigned


def test_the_people_section_pages_and_filters_in_place(page):
    page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")
    section = participation(page)
    showing = section.locator("#participation-showing")
    expect(showing).to_contain_text("Showing 1–25 of 3,000")
    page.evaluate("() => { window.notReloaded = true; }")

    pages = section.get_by_role("navigation", name="Pages of people")
    pages.get_by_role("link", name="Next").click()

    # The section alone is drawn again: the page stays, its URL names the view.
    expect(page).to_have_url(re.compile(r"/plans/[^/]+/\?page=2$"))
    expect(showing).to_contain_text("Showing 26–50 of 3,000")
    expect(page.locator("#people-heading")).to_be_focused()
    assert page.evaluate("() => window.notReloaded") is True

    section.get_by_role("navigation", name="Filter people by state").get_by_role(
        "link", name=re.compile(r"^Not started")
    ).click()
    expect(page).to_have_url(re.compile(r"/plans/[^/]+/\?state=not_started$"))
    expect(page.get_by_role("heading", name=re.compile(r"^Not started"), level=3)).to_be_visible()
    assert page.evaluate("() => window.notReloaded") is True

    page.go_back()
    expect(page).to_have_url(re.compile(r"/plans/[^/]+/\?page=2$"))
    expect(showing).to_contain_text("Showing 26–50 of 3,000")

    # A person's page is another page: the browser opens it.
    section.locator(".plan-people-table tbody td a").first.click()
    expect(page).to_have_url(re.compile(r"/people/\?name="))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.evaluate("() => window.notReloaded") is None


def test_it_finds_a_person_and_opens_one_of_their_plans(page):
    page.goto("/plans/")
    page.get_by_role("banner").get_by_role("link", name="People", exact=True).click()
    expect(page).to_have_url(re.compile(r"/people/$"))

    page.get_by_label("Find a person by name or e-mail").fill("Jürgen Mü")
    page.get_by_role("button", name="Find").click()
    found = page.get_by_role("heading", name=re.compile(r"match(es)? “Jürgen Mü”"))
    expect(found).to_be_visible()

    page.locator("table a", has_text=re.compile(r"^Jürgen Müller$")).first.click()
    expect(page.get_by_role("heading", name="Jürgen Müller", level=2)).to_be_visible()
    plans = page.locator(
        "#person-plans-heading ~ * table tbody a, #person-plans-heading ~ table tbody a"
    )
    expect(plans.first).to_be_visible()
    plan_name = plans.first.inner_text()

    plans.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(plan_name)
    expect(page).to_have_url(re.compile(r"\?q=J%C3%BCrgen\+M%C3%BCller$"))
    # The plan's participation, loaded into the page, is narrowed to them.
    names = participation(page).locator(".plan-people-table tbody td:first-child")
    expect(names.filter(has_text=re.compile(r"^Jürgen Müller$")).first).to_be_visible()


def test_without_javascript_participation_is_one_link_away(browser, site, signed_in):
    context = new_context(browser, site, storage_state=signed_in, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")
        participation(page).get_by_role("link", name=re.compile("See who has completed")).click()
        expect(page).to_have_url(re.compile(r"/participation/$"))
        expect(page.locator("#participation-totals")).to_contain_text("not started")
    finally:
        context.close()
