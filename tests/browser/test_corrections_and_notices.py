"""Bookmarks that outlive the list, frequencies in interval order, one label per value,
Refresh that does not wait for the panels, what the login page says, export names, and
the controls' looks (select widths, the progress bar's track in dark mode)."""

import re
import time

import pytest
from playwright.sync_api import Route, expect

from demo_api import data
from tests.browser.helpers import log_in, new_context

pytestmark = pytest.mark.browser

COMPANY_WIDE = next(p for p in data.plans() if p["name"] == data.COMPANY_WIDE_PLAN_NAME)
ONE_OFF = next(p for p in data.plans() if p["frequency"] is None and p["assigned_users"])


def summary(page):
    return page.locator("#result-summary")


def test_a_page_past_the_end_lands_on_the_last_page_with_a_notice(page):
    page.goto("/plans/?per_page=25&page=999")
    expect(page).to_have_url(re.compile(r"/plans/\?per_page=25&page=6$"))
    expect(page.get_by_role("status")).to_contain_text("There is no page 999 of these results")
    expect(summary(page)).to_have_text("Showing 126–150 of 150 plans")


def test_a_people_page_past_the_end_lands_on_the_last_one(page):
    page.goto(f"/plans/{COMPANY_WIDE['api_id']}/participation/?page=999")
    expect(page).to_have_url(re.compile(r"participation/\?page=120$"))
    expect(page.get_by_role("status")).to_contain_text("this is page 120, the last one")


def test_an_unknown_page_size_lands_on_the_nearest_with_a_notice(page):
    page.goto("/plans/?per_page=7")
    expect(page).to_have_url(re.compile(r"/plans/\?per_page=10$"))
    expect(page.get_by_role("status")).to_contain_text("not “7”: here are 10 per page")
    expect(page.get_by_label("Rows per page")).to_have_value("10")
    expect(summary(page)).to_have_text("Showing 1–10 of 150 plans")


def test_frequency_sorts_by_interval_with_one_offs_last(page):
    page.goto("/plans/?sort=frequency&per_page=100")
    cells = page.locator(".plans-table tbody td:nth-child(4)").all_inner_texts()
    order = ["Weekly", "Every 2 weeks", "Every 4 weeks", "Monthly", "Quarterly", "Annually"]
    seen = list(dict.fromkeys(cells))
    assert seen == [f for f in order if f in seen][: len(seen)], seen
    page.goto("/plans/?sort=frequency&per_page=100&page=2")
    assert page.locator(".plans-table tbody td:nth-child(4)").all_inner_texts()[-1] == "One-off"


def test_a_value_reads_the_same_on_every_page(page):
    page.goto(f"/plans/?name={ONE_OFF['name']}")
    row = page.locator(".plans-table tbody tr").first
    expect(row.locator("td").nth(3)).to_have_text("One-off")
    expect(row.locator("td").nth(2)).to_have_text(ONE_OFF["status"].capitalize())
    row.get_by_role("link").click()
    facts = page.locator(".plan-facts")
    expect(facts).to_contain_text("One-off")
    expect(facts).not_to_contain_text("not recurring")
    expect(page.locator("h1 + .badge")).to_have_text(ONE_OFF["status"].capitalize())


def test_refresh_shows_the_page_at_once_and_the_panels_follow_fresh(page):
    # Each panel request, with the page that asked for it (htmx's HX-Current-URL).
    panel_requests: list[tuple[str, str]] = []

    def slow_panels(route: Route) -> None:
        request = route.request
        panel_requests.append((request.headers.get("hx-current-url", ""), request.url))
        time.sleep(1.5)
        route.continue_()

    def refreshed(panel: str):
        return lambda response: response.url.endswith(f"/panels/{panel}/?refresh=1")

    page.route("**/panels/**", slow_panels)
    page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()

    with page.expect_response(refreshed("progress")), page.expect_response(refreshed("template")):
        page.get_by_role("link", name="Refresh").click()
        expect(page).to_have_url(re.compile(r"\?refresh=1$"))
        # The page is there while its panels are still on their way.
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.get_by_text("Counting the conversations…")).to_be_visible()
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
    # The refreshed page asked for exactly its two panels, both fresh.
    asked = [url for by, url in panel_requests if by.endswith("?refresh=1")]
    assert sorted(url.rsplit("/panels/", 1)[1] for url in asked) == [
        "progress/?refresh=1",
        "template/?refresh=1",
    ]


