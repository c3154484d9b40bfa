"""On a phone (375 × 812): plans as cards, filters folded behind a count, the plan page's
header and progress in the first screen, pagers on one line, nothing scrolling sideways."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from demo_api import data
from tests.browser.helpers import new_context, watched_page

pytestmark = pytest.mark.browser

COMPANY_WIDE = next(p for p in data.plans() if p["name"] == data.COMPANY_WIDE_PLAN_NAME)
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def phone(browser, site, signed_in, request) -> Iterator[Page]:
    context = new_context(browser, site, storage_state=signed_in, viewport=PHONE)
    yield from watched_page(context, request)


def page_width(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


@pytest.mark.parametrize(
    "path",
    [
        "/plans/",
        "/plans/?status=draft&sort=name",
        "/plans/?name=!fault:500",
        f"/plans/{COMPANY_WIDE['api_id']}/",
        f"/plans/{COMPANY_WIDE['api_id']}/?users_page=30",
        f"/plans/{COMPANY_WIDE['api_id']}/panels/",
    ],
)
def test_nothing_scrolls_sideways(phone, path):
    phone.goto(path)
    expect(phone.locator("[aria-busy]")).to_have_count(0)
    assert page_width(phone) <= PHONE["width"]


def test_the_list_shows_each_plan_as_a_card(phone):
    phone.goto("/plans/")
    # The table's header row is left to screen readers; each row is a card, its values
    # beside their headers.
    header = phone.locator(".plans-table thead").bounding_box()
    assert header is not None and header["height"] <= 1
    cards = phone.locator(".plans-table tbody tr")
    expect(cards).to_have_count(25)
    first = cards.first
    box = first.bounding_box()
    assert box is not None and box["width"] <= 375, "a card fits the screen"
    expect(first.locator('td[data-label="Template"]')).to_be_visible()
    expect(first.get_by_role("link", name=data.COMPANY_WIDE_PLAN_NAME)).to_be_visible()
    expect(first).to_contain_text(COMPANY_WIDE["template_name"])
    expect(first).to_contain_text("Active")
    expect(first).to_contain_text(COMPANY_WIDE["frequency"] or "One-off")
    # The pager under the cards: previous, current and next, on one line.
    pager = phone.get_by_role("navigation", name="Pages of plans").last
    expect(pager.get_by_role("link", name="Next")).to_be_visible()
    links = pager.locator(".page-link:visible")
    tops = links.evaluate_all("links => links.map(link => link.getBoundingClientRect().top)")
    assert len({round(top) for top in tops}) == 1, "the pager fits on one line"


def test_the_filters_fold_behind_a_toggle_that_counts_them(phone):
    phone.goto("/plans/?status=active&frequency=Weekly")
    toggle = phone.get_by_text("Filters (2)")
    expect(toggle).to_be_visible()
    expect(phone.get_by_label("Plan name")).to_be_hidden()
    # The first result is in the first screen, not below the form.
    expect(phone.locator(".plans-table tbody a").first).to_be_in_viewport()

    toggle.click()
    expect(phone.get_by_label("Plan name")).to_be_visible()
    phone.get_by_label("Status", exact=True).select_option("")
    expect(phone).to_have_url(re.compile(r"/plans/\?frequency=Weekly$"))
    expect(phone.get_by_text("Filters (1)")).to_be_visible()


def test_the_plan_page_keeps_its_header_and_progress_in_the_first_screen(phone):
    phone.goto(f"/plans/{COMPANY_WIDE['api_id']}/")
    expect(phone.get_by_role("heading", level=1)).to_be_in_viewport()
    progress = phone.get_by_role("heading", name="Progress")
    expect(progress).to_be_in_viewport()
    expect(phone.get_by_text(re.compile(r"of [\d,]+ conversations completed"))).to_be_in_viewport()


def test_the_users_pager_stays_on_one_line_and_counts_sit_beside_their_headings(phone):
    phone.goto(f"/plans/{COMPANY_WIDE['api_id']}/?users_page=2")
    pager = phone.get_by_role("navigation", name="Pages of users")
    links = pager.locator(".page-link:visible")
    expect(links).to_have_count(3)  # previous, 2, next
    # Measured in one go: participation and the panels load into the page meanwhile
    # and move everything below them.
    tops = links.evaluate_all("links => links.map(link => link.getBoundingClientRect().top)")
    assert len({round(top) for top in tops}) == 1
    for heading in ("Assigned users", "Assigned departments"):
        title = phone.get_by_role("heading", name=heading)
        on_one_line = title.evaluate(
            """title => {
                const box = title.getBoundingClientRect();
                const badge = title.querySelector(".badge").getBoundingClientRect();
                return badge.top < box.top + box.height / 2;
            }"""
        )
        assert on_one_line, f"{heading}: one line"
