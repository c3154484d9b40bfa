"""The organisation-wide pages in Chromium: who is still to act by manager, completion by
group on the overview, records to fix, a person's every plan. At 1280 and 375 px, axe-core
clean in light and dark mode, nothing wider than a phone, and the README's screenshots."""

import os
import re

import pytest
from playwright.sync_api import Page, expect

from demo_api import data
from devtools.servers import ROOT
from tests.browser.helpers import RESULTS, new_context

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else RESULTS / "screenshots"
)
CARLOS_KIM = "582:b83a0c10-67cb-48ae-972d-12f5e620109b"
ARJUN_SMITH = "582:26e7ee6c-84f8-4df7-951f-18c74f564c32"
PAGES = {
    "outstanding": "/outstanding/",
    "outstanding-filtered": f"/outstanding/?manager={CARLOS_KIM}&state=in_progress",
    "data-issues": "/outstanding/data-issues/",
    "completion": "/completion/",
    "overview-completion": "/",
    "person-not-started": f"/people/?name=Arjun+Smith&person={ARJUN_SMITH}",
    "people-by-email": "/people/?name=arjun.smith",
}


def open_page(browser, site, signed_in, path: str, *, width: int, scheme: str = "light"):
    height = 812 if width < 576 else 800
    context = new_context(
        browser,
        site,
        storage_state=signed_in,
        viewport={"width": width, "height": height},
        color_scheme=scheme,
        bypass_csp=True,
    )
    page = context.new_page()
    response = page.goto(path)
    assert response.status == 200
    if path == "/":
        expect(page.locator("#completion-section")).to_be_visible()
    # Every htmx part swapped in and settled before anything reads the page.
    page.wait_for_load_state("networkidle")
    page.wait_for_function("!document.querySelector('.htmx-request, .htmx-settling, .htmx-added')")
    return context, page


def serious_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    # Each element with what axe saw there (colours and ratio for contrast), for a rare failure.
    return [
        f"{v['impact']}: {v['id']} at {node['target']}: {node.get('failureSummary', '')}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
        for node in v["nodes"]
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("name", PAGES)
def test_the_pages_have_no_serious_accessibility_violations(
    browser, site, signed_in, name, width, scheme
):
    context, page = open_page(browser, site, signed_in, PAGES[name], width=width, scheme=scheme)
    try:
        assert serious_violations(page) == []
    finally:
        context.close()


@pytest.mark.parametrize("name", PAGES)
def test_nothing_is_wider_than_a_phone(browser, site, signed_in, name):
    context, page = open_page(browser, site, signed_in, PAGES[name], width=375)
    try:
        widest = page.evaluate(
            """() => Math.max(...[...document.querySelectorAll('main *')]
                .filter(el => el.checkVisibility() && !el.closest('thead'))
                .map(el => el.getBoundingClientRect().right))"""
        )
        assert widest <= 375
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    finally:
        context.close()


def test_a_manager_group_leads_to_the_persons_every_plan(page):
    page.goto(f"/outstanding/?manager={CARLOS_KIM}")
    group = page.locator(".manager-group").first
    expect(group.get_by_role("heading", name="Carlos Kim")).to_be_visible()
    expect(group.get_by_text("25 still to act")).to_be_visible()

    page.goto("/people/?name=arjun.smith2")
    page.get_by_role("link", name="Arjun Smith").click()
    plans = page.locator("#person-heading ~ table tbody tr, section table tbody tr")
    expect(plans).to_have_count(3)
    not_started = page.get_by_role("row", name=re.compile("1:1 – Jürgen Müller.*Not started"))
    expect(not_started).to_be_visible()


def test_a_completion_row_opens_its_people_still_to_act(page):
    page.goto("/")
    department = page.locator("#completion-department tbody tr").first
    name = department.locator("td").first.inner_text()
    department.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/outstanding/\?department="))
    expect(page.locator("#id_department option:checked")).to_have_text(name)


def test_the_filters_stay_in_the_url(page):
    page.goto("/outstanding/")
    page.get_by_label("State").select_option("not_started")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"state=not_started"))
    expect(page.locator("#outstanding-summary")).to_contain_text("380 not started")


def freeze_times(page: Page) -> None:
    page.locator("footer time, #organisation-read time").evaluate_all(
        "els => els.forEach(el => { el.textContent = '5 Dec 2026, 09:30 UTC'; })"
    )


@pytest.mark.parametrize(
    ("name", "path", "width"),
    [
        ("outstanding", "/outstanding/", 1280),
        ("outstanding-phone", "/outstanding/", 375),
        ("completion", "/completion/", 1280),
        ("data-issues", "/outstanding/data-issues/", 1280),
        ("person-plans", PAGES["person-not-started"], 1280),
    ],
)
def test_it_takes_screenshots(browser, site, signed_in, name, path, width):
    context, page = open_page(browser, site, signed_in, path, width=width)
    try:
        freeze_times(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=target, animations="disabled", caret="hide")
        assert target.stat().st_size > 10_000
    finally:
        context.close()


def test_the_header_links_to_who_is_still_to_act(page):
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Still to act").click()
    expect(page).to_have_url(re.compile(r"/outstanding/$"))
    expect(page.get_by_role("heading", name="Still to act", level=1)).to_be_visible()
    assert data.COMPANY_WIDE_PLAN_NAME in page.locator("#id_plan").inner_text()
