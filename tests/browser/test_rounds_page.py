"""A plan's rounds in the browser: reached from the plan page, readable at 1280 and 375 px,
no serious axe-core violation in light or dark mode, and its screenshot for the README."""

import json
import os

import pytest
from playwright.sync_api import Page, expect

from demo_api import data
from devtools.servers import ROOT
from tests.browser.helpers import RESULTS, new_context

pytestmark = pytest.mark.browser

SALES = next(p for p in data.plans() if p["name"] == "Engagement survey – Sales Q3 2026")
ROUNDS = f"/plans/{SALES['api_id']}/rounds/"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 375, "height": 812}
# `UPDATE_SCREENSHOTS=1` writes the README's picture; otherwise it goes to test-results/.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else RESULTS / "screenshots"
)


def serious_violations(page: Page, name: str) -> list[str]:
    """axe-core's serious and critical findings on the page (full report in test-results/axe)."""
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `npm ci` (make test does)")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    (RESULTS / "axe").mkdir(parents=True, exist_ok=True)
    (RESULTS / "axe" / f"{name}.json").write_text(json.dumps(results, indent=2))
    return [
        f"{v['impact']}: {v['id']} at " + ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in results["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_the_plan_page_leads_to_its_rounds(page):
    page.goto(f"/plans/{SALES['api_id']}/")
    page.get_by_role("link", name="Completion by round").click()

    expect(page).to_have_title(f"{SALES['name']} · rounds · Perform & Engage 365")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Rounds: {SALES['name']}")
    expect(page.locator("#rounds-summary")).to_contain_text("% vs")
    expect(page.locator("#rounds-summary")).to_contain_text("last round")
    expect(page.get_by_role("img", name="Share of people completed")).to_be_visible()
    expect(page.locator(".rounds-table tbody tr")).to_have_count(4)
    expect(page.locator(".rounds-table tbody tr").first).to_contain_text("Round 4 current")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 375])
def test_it_has_no_serious_accessibility_violations(browser, site, signed_in, scheme, width):
    context = new_context(
        browser,
        site,
        storage_state=signed_in,
        viewport={"width": width, "height": 812},
        color_scheme=scheme,
        bypass_csp=True,  # axe is injected as an inline script; nothing else runs so
    )
    try:
        page = context.new_page()
        assert page.goto(ROUNDS).status == 200
        expect(page.locator("html")).to_have_attribute("data-bs-theme", scheme)

        violations = serious_violations(page, f"rounds-{width}px-{scheme}")

        assert not violations, "\n".join(violations)
    finally:
        context.close()


def test_on_a_phone_nothing_scrolls_sideways_and_rounds_are_cards(browser, site, signed_in):
    context = new_context(browser, site, storage_state=signed_in, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(ROUNDS)

        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        chart = page.locator(".rounds-chart").bounding_box()
        assert chart is not None and 300 < chart["width"] <= PHONE["width"]
        expect(page.locator(".rounds-table thead")).not_to_be_in_viewport()
        first = page.locator(".rounds-table tbody tr").first
        expect(first.locator("td[data-label='% completed']")).to_be_visible()
        (RESULTS / "screenshots").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=RESULTS / "screenshots" / "plan-rounds-phone.png", full_page=True)
    finally:
        context.close()


def test_it_takes_the_screenshot(page):
    page.goto(ROUNDS)
    page.locator("footer time").evaluate_all(
        "els => els.forEach(el => { el.textContent = '09:30:00 UTC'; })"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / "plan-rounds.png"

    page.screenshot(path=target, animations="disabled", caret="hide")

    assert target.stat().st_size > 10_000
