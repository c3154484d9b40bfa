"""The overview in a real browser: its charts answer "how many plans are active, with which
templates, and how far along are they" on the first screen, each bar leads to the matching
list, and nothing scrolls sideways on a phone."""

import re

import pytest
from playwright.sync_api import Page, expect

from demo_api import data
from tests.browser.helpers import log_in, new_context

pytestmark = pytest.mark.browser

ACTIVE_PLANS = sum(plan["status"] == "active" for plan in data.plans())
DEMO_TEMPLATES = sorted({plan["template_name"] for plan in data.plans()})
CHARTS = ("Plans by status", "Plans by template", "Conversations by template", "Plans by frequency")


def chart(page: Page, title: str):
    return page.get_by_role("region", name=title)


def test_it_draws_every_chart_with_a_bar_per_value(page):
    page.goto("/")

    for title in CHARTS:
        expect(chart(page, title).locator("svg.chart-bar").first).to_be_visible()
    expect(chart(page, "Plans by template").locator("svg.chart-bar")).to_have_count(
        len(DEMO_TEMPLATES)
    )
    expect(page.locator("#overview-summary")).to_contain_text(f"{ACTIVE_PLANS} active")


def test_the_three_answers_fit_the_first_screen(page):
    page.goto("/")

    for title in CHARTS[:3]:
        last_bar = chart(page, title).locator("svg.chart-bar").last
        box = last_bar.bounding_box()
        assert box and box["y"] + box["height"] <= 800, f"{title} runs below the first screen"


def test_the_active_bar_leads_to_the_active_plans(page):
    page.goto("/")

    chart(page, "Plans by status").get_by_role("link", name=re.compile("^Active")).click()

    expect(page).to_have_url(re.compile(r"/plans/\?status=active$"))
    expect(page.locator("#result-summary")).to_contain_text(f"of {ACTIVE_PLANS} plans")
    expect(page.get_by_label("Status", exact=True)).to_have_value("active")


def test_a_template_bar_leads_to_the_plans_of_that_template(page):
    page.goto("/")
    count = sum(plan["template_name"] == "Weekly Check-in" for plan in data.plans())
    templates = chart(page, "Plans by template")

    templates.get_by_role("link", name=re.compile("^Weekly Check-in")).click()

    expect(page).to_have_url(re.compile(r"/plans/\?template_name=Weekly\+Check-in$"))
    expect(page.get_by_label("Template", exact=True)).to_have_value("Weekly Check-in")
    expect(page.locator("#result-summary")).to_contain_text(f"of {count} plans")


def test_a_conversation_bar_leads_to_the_plans_of_its_template(page):
    page.goto("/")
    conversations = chart(page, "Conversations by template")

    conversations.get_by_role("link", name=re.compile("^Manager 1:1")).click()

    expect(page).to_have_url(re.compile(r"/plans/\?template_name=Manager\+1%3A1$"))
    expect(page.get_by_label("Template", exact=True)).to_have_value("Manager 1:1")


def test_a_frequency_bar_leads_to_the_plans_of_that_frequency(page):
    page.goto("/")

    chart(page, "Plans by frequency").get_by_role("link", name=re.compile("^One-off")).click()

    expect(page).to_have_url(re.compile(r"/plans/\?frequency=one-off$"))
    expect(page.get_by_label("Frequency", exact=True)).to_have_value("one-off")


def test_each_chart_opens_as_a_table(page):
    page.goto("/")
    status = chart(page, "Plans by status")
    table = status.get_by_role("table", name="Plans by status")
    expect(table).to_be_hidden()

    status.get_by_text("Show as table").click()

    expect(table).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("Active"))).to_contain_text(str(ACTIVE_PLANS))


def test_nothing_scrolls_sideways_on_a_phone(browser, site, signed_in):
    context = new_context(
        browser, site, storage_state=signed_in, viewport={"width": 375, "height": 812}
    )
    try:
        page = context.new_page()
        page.goto("/")
        expect(page.get_by_role("button", name="Log out")).to_be_in_viewport()
        expect(page.get_by_role("link", name="Plans", exact=True)).to_be_in_viewport()
        for title in CHARTS:
            chart(page, title).get_by_text("Show as table").click()  # tables open too
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, "the overview never scrolls sideways"
    finally:
        context.close()


def test_logging_in_from_the_home_page_lands_on_the_overview(fresh_page):
    page = fresh_page
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))

    log_in(page)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
