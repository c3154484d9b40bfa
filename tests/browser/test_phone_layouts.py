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
        f"/plans/{COMPANY_WIDE['api_id']}/?state=not_started&page=2&per_page=100",
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


def test_the_plan_page_puts_its_header_totals_and_people_first(phone):
    phone.goto(f"/plans/{COMPANY_WIDE['api_id']}/")
    expect(phone.get_by_role("heading", level=1)).to_be_in_viewport()
    totals = phone.locator("#participation-totals")
    expect(totals).to_contain_text("59% completed: 1,781 of 3,000 people")
    expect(totals).to_be_in_viewport()
    # The template and share panels come after the people.
    order = phone.evaluate(
        """() => ['#participation', '#template-panel', '#share-heading'].map(
            selector => document.querySelector(selector).getBoundingClientRect().top)"""
    )
    assert order == sorted(order)


# Every element of the page within the screen's width, measured by its own scroll width
# (the cards' column headings, kept for screen readers but clipped to nothing, aside; a
# field's text scrolls inside the field, so a field counts by its box alone).
WIDER_THAN_THE_SCREEN = """() => {
    const width = document.documentElement.clientWidth;
    const clipped = element => {
        for (let e = element; e; e = e.parentElement) {
            if (getComputedStyle(e).clip !== 'auto') return true;
        }
        return false;
    };
    return [...document.querySelectorAll('main *')]
        .filter(element => (element.scrollWidth > width && !element.matches('input'))
            || element.getBoundingClientRect().right > width + 0.5)
        .filter(element => !clipped(element))
        .map(element => `${element.tagName}.${element.className} ${element.scrollWidth}px`);
}"""

# Words of the tables' cells split over two lines (broken mid-letter): a word's range
# has boxes on more than one line. E-mails wrap only at their <wbr> (after @ and dots).
BROKEN_WORDS = """() => {
    const broken = [];
    for (const cell of document.querySelectorAll('main td')) {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (const match of node.data.matchAll(/\\S+/g)) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const lines = new Set([...range.getClientRects()].map(box => Math.round(box.top)));
                if (lines.size > 1) broken.push(match[0]);
            }
        }
    }
    return broken;
}"""


@pytest.mark.parametrize(
    "query",
    ["", "?state=to_act&sort=-email&per_page=100", "?manager=none", "?by_manager_sort=-name"],
)
def test_the_plan_pages_tables_are_cards_that_fit_with_no_word_broken(phone, query):
    phone.goto(f"/plans/{COMPANY_WIDE['api_id']}/{query}")
    expect(phone.locator("#completion-by-team")).to_be_visible()
    expect(phone.locator("[aria-busy]")).to_have_count(0)
    for table in ("plan-people-table", "team-table"):
        display = phone.locator(f"table.{table} tr").first.evaluate(
            "row => getComputedStyle(row).display"
        )
        assert display == "block", f"{table}: a card per row"
    assert phone.evaluate(WIDER_THAN_THE_SCREEN) == []
    assert phone.evaluate(BROKEN_WORDS) == []


@pytest.mark.parametrize(
    "path", ["/outstanding/", "/outstanding/data-issues/", "/completion/", "/people/?name=muller"]
)
def test_the_organisation_pages_tables_break_no_word(phone, path):
    phone.goto(path)
    expect(phone.locator("[aria-busy]")).to_have_count(0)
    expect(phone.locator("main td").first).to_be_visible()
    assert phone.evaluate(BROKEN_WORDS) == []
