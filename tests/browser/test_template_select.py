"""The list's template filter offers the organisation's templates, matches them without
regard to case or accents, and still applies a typed value from an old bookmark."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import new_context

pytestmark = pytest.mark.browser


def summary(page):
    return page.locator("#result-summary")


def test_it_offers_the_templates_to_choose_from(page):
    page.goto("/plans/")
    field = page.get_by_label("Template", exact=True)
    expect(field).to_have_attribute("list", "template-options")
    options = page.locator("#template-options option")
    expect(options.first).to_be_attached()
    values = options.evaluate_all("els => els.map(el => el.value)")
    assert "Évaluation annuelle" in values and "Weekly Check-in" in values
    assert values == sorted(values, key=lambda v: v.casefold().replace("é", "e"))


def test_choosing_a_template_filters_at_once_with_its_exact_name(page):
    page.goto("/plans/")
    field = page.get_by_label("Template", exact=True)
    field.fill("evaluation")
    field.press("Enter")
    expect(summary(page)).to_have_text("Showing 1–18 of 18 plans")
    expect(page).to_have_url(re.compile(r"/plans/\?template_name=%C3%89valuation\+annuelle$"))
    expect(
        page.get_by_role("link", name="Remove filter Template: Évaluation annuelle")
    ).to_be_visible()


def test_an_old_bookmarks_template_is_still_applied_and_shown(page):
    page.goto("/plans/?template_name=Manager")
    expect(page.get_by_label("Template", exact=True)).to_have_value("Manager 1:1")
    expect(summary(page)).to_have_text("Showing 1–25 of 26 plans")

    page.goto("/plans/?template_name=Check")
    expect(page.get_by_label("Template", exact=True)).to_have_value("Weekly Check-in")

    page.goto("/plans/?template_name=no+such+template")
    expect(page.get_by_label("Template", exact=True)).to_have_value("no such template")
    expect(summary(page)).to_have_text("No plans")


def test_without_javascript_a_typed_name_still_filters(browser, site, signed_in):
    context = new_context(browser, site, storage_state=signed_in, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/plans/")
        page.get_by_label("Template", exact=True).fill("EVALUATION annuelle")
        page.get_by_role("button", name="Filter").click()
        expect(summary(page)).to_have_text("Showing 1–18 of 18 plans")
    finally:
        context.close()
