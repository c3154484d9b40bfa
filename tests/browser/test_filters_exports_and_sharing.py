"""Filtering by status and sorting, the CSV export, a plan's assignee search and "Copy link",
in a real browser against the real server and demo API."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from demo_api import data
from tests.browser.helpers import new_context

COMPANY_WIDE = next(p for p in data.plans() if p["name"] == data.COMPANY_WIDE_PLAN_NAME)


pytestmark = pytest.mark.browser


def test_it_filters_by_status_and_sorts_by_name(page):
    page.goto("/plans/")
    page.get_by_label("Status", exact=True).select_option("draft")
    # Applied on change (htmx), with a clean URL; the Filter button does the same.
    expect(page).to_have_url(re.compile(r"/plans/\?status=draft$"))
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]status=draft(&|$)"))
    statuses = page.locator(".plans-table tbody td:nth-child(3)").all_inner_texts()
    assert statuses and {s.strip().lower() for s in statuses} == {"draft"}

    header = page.get_by_role("columnheader", name=re.compile("^Plan"))
    header.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=name(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]status=draft(&|$)"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    names = page.locator(".plans-table tbody td:nth-child(1)").all_inner_texts()
    assert names == sorted(names, key=str.casefold)

    header.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=-name(&|$)"))
    expect(header).to_have_attribute("aria-sort", "descending")
    names = page.locator(".plans-table tbody td:nth-child(1)").all_inner_texts()
    assert names == sorted(names, key=str.casefold, reverse=True)


def test_the_frequencies_on_offer_follow_the_plans_found(page):
    page.goto("/plans/")
    frequency = page.get_by_label("Frequency", exact=True)
    assert "Weekly" in frequency.locator("option").all_inner_texts()

    name = page.get_by_label("Plan name", exact=True)
    name.fill(COMPANY_WIDE["name"])
    name.press("Enter")  # applied by htmx: the results and the frequencies are swapped in

    expect(page).to_have_url(re.compile(r"/plans/\?name=[^&]+$"))
    expect(page.locator(".plans-table tbody tr")).to_have_count(1)
    expect(frequency.locator("option")).to_have_text(
        ["Any frequency", "One-off", COMPANY_WIDE["frequency"]]
    )
    expect(frequency).to_have_value("")  # still any frequency, and so the next filter

    # Choosing one keeps it chosen, and the select keeps the focus, as the options swap.
    frequency.focus()
    frequency.select_option(COMPANY_WIDE["frequency"])
    expect(page).to_have_url(re.compile(rf"&frequency={re.escape(COMPANY_WIDE['frequency'])}$"))
    expect(frequency).to_have_value(COMPANY_WIDE["frequency"])
    expect(frequency).to_be_focused()


def test_it_exports_the_filtered_list_as_csv(browser, site, signed_in):
    context = new_context(browser, site, storage_state=signed_in, accept_downloads=True)
    try:
        page = context.new_page()
        page.goto("/plans/?template_name=%C3%89valuation+annuelle&sort=name")
        link = page.get_by_role("link", name="Export CSV")
        expect(link).to_have_attribute("href", re.compile(r"/plans/export\.csv\?"))

        with page.expect_download() as download:
            link.click()
        content = download.value.path().read_bytes()
    finally:
        context.close()

    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Excel"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert len(body) == 18, "every matching plan, not just the visible page"
    template = header.index(next(h for h in header if "emplate" in h))
    assert {row[template] for row in body} == {"Évaluation annuelle"}
    name = header.index(next(h for h in header if h.lower() in ("name", "plan", "plan name")))
    assert [row[name] for row in body] == sorted((row[name] for row in body), key=str.casefold)


def test_it_searches_a_plans_people(page):
    page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")
    search = page.get_by_role("searchbox", name="Search name, e-mail, department or manager")
    search.fill("Yamamoto")
    search.press("Enter")

    # The plan page again, its URL holding the search; the people table loads into it.
    expect(page).to_have_url(re.compile(r"/plans/[^/]+/\?q=Yamamoto(&|$)"))
    expect(page.get_by_role("heading", name=re.compile("matching “Yamamoto”"))).to_be_visible()
    rows = page.locator(".plan-people-table tbody tr")
    texts = rows.evaluate_all(
        "rows => rows.map(row => row.cells[0].innerText + ' ' + row.cells[3].innerText)"
    )
    assert texts and all("yamamoto" in text.lower() for text in texts)


def test_it_copies_a_plans_link(browser, site, signed_in):
    context = new_context(browser, site, storage_state=signed_in)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    try:
        page = context.new_page()
        page.goto(f"/plans/{COMPANY_WIDE['api_id']}/")
        page.get_by_role("button", name=re.compile("Copy link", re.I)).click()

        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert copied.startswith(site) and "/plans/580" in copied
        page.goto(copied)
        expect(page.get_by_role("heading", level=1)).to_have_text(data.COMPANY_WIDE_PLAN_NAME)
    finally:
        context.close()
