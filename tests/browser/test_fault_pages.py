"""When Perform & Engage 365 fails, the admin sees a plain page with the right status.

Each fault gets its own dashboard, started together so the module costs one start-up:
down (pointed at a closed port), slow (the API takes 3 s, the dashboard waits 1 s), and a
wrong API key.
"""

import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
from playwright.sync_api import expect

from devtools.servers import dashboard, dashboard_env, demo_api, free_port
from tests.browser.helpers import finish, log_in, new_context, watch

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def faulty_sites(api):
    """Base URLs of three dashboards whose API fails in different ways, by fault name."""
    with ExitStack() as stack:
        slow_api = stack.enter_context(demo_api(fault="slow:3"))
        closed_port = f"http://127.0.0.1:{free_port()}"
        envs = {
            "down": dashboard_env(closed_port, PE365_TIMEOUT="2"),
            "slow": dashboard_env(slow_api.url, PE365_TIMEOUT="1"),
            "bad key": dashboard_env(api.url, PE365_API_KEY="not-the-demo-key"),
        }
        with ThreadPoolExecutor(max_workers=len(envs)) as pool:
            futures = {
                fault: pool.submit(stack.enter_context, dashboard(env))
                for fault, env in envs.items()
            }
        yield {fault: future.result() for fault, future in futures.items()}


@pytest.fixture
def open_plans(browser, faulty_sites, request):
    """Log in to the dashboard with the given fault, open /plans/; yields (page, status)."""
    contexts = []

    def open_plans(fault: str):
        context = new_context(browser, faulty_sites[fault])
        contexts.append(context)
        page = context.new_page()
        problems = watch(page)
        request.addfinalizer(lambda: finish(page, request, problems))
        page.goto("/plans/?name=Zürich")
        with page.expect_response(
            lambda r: r.url.startswith(f"{faulty_sites[fault]}/plans/")
        ) as plans:
            log_in(page)
        page.wait_for_load_state()
        return page, plans.value.status

    yield open_plans
    for context in contexts:
        context.close()


def test_it_explains_that_the_api_is_down(open_plans):
    page, status = open_plans("down")
    assert status == 503
    expect(page).to_have_title("Perform & Engage 365 is unavailable · Perform & Engage 365")
    expect(page.get_by_role("heading", level=1)).to_have_text("Perform & Engage 365 is unavailable")
    expect(page.get_by_role("link", name="Try again")).to_have_attribute(
        "href", "/plans/?name=Z%C3%BCrich"
    )


def test_it_explains_that_the_api_is_too_slow(open_plans):
    page, status = open_plans("slow")
    assert status == 504
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Perform & Engage 365 did not answer in time"
    )
    expect(page.get_by_role("link", name="All plans")).to_be_visible()


def test_it_explains_that_the_api_key_was_refused(open_plans):
    page, status = open_plans("bad key")
    assert status == 502
    expect(page.get_by_role("heading", level=1)).to_have_text("The dashboard's API key was refused")
    expect(page.locator("main")).not_to_contain_text("not-the-demo-key")
    expect(page).to_have_url(re.compile(r"/plans/\?name=Z%C3%BCrich$"))
