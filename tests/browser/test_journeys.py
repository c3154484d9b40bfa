"""What an HR admin does all day, in a real browser against the real server and demo API."""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from demo_api import data
from tests.browser.helpers import log_in, new_context

pytestmark = pytest.mark.browser

COMPANY_WIDE = next(p for p in data.plans() if p["name"] == data.COMPANY_WIDE_PLAN_NAME)


def summary(page: Page):
    return page.locator("#result-summary")


def column(page: Page, number: int):
    """The cells of one column of the plans table (1 = Plan, 2 = Template, 3 = Status)."""
    return page.locator(f".plans-table tbody td:nth-child({number})")


def pager(page: Page):
    return page.get_by_role("navigation", name="Pages of plans")


def test_it_asks_for_a_login_then_shows_the_plans(fresh_page):
    page = fresh_page
    page.goto("/plans/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/plans/$"))
    expect(page).to_have_title("Log in · Perform & Engage 365")

    log_in(page)

    expect(page).to_have_url(re.compile(r"/plans/$"))
    expect(page).to_have_title("Plans · Perform & Engage 365")
    expect(summary(page)).to_have_text("Showing 1–25 of 150 plans")
    expect(page.locator(".plans-table tbody tr")).to_have_count(25)
    expect(page.get_by_text("Signed in as e2e-admin")).to_be_visible()


def test_it_refuses_a_wrong_password_with_a_message(fresh_page):
    page = fresh_page
    page.goto("/accounts/login/")
    log_in(page, password="not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("enter a correct username and password")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def test_it_filters_by_name(page):
    page.goto("/plans/")
    page.get_by_label("Plan name", exact=True).fill("zürich")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(r"[?&]name=z%C3%BCrich(&|$)"))
    expect(page).to_have_title("Plans · zürich · Perform & Engage 365")
    expect(summary(page)).to_have_text("Showing 1–7 of 7 plans")  # two share one name
    names = column(page, 1).all_inner_texts()
    assert len(names) == 7 and all("zürich" in name.lower() for name in names)
    expect(page.get_by_label("Plan name", exact=True)).to_have_value("zürich")


def test_it_filters_by_template(page):
    page.goto("/plans/")
    page.get_by_label("Template", exact=True).fill("Évaluation annuelle")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_title("Plans · Évaluation annuelle · Perform & Engage 365")
    expect(summary(page)).to_have_text("Showing 1–18 of 18 plans")
    assert set(column(page, 2).all_inner_texts()) == {"Évaluation annuelle"}


def test_it_says_so_when_nothing_matches_and_clears_the_filters(page):
    page.goto("/plans/?name=no+plan+is+called+this")
    expect(summary(page)).to_have_text("No plans")
    expect(page.get_by_text("No plans match these filters.")).to_be_visible()

    page.get_by_role("link", name="Clear").click()
    expect(page).to_have_url(re.compile(r"/plans/$"))
    expect(summary(page)).to_have_text("Showing 1–25 of 150 plans")


def test_it_pages_forward_and_back(page):
    page.goto("/plans/")
    first_page_names = column(page, 1).all_inner_texts()

    pager(page).get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"[?&]page=2"))
    expect(summary(page)).to_have_text("Showing 26–50 of 150 plans")
    expect(pager(page).locator("[aria-current=page]")).to_have_text("2")
    assert not set(column(page, 1).all_inner_texts()) & set(first_page_names)

    pager(page).get_by_role("link", name="6", exact=True).click()
    expect(summary(page)).to_have_text("Showing 126–150 of 150 plans")
    expect(pager(page).get_by_role("link", name="Next")).to_have_count(0)

    pager(page).get_by_role("link", name="Previous").click()
    expect(summary(page)).to_have_text("Showing 101–125 of 150 plans")

    page.go_back()
    page.go_back()
    expect(summary(page)).to_have_text("Showing 26–50 of 150 plans")
    page.go_back()
    expect(summary(page)).to_have_text("Showing 1–25 of 150 plans")
    assert column(page, 1).all_inner_texts() == first_page_names


def test_it_changes_the_page_size_and_keeps_it_while_paging(page):
    page.goto("/plans/?template_name=Manager")
    page.get_by_label("Rows per page", exact=True).select_option("10")
    page.get_by_role("button", name="Filter").click()

    expect(summary(page)).to_have_text("Showing 1–10 of 26 plans")
    expect(page.locator(".plans-table tbody tr")).to_have_count(10)

    pager(page).get_by_role("link", name="Next").click()
    expect(summary(page)).to_have_text("Showing 11–20 of 26 plans")
    expect(page.get_by_label("Rows per page", exact=True)).to_have_value("10")
    # The one template whose name contains it, chosen.
    expect(page.get_by_label("Template", exact=True)).to_have_value("Manager 1:1")

    page.get_by_label("Rows per page", exact=True).select_option("100")
    page.get_by_role("button", name="Filter").click()
    expect(summary(page)).to_have_text("Showing 1–26 of 26 plans")
    expect(pager(page)).to_have_count(0)


def test_it_opens_a_plan_from_the_list(page):
    page.goto("/plans/")
    page.get_by_role("link", name=data.COMPANY_WIDE_PLAN_NAME).click()

    expect(page).to_have_title(f"{data.COMPANY_WIDE_PLAN_NAME} · Perform & Engage 365")
    expect(page.get_by_role("heading", level=1)).to_have_text(data.COMPANY_WIDE_PLAN_NAME)
    expect(page.locator("h1 + .badge")).to_have_text("Active")
    expect(page.locator(".plan-facts")).to_contain_text("3,000 people")
    expect(page.get_by_role("navigation", name="Pages of people")).to_be_visible()

    page.get_by_role("link", name="← All plans").click()
    expect(page).to_have_url(re.compile(r"/plans/$"))


