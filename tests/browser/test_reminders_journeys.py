"""Reminding from the plan page: the preview, the send, the outbox; and their screenshots."""

import os
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from demo_api import data
from devtools.servers import ROOT
from tests.browser.helpers import RESULTS

pytestmark = pytest.mark.browser

COMPANY_WIDE = next(p for p in data.plans() if p["name"] == data.COMPANY_WIDE_PLAN_NAME)
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else RESULTS / "screenshots"
)


def test_an_hr_admin_previews_edits_and_sends_reminders_once(page):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/plans/{quote(COMPANY_WIDE['api_id'], safe=':')}/?q=Müller")
    page.get_by_role("link", name="Remind these people").click()

    heading = page.locator("#remind-count")
    expect(heading).to_contain_text("will get a message")
    count = int(re.search(r"([\d,]+)", heading.inner_text()).group(1).replace(",", ""))
    assert count > 0
    expect(page.locator("#remind-example-text")).to_contain_text(data.COMPANY_WIDE_PLAN_NAME)
    page.get_by_role("textbox", name="Message").fill(
        "Please finish your survey this week. Thank you!"
    )
    page.screenshot(path=SCREENSHOTS / "remind-preview.png", full_page=True)

    page.get_by_role("button", name=re.compile(r"^Send \d")).click()

    expect(page).to_have_url(re.compile(r"/outbox/\?plan="))
    expect(page.get_by_text(f"{count:,} reminders queued.")).to_be_visible()
    expect(page.get_by_text("Nothing is sent from this dashboard.")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "outbox.png", full_page=False)

    page.go_back()  # the same preview, sent again
    page.reload()
    expect(page.locator("#remind-count")).to_contain_text("0 people will get a message")
