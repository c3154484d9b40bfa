"""Helpers for the browser tests: Chromium's launch options, new profiles, logging in, and
watching a page for console errors and failed requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

from devtools.servers import E2E_PASSWORD, E2E_USER, ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Every page here answers in milliseconds; a step that takes 10 s is a failure, not a wait.
TIMEOUT_MS = 10_000
VIEWPORT = {"width": 1280, "height": 800}
RESULTS = ROOT / "test-results"

expect.set_options(timeout=TIMEOUT_MS)


def new_context(browser: Browser, base_url: str, **options) -> BrowserContext:
    """A fresh browser profile (no cookies) at desktop size, in UTC like the server."""
    options = {"viewport": VIEWPORT, "locale": "en-GB", "timezone_id": "UTC", **options}
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def log_in(page: Page, username: str = E2E_USER, password: str = E2E_PASSWORD) -> None:
    """Fill in and send the login form the page is showing."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def watch(page: Page) -> list[str]:
    """Collect the page's script errors and CSP violations as they happen."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return problems


def finish(page: Page, request, problems: list[str]) -> None:
    """Keep a screenshot of a failed test's page; fail on script errors or CSP violations."""
    if getattr(request.node, "browser_test_failed", False) and not page.is_closed():
        RESULTS.joinpath("browser").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=RESULTS / "browser" / f"{request.node.name}.png")
    assert not problems, "the page reported problems:\n" + "\n".join(problems)


def watched_page(context: BrowserContext, request) -> Iterator[Page]:
    """A page of its own browser profile, watched as `finish` checks; the profile goes after."""
    page = context.new_page()
    problems = watch(page)
    yield page
    try:
        finish(page, request, problems)
    finally:
        context.close()