def side_panels(page: Page):
    return page.get_by_role("complementary", name="About this plan")


def test_a_plans_page_loads_its_template_and_progress_after_it_is_shown(page):
    page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")

    panels = side_panels(page)
    expect(panels.get_by_role("heading", name="Conversations")).to_be_visible()
    expect(panels).to_contain_text(re.compile(r"[\d,]+ of [\d,]+ conversations completed"))
    expect(panels.get_by_role("heading", name="Template", exact=True)).to_be_visible()
    expect(panels).to_contain_text(COMPANY_WIDE["template_name"])
    expect(panels.get_by_role("heading", name="Template and progress")).to_have_count(0)
    expect(page.locator("[aria-busy]")).to_have_count(0)
    expect(page).to_have_url(re.compile(re.escape(f"/plans/{COMPANY_WIDE['api_id']}/") + "$"))


def test_without_javascript_the_panels_are_one_link_away(browser, site, signed_in):
    context = new_context(browser, site, storage_state=signed_in, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")
        side_panels(page).get_by_role("link", name=re.compile("Show the template")).click()

        expect(page).to_have_url(re.compile(r"/panels/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Template and progress")
        expect(page.get_by_text(re.compile(r"of [\d,]+ conversations completed"))).to_be_visible()
        page.get_by_role("link", name=f"← {data.COMPANY_WIDE_PLAN_NAME}").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(data.COMPANY_WIDE_PLAN_NAME)
    finally:
        context.close()


def test_a_panel_that_fails_shows_its_error_in_its_place_and_the_other_panel_stays(page):
    failure = '<div class="alert alert-warning small upstream-error" role="alert">Down.</div>'
    page.route(
        "**/panels/template/",
        lambda route: route.fulfill(status=503, body=failure, content_type="text/html"),
    )
    page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")

    panels = side_panels(page)
    expect(panels.get_by_role("alert")).to_have_text("Down.")
    expect(panels.get_by_role("heading", name="Conversations")).to_be_visible()
    expect(panels.get_by_role("heading", name="Template", exact=True)).to_have_count(0)
    expect(page.locator("[aria-busy]")).to_have_count(0)


def test_a_panel_that_cannot_be_reached_says_so_and_links_to_its_page(page):
    page.route("**/panels/progress/", lambda route: route.abort())
    page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")

    panels = side_panels(page)
    expect(panels).to_contain_text("The conversations could not be counted.")
    link = panels.get_by_role("link", name="Open them on their own page")
    expect(link).to_have_attribute("href", re.compile(r"/panels/progress/$"))
    expect(panels.get_by_role("heading", name="Template", exact=True)).to_be_visible()


FOOTER_TIME = re.compile(r'(<footer.*?<time id="data-as-of" datetime=")([^"]+)(")', re.DOTALL)
PANELS_TIME = re.compile(r'(data-panels-as-of datetime=")([^"]+)(")')


def test_the_footer_names_the_oldest_data_once_older_panels_are_in(page):
    def older_panels(route):
        response = route.fetch()
        old = PANELS_TIME.sub(r"\g<1>2026-01-05T09:30:00+00:00\g<3>", response.text())
        route.fulfill(response=response, body=old)

    page.route("**/panels/progress/", older_panels)
    page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")

    expect(page.locator("[aria-busy]")).to_have_count(0)
    footer_time = page.locator("footer time")
    expect(footer_time).to_have_attribute("datetime", "2026-01-05T09:30:00+00:00")
    expect(footer_time).to_have_text("09:30:00")  # the reader's clock: UTC here


def test_newer_panels_leave_the_footer_as_it_was(page):
    response = page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")
    rendered = FOOTER_TIME.search(response.text()).group(2)

    expect(side_panels(page).get_by_role("heading", name="Conversations")).to_be_visible()
    expect(page.locator("footer time")).to_have_attribute("datetime", rendered)


def test_a_bookmarked_filtered_list_opens_after_login_in_a_fresh_browser(fresh_page):
    page = fresh_page
    bookmark = "/plans/?template_name=Weekly+Check-in&per_page=10&page=2"
    page.goto(bookmark)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_text("Log in to see that page.")).to_be_visible()

    log_in(page)

    expect(page).to_have_url(re.compile(re.escape(bookmark) + "$"))
    expect(summary(page)).to_have_text("Showing 11–20 of 21 plans")
    expect(page.get_by_label("Template", exact=True)).to_have_value("Weekly Check-in")


@pytest.mark.parametrize("api_id", [COMPANY_WIDE["api_id"], quote(COMPANY_WIDE["api_id"], safe="")])
def test_a_shared_plan_link_opens_after_login_in_a_fresh_browser(fresh_page, api_id):
    page = fresh_page
    page.goto(f"/plans/{api_id}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))

    log_in(page)

    # Django hands ?next= the decoded path, so both links land on the raw-colon URL.
    expect(page).to_have_url(re.compile(re.escape(f"/plans/{COMPANY_WIDE['api_id']}/") + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(data.COMPANY_WIDE_PLAN_NAME)


def test_it_logs_out(fresh_page):
    page = fresh_page
    page.goto("/accounts/login/")
    log_in(page)
    expect(page).to_have_url(re.compile(r"/$"))  # the overview, the home page

    page.get_by_role("button", name="Log out").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto("/plans/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/plans/$"))


def test_an_unknown_plan_gets_a_not_found_page(page):
    response = page.goto("/plans/580:no-such-plan/")
    assert response.status == 404
    expect(page).to_have_title("Not found · Perform & Engage 365")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_role("link", name="go to all plans")).to_be_visible()
    expect(page.get_by_role("link", name="Try again")).to_have_count(0)
