"""Accessibility: axe-core finds nothing serious on any page, in light and dark mode, and
the list works with the keyboard alone.

axe-core comes from npm (package.json; `make test` runs `npm ci`). Playwright injects it as
an inline <script>, which the dashboard's CSP (`script-src 'self'`) rightly blocks, so the
axe contexts, and only they, are opened with `bypass_csp=True`. Every other browser test
runs under the real policy and fails on any CSP violation (conftest.watch). Each run's
full results are written to test-results/axe/<page>-<mode>.json.
"""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from demo_api import data
from devtools.servers import ROOT
from tests.browser.helpers import RESULTS, new_context

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}
COMPANY_WIDE = next(p for p in data.plans() if p["name"] == data.COMPANY_WIDE_PLAN_NAME)
PERSON = next(p for p in data.people() if p["name"] == "Jürgen Müller")

PAGES = {
    "login": ("/accounts/login/?next=/plans/", 200),
    "overview": ("/", 200),
    "list": ("/plans/", 200),
    "list-filtered": ("/plans/?template_name=Évaluation&per_page=10&page=2", 200),
    "list-invalid": ("/plans/?per_page=7&name=%01", 400),
    "list-sorted": ("/plans/?status=active&frequency=Weekly&sort=-frequency", 200),
    "list-empty": ("/plans/?name=no+plan+is+called+this", 200),
    "list-corrected": ("/plans/?page=999", 200),
    "detail-searched": (f"/plans/{COMPANY_WIDE['api_id']}/?q=finance&state=not_started", 200),
    "detail": (f"/plans/{COMPANY_WIDE['api_id']}/", 200),
    "detail-panels": (f"/plans/{COMPANY_WIDE['api_id']}/panels/", 200),
    "participation": (f"/plans/{COMPANY_WIDE['api_id']}/participation/?state=to_act", 200),
    "people": ("/people/?name=Jürgen", 200),
    "person": (f"/people/?name={PERSON['name']}&person={PERSON['api_id']}", 200),
    "not-found": ("/plans/580:no-such-plan/", 404),
    "upstream-error": ("/plans/?name=!fault:500", 503),
}


@pytest.fixture(scope="module")
def axe_installed() -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `npm ci` (make test does)")


def run_axe(page: Page, name: str) -> list[dict]:
    """Audit the page, save the full report, return the serious and critical violations."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    report_dir = RESULTS / "axe"
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / f"{name}.json").write_text(json.dumps(results, indent=2))
    return [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['impact']}: {v['id']} ({v['help']}) at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in violations
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGES)
def test_it_has_no_serious_accessibility_violations(
    browser, site, signed_in, axe_installed, name, scheme
):
    path, status = PAGES[name]
    state = None if name == "login" else signed_in
    context = new_context(browser, site, storage_state=state, color_scheme=scheme, bypass_csp=True)
    try:
        page = context.new_page()
        response = page.goto(path)
        assert response.status == status
        expect(page.locator("html")).to_have_attribute("data-bs-theme", scheme)
        expect(page.locator("[aria-busy]")).to_have_count(0)  # the plan page's panels loaded

        violations = run_axe(page, f"{name}-{scheme}")

        assert not violations, f"axe on {path} ({scheme} mode):\n{describe(violations)}"
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("list", "/plans/?per_page=10&status=active"),
        ("detail", f"/plans/{COMPANY_WIDE['api_id']}/"),
        ("detail-manager", f"/plans/{COMPANY_WIDE['api_id']}/?manager=none&sort=-manager"),
    ],
)
def test_the_phone_layouts_have_no_serious_violations(
    browser, site, signed_in, axe_installed, name, path, scheme
):
    context = new_context(
        browser,
        site,
        storage_state=signed_in,
        viewport={"width": 375, "height": 812},
        color_scheme=scheme,
        bypass_csp=True,
    )
    try:
        page = context.new_page()
        page.goto(path)
        expect(page.locator("[aria-busy]")).to_have_count(0)
        if name == "list":
            page.get_by_text("Filters (1)").click()  # the folded filters, opened
        violations = run_axe(page, f"{name}-375px-{scheme}")
        assert not violations, describe(violations)
    finally:
        context.close()


FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex='0']"


def test_every_control_on_the_list_is_reachable_by_tab_and_visibly_focused(page):
    page.goto("/plans/?per_page=10&page=2")
    expected = page.locator(FOCUSABLE).evaluate_all(
        # Visible ones only: the phone cards' links are hidden at this width.
        """elements => elements.filter(el => el.checkVisibility())
            .map((el, i) => { el.dataset.tabIndexForTest = i; return i; })"""
    )

    reached = []
    for _ in range(len(expected) + 5):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                return {
                    index: el.dataset.tabIndexForTest,
                    label: (el.innerText || el.value || el.name || el.tagName).trim().slice(0, 40),
                    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
                };
            }"""
        )
        if focused["index"] is None:  # focus left the page's controls: the cycle is done
            break
        assert focused["outline"], f"no visible focus ring on {focused['label']!r}"
        reached.append(int(focused["index"]))

    assert reached == sorted(expected), "Tab visits every control once, in reading order"
    assert len(reached) >= 20, "skip link, header, filters, 10 plans, pager and refresh"


def test_the_skip_link_is_the_first_stop_and_jumps_to_the_content(page):
    page.goto("/plans/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    page.keyboard.press("Tab")
    # The next stop is the page's first control, past the header's links.
    expect(page.locator("main :focus")).to_have_count(1)


def test_the_filters_are_labelled_and_the_table_headers_scoped(page):
    page.goto("/plans/")
    filters = page.get_by_role("search", name="Filter plans")
    for label in ("Plan name", "Template", "Rows per page"):
        expect(filters.get_by_label(label)).to_be_visible()
    unlabelled = filters.locator("input:not([type=hidden]), select").evaluate_all(
        "els => els.filter(el => !el.labels || el.labels.length === 0).map(el => el.name)"
    )
    assert unlabelled == []

    headers = page.locator(".plans-table thead th")
    expect(headers).to_have_count(4)
    for header in headers.all():
        expect(header).to_have_attribute("scope", "col")
    expect(page.get_by_role("columnheader", name="Plan")).to_be_visible()
