"""End to end: the real dashboard process against the demo API process, over real HTTP."""

import re
from urllib.parse import quote

import pytest
import requests

from tests.servers import dashboard, dashboard_env, demo_api, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api():
    with demo_api() as server:
        yield server


@pytest.fixture(scope="module")
def site(api):
    with dashboard(dashboard_env(api.url)) as url:
        yield url


def summary(html: str) -> str:
    return " ".join(re.search(r"Showing[^<]*", html).group(0).split())


def detail_links(html: str) -> list[str]:
    return re.findall(r'href="(/plans/[^"?]+/)"', html)


def test_an_admin_walks_list_filter_page_and_detail(site, api):
    session = log_in(site)

    api.reset_stats()
    listing = session.get(f"{site}/plans/", timeout=10)
    assert summary(listing.text) == "Showing 1–25 of 150 plans"
    assert api.calls() == 1, "a list page costs exactly one upstream call"

    filtered = session.get(f"{site}/plans/", params={"template_name": "check-in"}, timeout=10)
    assert re.match(r"Showing 1–\d+ of \d+ plans", summary(filtered.text))
    count = int(re.search(r"of (\d+) plans", filtered.text).group(1))
    assert 0 < count < 150

    page_two = session.get(f"{site}/plans/", params={"page": 2, "per_page": 10}, timeout=10)
    assert summary(page_two.text) == "Showing 11–20 of 150 plans"
    assert 'href="?page=3&amp;per_page=10"' in page_two.text

    api.reset_stats()
    link = detail_links(page_two.text)[0]
    detail = session.get(f"{site}{link}", timeout=10)
    assert detail.status_code == 200
    assert "Assigned users" in detail.text and "Assigned departments" in detail.text
    assert api.calls() == 1, "a detail page costs exactly one upstream call"


def test_a_shared_detail_link_works_after_login_in_a_new_session(site):
    session = log_in(site)
    listing = session.get(f"{site}/plans/", params={"name": "Company-wide"}, timeout=10)
    link = detail_links(listing.text)[0]

    stranger = requests.Session()
    bounced = stranger.get(f"{site}{link}", timeout=10)
    assert "/accounts/login/?next=" in bounced.url

    colleague = log_in(site)
    encoded = link.replace(":", "%3A")
    for url in (link, encoded):
        page = colleague.get(f"{site}{url}", timeout=10)
        assert page.status_code == 200
        assert "Company-wide engagement survey 2026" in page.text
        assert "3,000 users" in page.text


def test_unknown_and_hostile_ids_are_404(site, api):
    session = log_in(site)
    api.reset_stats()
    assert session.get(f"{site}/plans/580:no-such-plan/", timeout=10).status_code == 404
    assert (
        session.get(f"{site}/plans/{quote('../../users', safe='')}/", timeout=10).status_code == 404
    )
    # Only the well-formed id went upstream (the demo counts decoded paths).
    assert api.stats()["by_path"] == {"/api/v2/conversation_plans/580:no-such-plan/": 1}
