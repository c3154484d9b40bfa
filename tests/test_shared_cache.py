"""The shared cache as pages use it: freshness shown, Refresh, and a cache that is down."""

import logging
import re
import threading

import django_tables2
import pytest
import responses
from responses import matchers

from devtools.servers import free_port
from plans import services
from plans.api import caching, reader
from tests.helpers import (
    PANELS,
    PATIENCE,
    PLAN_ID,
    PLAN_URL,
    PLANS_URL,
    expect_extras,
    expect_plan_people,
    load_fixture,
    make_client,
    plan_page,
)

pytestmark = pytest.mark.django_db

AS_OF = re.compile(
    r'Data as of <time id="data-as-of" datetime="([^"]+)" data-local-time>([^<]+)</time>'
)


@pytest.fixture
def cached(settings):
    settings.PE365_CACHE_TTL = 30


@pytest.fixture(
    params=[
        # Django's own: every operation raises, and the pages carry on without it.
        (
            "django.core.cache.backends.redis.RedisCache",
            "shared cache unavailable, calling upstream: ConnectionError",
        ),
        # As settings configure it: it answers misses and is skipped for a while.
        ("dashboard.cache.ResilientRedisCache", "unavailable (ConnectionError"),
    ],
    ids=["RedisCache", "ResilientRedisCache"],
)
def redis_down(request, settings, cached):
    """A Redis cache at a loopback port where nothing listens; what is logged about it."""
    backend, logged = request.param
    settings.CACHES = {
        "default": {
            "BACKEND": backend,
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    return logged


def expect_first_page(upstream, body=None):
    upstream.get(
        PLANS_URL,
        json=body or plan_page(3, 0, 25),
        match=[matchers.query_param_matcher({"limit": "25", "offset": "0"})],
    )


def test_every_page_says_how_fresh_its_data_is(admin_client, upstream, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    expect_first_page(upstream)

    html = admin_client.get("/plans/").content.decode()

    iso, shown = AS_OF.search(html).groups()
    assert re.fullmatch(r"\d\d:\d\d:\d\d (CET|CEST)", shown), "server time zone, named"
    assert iso.endswith(("+01:00", "+02:00"))
    assert '<a href="?refresh=1" class="link-secondary">Refresh</a>' in html


def test_a_cached_page_shows_when_it_was_fetched(admin_client, upstream, cached, clock):
    expect_first_page(upstream)
    first = AS_OF.search(admin_client.get("/plans/").content.decode()).group(1)
    clock.advance(10)
    second = AS_OF.search(admin_client.get("/plans/").content.decode()).group(1)
    assert first == second
    assert len(upstream.calls) == 1


def test_refresh_fetches_again_and_its_links_leave_it_out(admin_client, upstream, cached):
    expect_first_page(upstream)
    admin_client.get("/plans/")
    upstream.replace(responses.GET, PLANS_URL, json=plan_page(4, 0, 25))  # a plan was added

    response = admin_client.get("/plans/?per_page=25&refresh=1")

    assert "of 4 plans" in response.content.decode()
    assert 'href="?per_page=25&amp;sort=name"' in response.content.decode()
    assert len(upstream.calls) == 2
    html = admin_client.get("/plans/?per_page=25").content.decode()
    assert "of 4 plans" in html, "the refreshed copy now serves everyone"
    assert len(upstream.calls) == 2


def test_a_kept_table_serves_repeat_views_and_is_drawn_again_when_its_rows_change(
    admin_client, upstream, cached, monkeypatch
):
    drawn = []
    draw = django_tables2.Table.as_html
    monkeypatch.setattr(
        django_tables2.Table, "as_html", lambda table, r: drawn.append(1) or draw(table, r)
    )
    expect_first_page(upstream)
    admin_client.get("/plans/")
    assert "Plan 001" in admin_client.get("/plans/").content.decode()
    assert len(drawn) == 1, "the repeat view used the table's kept HTML"

    renamed = plan_page(3, 0, 25)
    renamed["results"][1]["name"] = "Plan 001, renamed"
    upstream.replace(responses.GET, PLANS_URL, json=renamed)
    html = admin_client.get("/plans/?refresh=1").content.decode()

    assert "Plan 001, renamed" in html
    assert len(drawn) == 2
    assert "Plan 001, renamed" in admin_client.get("/plans/?sort=name").content.decode()


def test_pages_still_work_when_the_cache_is_down(admin_client, upstream, redis_down, caplog):
    expect_first_page(upstream)
    expect_first_page(upstream)
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    expect_extras(upstream)

    with caplog.at_level(logging.WARNING):
        assert admin_client.get("/plans/").status_code == 200
        assert admin_client.get("/plans/").status_code == 200
        assert admin_client.get(f"/plans/{PLAN_ID}/").status_code == 200
        assert admin_client.get(PANELS).status_code == 200

    # Two list views, the plan page, then its panels: the plan again (nothing kept it),
    # its template and its conversations.
    assert len(upstream.calls) == 6, "every view went straight to the API"
    assert redis_down in caplog.text


def test_the_single_flight_table_only_holds_keys_in_flight(upstream, flight_joins):
    release = threading.Event()

    def held_empty_page(request):
        assert release.wait(PATIENCE)
        return 200, {}, '{"count": 0, "results": []}'

    upstream.add_callback(responses.GET, PLANS_URL, callback=held_empty_page)
    threads = [
        threading.Thread(
            target=services.plan_list,
            kwargs={"client": make_client(cache_ttl=30), "limit": 5, "offset": offset},
        )
        for offset in (0, 0, 0, 5, 5)
    ]
    for thread in threads:
        thread.start()
    flight_joins.wait_for(3)
    assert len(caching._flights) == 2, "one fetch per key"
    release.set()
    for thread in threads:
        thread.join()

    assert len(upstream.calls) == 2
    assert caching._flights == {}, "locks are dropped once nobody waits on them"


def test_the_plan_pages_panels_reuse_its_plan_answer(admin_client, upstream, cached):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    expect_extras(upstream)

    assert admin_client.get(f"/plans/{PLAN_ID}/").status_code == 200
    assert admin_client.get(PANELS).status_code == 200

    # The plan once, then only the panels' own calls: the template and the conversations.
    assert len(upstream.calls) == 3


def test_refreshing_a_plan_page_refreshes_its_panels_too(admin_client, upstream, cached):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    expect_extras(upstream, drafts=4)
    admin_client.get(f"/plans/{PLAN_ID}/")
    admin_client.get(PANELS)
    assert len(upstream.calls) == 3
    upstream.reset()
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    expect_extras(upstream, drafts=9)  # conversations were started meanwhile
    expect_plan_people(upstream, [])  # and the people table's

    page = admin_client.get(f"/plans/{PLAN_ID}/?refresh=1").content.decode()

    assert len(upstream.calls) == 1, "the plan, bypassing the cache; the panels do not wait"
    for panel in ("template", "progress"):
        url = f"{PANELS}{panel}/"
        assert f'hx-get="{url}?refresh=1"' in page, "each panel's own request refreshes it"
    html = admin_client.get(f"{PANELS}progress/?refresh=1", headers={"HX-Request": "true"})
    assert "1 of 10 conversations completed" in html.content.decode(), "the fresh copy"
    assert len(upstream.calls) == 1 + 2, "the plan again and the conversations, uncached"
    admin_client.get(f"{PANELS}template/?refresh=1", headers={"HX-Request": "true"})
    assert len(upstream.calls) == 3 + 2, "the plan again and the template, uncached"
    participation = f"/plans/{PLAN_ID}/participation/"
    assert f'hx-get="{participation}?refresh=1"' in page, "and participation's its own"
    response = admin_client.get(f"{participation}?refresh=1", headers={"HX-Request": "true"})
    assert "<strong>1</strong> not started" in response.content.decode()
    assert len(upstream.calls) == 5 + 3, "the plan again, its conversations and the users, afresh"


def test_a_plan_is_kept_read_so_a_repeat_view_does_not_read_its_users_again(upstream, monkeypatch):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    reads: list[str] = []
    plan_detail = reader.plan_detail

    def counted(data, *, path):
        reads.append(path)
        return plan_detail(data, path=path)

    monkeypatch.setattr(reader, "plan_detail", counted)

    plans = [services.plan_get(client=make_client(cache_ttl=30), api_id=PLAN_ID) for _ in range(2)]
    refreshed = services.plan_get(
        client=make_client(cache_ttl=30, bypass_cache=True), api_id=PLAN_ID
    )

    assert plans[0] == plans[1] == refreshed
    assert len(reads) == 2  # the first view and the Refresh
    assert len(upstream.calls) == 2
