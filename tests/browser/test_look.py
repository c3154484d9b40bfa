"""The look: readable at 1280 px, a header row that stays in view,
dark mode from the system setting, titles that name the view, a favicon, and screenshots.
"""

import os
import re

import pytest
from playwright.sync_api import expect

from demo_api import data
from devtools.servers import ROOT
from tests.browser.helpers import RESULTS, new_context

pytestmark = pytest.mark.browser

COMPANY_WIDE = next(p for p in data.plans() if p["name"] == data.COMPANY_WIDE_PLAN_NAME)
# `UPDATE_SCREENSHOTS=1 make test` refreshes the README's pictures; otherwise they are
# taken all the same, into test-results/, so a test run leaves the working tree clean.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else RESULTS / "screenshots"
)


def test_the_table_header_stays_in_view_while_scrolling(page):
    page.goto("/plans/?per_page=50")
    header = page.locator(".plans-table thead th").first
    assert header.evaluate("el => el.getBoundingClientRect().top") > 100

    page.mouse.wheel(0, 1500)
    page.wait_for_function("() => window.scrollY >= 1000")

    assert header.evaluate("el => el.getBoundingClientRect().top") == 0
    expect(header).to_be_in_viewport()


def test_it_follows_the_system_colour_scheme(browser, site, signed_in):
    context = new_context(browser, site, storage_state=signed_in, color_scheme="dark")
    try:
        page = context.new_page()
        page.goto("/plans/")
        html = page.locator("html")
        expect(html).to_have_attribute("data-bs-theme", "dark")
        body_colour = "() => getComputedStyle(document.body).backgroundColor"
        assert page.evaluate(body_colour) == "rgb(33, 37, 41)"

        page.emulate_media(color_scheme="light")  # the system switches while the page is open
        expect(html).to_have_attribute("data-bs-theme", "light")
        assert page.evaluate(body_colour) == "rgb(255, 255, 255)"
    finally:
        context.close()


def test_titles_name_the_view(page):
    page.goto("/plans/?template_name=Engagement+Survey")
    expect(page).to_have_title("Plans · Engagement Survey · Perform & Engage 365")
    page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")
    expect(page).to_have_title(f"{data.COMPANY_WIDE_PLAN_NAME} · Perform & Engage 365")


def test_statuses_are_badges_and_the_favicon_is_served(page):
    page.goto("/plans/")
    badges = page.locator(".plans-table tbody td:nth-child(3) .badge")
    expect(badges).to_have_count(25)
    assert set(badges.all_inner_texts()) == {"Active", "Draft"}

    icon = page.locator("link[rel=icon]").get_attribute("href")
    response = page.request.get(icon)
    assert response.ok and response.headers["content-type"] == "image/svg+xml"


def freeze_clock(page) -> None:
    """Pin the footer's "Data as of" time so the screenshots only change with the design."""
    page.locator("footer time").evaluate_all(
        "els => els.forEach(el => { el.textContent = '09:30:00 UTC'; })"
    )


SCREENS = [
    ("overview", "/"),
    ("plan-list", "/plans/"),
    ("plan-list-filtered", "/plans/?template_name=%C3%89valuation+annuelle&per_page=10"),
    ("plan-detail", f"/plans/{COMPANY_WIDE['api_id']}/"),
    ("error-upstream-unavailable", "/plans/?name=!fault:500"),
]
PHONE_SCREENS = [
    ("overview-phone", "/"),
    ("plan-list-phone", "/plans/?status=active"),
    ("plan-detail-phone", f"/plans/{COMPANY_WIDE['api_id']}/"),
]


def take_screenshot(page, name: str, path: str) -> None:
    page.goto(path)
    expect(page.locator("[aria-busy]")).to_have_count(0)  # the plan page's panels loaded
    freeze_clock(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"

    page.screenshot(path=target, animations="disabled", caret="hide")

    assert target.stat().st_size > 10_000
    assert re.search(r"\S", page.locator("main").inner_text())


@pytest.mark.parametrize(("name", "path"), SCREENS)
def test_it_takes_screenshots_at_1280_by_800(page, name, path):
    take_screenshot(page, name, path)
    assert page.viewport_size == {"width": 1280, "height": 800}


@pytest.mark.parametrize(("name", "path"), PHONE_SCREENS)
def test_it_takes_screenshots_at_375_by_812(browser, site, signed_in, name, path):
    context = new_context(
        browser, site, storage_state=signed_in, viewport={"width": 375, "height": 812}
    )
    try:
        take_screenshot(context.new_page(), name, path)
    finally:
        context.close()


def test_at_1280_the_plan_pages_people_table_uses_the_full_width(page):
    page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")
    table = page.locator("table.plan-people-table")
    expect(table).to_be_visible()
    widths = page.evaluate(
        """() => [document.querySelector('table.plan-people-table').getBoundingClientRect().width,
                  document.querySelector('#participation').getBoundingClientRect().width,
                  document.querySelector('main').getBoundingClientRect().width]"""
    )
    table_width, section_width, main_width = widths
    assert table_width == section_width and section_width > 0.9 * main_width
    # No e-mail wraps: every address on one line at this width.
    lines = page.evaluate(
        """() => [...document.querySelectorAll('table.plan-people-table a.email')]
            .map(a => new Set([...a.getClientRects()].map(box => Math.round(box.top))).size)"""
    )
    assert set(lines) == {1}


def test_at_1280_completion_by_team_fits_its_column(page):
    page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")
    expect(page.locator("table.team-table")).to_have_count(2)
    # Each team table within its own column: none runs under the other or off the page.
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('#completion-by-team > section')].map(s => {
            const table = s.querySelector('table').getBoundingClientRect();
            const column = s.getBoundingClientRect();
            return [table.left, table.right, column.left, column.right];
        })"""
    )
    for table_left, table_right, column_left, column_right in boxes:
        assert column_left - 1 <= table_left and table_right <= column_right + 1
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280


TABLE_PAGES = [
    f"/plans/{COMPANY_WIDE['api_id']}/",
    "/plans/",
    "/outstanding/",
    "/completion/",
    "/people/?name=Amara",
    f"/plans/{COMPANY_WIDE['api_id']}/rounds/",
]


@pytest.mark.parametrize("width", [768, 1024])
def test_on_tablets_a_wide_table_scrolls_in_its_box_not_the_page(browser, site, signed_in, width):
    context = new_context(
        browser, site, storage_state=signed_in, viewport={"width": width, "height": 900}
    )
    try:
        page = context.new_page()
        for path in TABLE_PAGES:
            page.goto(path)
            expect(page.locator("table").first).to_be_visible()
            expect(page.locator("[aria-busy]")).to_have_count(0)
            scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
            assert scroll_width <= width, f"{path} is {scroll_width} px wide"
    finally:
        context.close()
