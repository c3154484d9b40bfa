"""Signing in with the company account in a real browser: the dashboard's login page,
the provider's page (tests/identity_provider.py), back to the bookmarked page; then
signing out of both."""

import re

import pytest
from playwright.sync_api import expect

from devtools.servers import dashboard, dashboard_env
from tests.browser.helpers import finish, new_context, watch
from tests.identity_provider import ADMIN_GROUP, CLIENT_ID, CLIENT_SECRET

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sso_site(api, provider):
    """A dashboard signing in through `provider`, with the password form still there."""
    env = dashboard_env(
        api.url,
        OIDC_ISSUER=provider.issuer,
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
        OIDC_ADMIN_GROUPS=ADMIN_GROUP,
    )
    with dashboard(env) as url:
        yield url


def test_an_hr_admin_signs_in_with_the_company_account_and_out_again(
    browser, sso_site, provider, request
):
    provider.set_user(
        "subject-ada",
        preferred_username="ada@example.com",
        name="Ada Lovelace",
        groups=[ADMIN_GROUP],
    )
    context = new_context(browser, sso_site)
    page = context.new_page()
    problems = watch(page)
    try:
        page.goto("/plans/?name=Company-wide")
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
        page.get_by_role("link", name="Sign in with Microsoft").click()

        page.wait_for_url(f"{provider.issuer}/oauth2/authorize?**")
        page.get_by_placeholder("sub").fill("subject-ada")
        page.get_by_role("button", name="Authorize").click()

        page.wait_for_url(f"{sso_site}/plans/?name=Company-wide")
        expect(page.locator(".app-header")).to_contain_text("Signed in as ada@example.com")
        expect(page.get_by_role("table")).to_contain_text("Company-wide")

        # Log out is a form: its redirect to the provider must pass the form-action policy.
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{provider.issuer}/oauth2/end_session?**")
        page.get_by_role("button", name="End session").click()
        page.wait_for_url(f"{sso_site}/accounts/login/")
        page.goto("/plans/")
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/plans/"))
    finally:
        finish(page, request, problems)
        context.close()
