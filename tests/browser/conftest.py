"""Fixtures for the browser suite: headless Chromium, driven by Playwright, against the real
dashboard and demo API processes (tests/servers.py).

One demo API and one dashboard serve the whole package, and one login is shared as a
storage state; the fault scenarios start their own servers (test_fault_pages.py).
Chromium is Debian's (scripts/services.sh installs it); Playwright's browser download is
never used. Without Chromium the suite skips locally and fails in CI (CI=true).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from devtools.servers import E2E_PASSWORD, E2E_USER, ROOT, dashboard, dashboard_env, demo_api

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


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"Chromium not found at {CHROMIUM}; scripts/services.sh installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the browser suite must run)")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def api():
    with demo_api() as server:
        yield server


@pytest.fixture(scope="package")
def site(api) -> Iterator[str]:
    """Base URL of the dashboard, serving the demo API's 150 plans."""
    with dashboard(dashboard_env(api.url)) as url:
        yield url


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


@pytest.fixture(scope="package")
def signed_in(browser, site) -> dict:
    """Cookies of one login, reused by every test that does not test logging in or out."""
    context = new_context(browser, site)
    page = context.new_page()
    page.goto("/accounts/login/")
    log_in(page)
    page.wait_for_url(lambda url: url.endswith("/"))  # the overview, the home page
    state = context.storage_state()
    context.close()
    return state


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


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


@pytest.fixture
def context(browser, site, signed_in) -> Iterator[BrowserContext]:
    """A browser already logged in as the e2e superuser."""
    context = new_context(browser, site, storage_state=signed_in)
    yield context
    context.close()


@pytest.fixture
def page(context, request) -> Iterator[Page]:
    page = context.new_page()
    problems = watch(page)
    yield page
    finish(page, request, problems)


def watched_page(context: BrowserContext, request) -> Iterator[Page]:
    """A page of its own browser profile, watched as `finish` checks; the profile goes after."""
    page = context.new_page()
    problems = watch(page)
    yield page
    try:
        finish(page, request, problems)
    finally:
        context.close()


@pytest.fixture
def fresh_page(browser, site, request) -> Iterator[Page]:
    """A page in a brand-new browser profile: not logged in, no cookies."""
    yield from watched_page(new_context(browser, site), request)
