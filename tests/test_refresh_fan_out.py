"""Refresh under control: concurrent fetches of one resource share one upstream call,
Refresh included, and each user may bypass the shared cache only every few seconds."""

import json
import threading

import pytest
from django.contrib.auth.models import Group
from responses import matchers

from plans import services
from plans.api import caching, client
from tests.helpers import (
    PLANS_URL,
    empty_page_once_joined,
    in_threads,
    make_client,
    plan_page,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.PE365_CACHE_TTL = 30


def test_concurrent_refreshes_of_one_resource_share_one_call(upstream, flight_joins):
    upstream.add_callback("GET", PLANS_URL, callback=empty_page_once_joined(flight_joins, 9))

    def refresh() -> None:
        refreshing = make_client(cache_ttl=30, bypass_cache=True)
        services.plan_list(client=refreshing, limit=25, offset=0)

    in_threads(refresh, 10)

    assert len(upstream.calls) == 1
    assert caching._flights == {}


def test_a_refresh_joins_an_ordinary_fetch_in_flight(upstream, flight_joins):
    upstream.add_callback("GET", PLANS_URL, callback=empty_page_once_joined(flight_joins, 1))
    clients = [make_client(cache_ttl=30, bypass_cache=bypass) for bypass in (False, True)]
    threads = [
        threading.Thread(target=services.plan_list, kwargs={"client": c, "limit": 5, "offset": 0})
        for c in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(upstream.calls) == 1


def test_a_refresh_after_a_fetch_ended_calls_again(upstream):
    upstream.get(PLANS_URL, json={"count": 0, "results": []})
    services.plan_list(client=make_client(cache_ttl=30), limit=5, offset=0)

    services.plan_list(client=make_client(cache_ttl=30, bypass_cache=True), limit=5, offset=0)

    assert len(upstream.calls) == 2


def expect_first_page(upstream, count: int) -> None:
    upstream.get(
        PLANS_URL,
        json=plan_page(count, 0, 25),
        match=[matchers.query_param_matcher({"limit": "25", "offset": "0"})],
    )


def test_a_user_refreshing_again_at_once_is_served_from_the_cache(admin_client, upstream, cached):
    expect_first_page(upstream, 3)
    assert admin_client.get("/plans/", {"refresh": "1"}).status_code == 200
    assert len(upstream.calls) == 1

    again = admin_client.get("/plans/", {"refresh": "1"})

    assert again.status_code == 200
    assert admin_client.get("/plans/").status_code == 200
    assert len(upstream.calls) == 1, "the second Refresh read the shared cache"


def test_another_user_may_refresh_meanwhile(
    admin_client, client, upstream, cached, django_user_model
):
    expect_first_page(upstream, 3)
    admin_client.get("/plans/", {"refresh": "1"})
    colleague = django_user_model.objects.create_user(username="colin", password="not-used-123")
    colleague.groups.add(Group.objects.get(name="HR admins"))
    other = type(client)()
    other.force_login(colleague)

    other.get("/plans/", {"refresh": "1"})

    assert len(upstream.calls) == 2


def test_a_user_may_refresh_again_after_the_interval(admin_client, upstream, cached, clock):
    expect_first_page(upstream, 3)
    admin_client.get("/plans/", {"refresh": "1"})
    clock.advance(client.REFRESH_INTERVAL_SECONDS)

    admin_client.get("/plans/", {"refresh": "1"})

    assert len(upstream.calls) == 2


def test_concurrent_refreshes_of_a_whole_list_of_two_pages_read_it_once(upstream, flight_joins):
    """Ten people press Refresh on the same sorted list at once: one read of its two pages."""

    def page(request):
        offset = int(request.params["offset"])
        if offset == 0:
            flight_joins.wait_for(9)  # every other Refresh waits for this read
        return 200, {}, json.dumps(plan_page(150, offset, 100))

    upstream.add_callback("GET", PLANS_URL, callback=page)
    read = []

    def refresh() -> None:
        refreshing = make_client(cache_ttl=30, bypass_cache=True)
        read.append(len(services.plan_list_all(client=refreshing)))

    in_threads(refresh, 10)

    assert read == [150] * 10
    assert len(upstream.calls) == 2
