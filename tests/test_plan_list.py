import pytest
from responses import matchers

from tests.conftest import PLANS_URL, plan_item, plan_page

pytestmark = pytest.mark.django_db


def expect_page(upstream, *, limit=25, offset=0, count=137, filters=None, body=None):
    query = {**(filters or {}), "limit": str(limit), "offset": str(offset)}
    upstream.get(
        PLANS_URL,
        json=body if body is not None else plan_page(count, offset, limit),
        match=[matchers.query_param_matcher(query)],
    )


def test_it_works(admin_client, upstream):
    expect_page(upstream)

    response = admin_client.get("/plans/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Showing 1–25 of 137 plans" in html
    assert 'href="/plans/580:00000000-0000-4000-8000-000000000001/"' in html
    assert '<span class="badge text-bg-success">active</span>' in html
    assert "Every 4 weeks" in html and "—" in html  # plan 0 has no frequency
    assert len(upstream.calls) == 1


def test_root_redirects_to_the_list(admin_client):
    response = admin_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/plans/"


def test_it_requires_login(client):
    response = client.get("/plans/?name=x")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/plans/%3Fname%3Dx"


def test_it_passes_filters_upstream(admin_client, upstream):
    filters = {"name": "Sales Q3", "template_name": "Engagement Survey"}
    expect_page(upstream, filters=filters, count=3)

    response = admin_client.get("/plans/", filters)

    assert "Showing 1–3 of 3 plans" in response.content.decode()


def test_it_pages_with_limit_and_offset(admin_client, upstream):
    expect_page(upstream, limit=25, offset=25)
    response = admin_client.get("/plans/?page=2")
    assert "Showing 26–50 of 137 plans" in response.content.decode()


def test_the_last_partial_page_costs_one_call(admin_client, upstream):
    expect_page(upstream, limit=25, offset=125)
    response = admin_client.get("/plans/?page=6")
    html = response.content.decode()
    assert "Showing 126–137 of 137 plans" in html
    assert html.count('<tr class="') + html.count("<tr >") + html.count("<tr>") >= 12
    assert len(upstream.calls) == 1


@pytest.mark.parametrize("per_page", [10, 50, 100])
def test_it_offers_page_sizes(admin_client, upstream, per_page):
    expect_page(upstream, limit=per_page, offset=per_page)
    response = admin_client.get(f"/plans/?page=2&per_page={per_page}")
    last = min(2 * per_page, 137)
    assert f"Showing {per_page + 1}–{last} of 137 plans" in response.content.decode()


def test_page_links_keep_every_filter(admin_client, upstream):
    expect_page(upstream, limit=10, offset=10, filters={"name": "a b"}, count=40)
    html = admin_client.get("/plans/?name=a+b&per_page=10&page=2").content.decode()
    assert 'href="?name=a+b&amp;per_page=10&amp;page=3"' in html
    assert 'href="?name=a+b&amp;per_page=10&amp;page=1"' in html


def test_it_shows_an_empty_state(admin_client, upstream):
    expect_page(upstream, filters={"name": "nothing"}, count=0)
    html = admin_client.get("/plans/?name=nothing").content.decode()
    assert "No plans match these filters." in html
    assert "No plans" in html


@pytest.mark.parametrize(
    "query", ["per_page=7", "per_page=100000", "per_page=abc", "page=abc", "page=0", "page=-3"]
)
def test_it_rejects_bad_paging_before_calling_upstream(admin_client, upstream, query):
    response = admin_client.get(f"/plans/?{query}")
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode() or "alert-danger" in response.content.decode()
    assert len(upstream.calls) == 0


def test_a_page_past_the_end_is_a_404(admin_client, upstream):
    expect_page(upstream, offset=24975, body=plan_page(137, 24975, 0))
    response = admin_client.get("/plans/?page=1000")
    assert response.status_code == 404
    assert "There is no page 1000 of these results." in response.content.decode()


def test_an_overlong_filter_is_a_form_error(admin_client, upstream):
    response = admin_client.get("/plans/", {"name": "x" * 10_000})
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()


def test_it_escapes_hostile_plan_names(admin_client, upstream):
    hostile = plan_item(
        1, name="<script>alert(1)</script>", template_name='"><img src=x onerror=alert(1)>'
    )
    expect_page(upstream, body={"count": 1, "results": [hostile]})
    html = admin_client.get("/plans/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_it_shows_an_upstream_failure_as_a_friendly_page(admin_client, upstream):
    upstream.get(PLANS_URL, json={"detail": "A server error occurred."}, status=500)
    response = admin_client.get("/plans/")
    assert response.status_code == 503
    assert "answered with a server error (HTTP 500)" in response.content.decode()