def test_opening_the_site_asks_for_a_login_without_mentioning_a_page(fresh_page):
    fresh_page.goto("/")
    expect(fresh_page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(fresh_page.get_by_text("Log in to see that page.")).to_have_count(0)


def test_logging_out_says_so(fresh_page):
    fresh_page.goto("/accounts/login/")
    log_in(fresh_page)
    fresh_page.get_by_role("button", name="Log out").click()
    expect(fresh_page.get_by_role("status")).to_have_text("You have logged out.")
    fresh_page.reload()
    expect(fresh_page.get_by_text("You have logged out.")).to_have_count(0)


def test_there_is_nothing_to_export_when_nothing_matches(page):
    page.goto("/plans/?name=no+plan+is+called+this")
    expect(summary(page)).to_have_text("No plans")
    expect(page.get_by_role("link", name="Export CSV")).to_have_count(0)


def test_the_export_is_named_after_its_filters(browser, site, signed_in):
    context = new_context(browser, site, storage_state=signed_in, accept_downloads=True)
    try:
        page = context.new_page()
        page.goto("/plans/?status=active&template_name=evaluation")
        with page.expect_download() as download:
            page.get_by_role("link", name="Export CSV").click()
        name = download.value.suggested_filename
    finally:
        context.close()
    assert re.fullmatch(r"plans-evaluation-annuelle-active-\d{8}\.csv", name), name


def test_the_unsorted_list_says_whose_order_it_is(page):
    page.goto("/plans/")
    note = page.locator("#list-order")
    expect(note).to_contain_text("in Perform & Engage 365’s own order")
    note.get_by_role("link", name="Sort them by name").click()
    expect(page).to_have_url(re.compile(r"/plans/\?sort=name$"))
    expect(page.locator("#list-order")).to_have_count(0)


def test_a_list_error_names_the_filter_and_links_to_a_list_that_works(page):
    response = page.goto("/plans/?name=!fault:500&status=draft")
    assert response.status == 503
    expect(page.locator("main")).to_contain_text("filtered by plan name “!fault:500”")
    page.get_by_role("link", name="All plans, without filters").click()
    expect(summary(page)).to_have_text("Showing 1–25 of 150 plans")
    details = page.get_by_text("Details for your administrator")
    expect(page.get_by_text(re.compile("HTTP"))).to_have_count(0)
    page.go_back()
    page.get_by_text("Details for your administrator").click()
    expect(page.get_by_text(re.compile("HTTP 500"))).to_be_visible()
    assert details is not None


def test_every_select_shows_its_whole_choice_at_1280_px(page):
    page.goto("/plans/")
    for label in ("Status", "Frequency", "Rows per page"):
        select = page.get_by_label(label, exact=True)
        fits = select.evaluate(
            """el => {
                const style = getComputedStyle(el);
                const canvas = document.createElement("canvas").getContext("2d");
                canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
                const text = canvas.measureText(el.options[el.selectedIndex].text).width;
                return text + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight)
                    <= el.clientWidth;
            }"""
        )
        assert fits, f"{label}: its choice is cut off"


def test_the_completion_bars_track_is_dark_in_dark_mode(browser, site, signed_in):
    context = new_context(browser, site, storage_state=signed_in, color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")
        # The people not started: the empty part of the plan's completion bar.
        track = page.locator("svg.participation-bar rect.participation-bar-not_started")
        expect(track).to_be_visible()
        fill = track.evaluate("el => getComputedStyle(el).fill")
        assert fill.startswith("rgb("), f"the empty track is {fill}, not an opaque colour"
        red, green, blue = (int(n) for n in re.findall(r"\d+", fill))
        assert max(red, green, blue) < 100, f"the empty track is {fill}"
    finally:
        context.close()
