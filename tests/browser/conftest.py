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

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from devtools.servers import dashboard, dashboard_env, demo_api
from tests.browser.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    finish,
    log_in,
    new_context,
    watch,
    watched_page,
)


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
    """Base URL of the dashboard, serving the demo API's 150 plans.

    Nothing is cached (PE365_CACHE_TTL 0), so each organisation page reads the whole demo
    organisation (242 calls) within its own budget: a generous one keeps a busy CI machine
    from answering "reading the organisation, reload in a minute", which no test here is
    about (tests/test_organisation_read.py is).
    """
    with dashboard(dashboard_env(api.url, PE365_TIMEOUT="30")) as url:
        yield url


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


@pytest.fixture
def fresh_page(browser, site, request) -> Iterator[Page]:
    """A page in a brand-new browser profile: not logged in, no cookies."""
    yield from watched_page(new_context(browser, site), request)
