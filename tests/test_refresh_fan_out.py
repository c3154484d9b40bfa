"""Refresh under control: concurrent fetches of one resource share one upstream call,
Refresh included, and each user may bypass the shared cache only every few seconds."""

import threading
import time

import pytest
from django.contrib.auth.models import Group
from responses import matchers

from plans import services
from plans.api import caching, client
from tests.helpers import PLANS_URL, make_client, plan_page, slow_empty_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.PE365_CACHE_TTL = 30


def in_threads(target, count: int) -> None:
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_concurrent_refreshes_of_one_resource_share_one_call(upstream):
    upstream.add_callback("GET", PLANS_URL, callback=slow_empty_page)

    def refresh() -> None:
        refreshing = make_client(cache_ttl=30, bypass_cache=True)
        services.plan_list(client=refreshing, limit=25, offset=0)

    in_threads(refresh, 10)

    assert len(upstream.calls) == 1
    assert caching._flights == {}


def test_a_refresh_joins_an_ordinary_fetch_in_flight(upstream):
    upstream.add_callback("GET", PLANS_URL, callback=slow_empty_page)
    clients = [make_client(cache_ttl=30, bypass_cache=bypass) for bypass in (False, True)]
    threads = [
        threading.Thread(target=services.plan_list, kwargs={"client": c, "limit": 5, "offset": 0})
        for c in clients
    ]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()

    assert len(upstream.calls) == 1


def test_a_refresh_after_a_fetch_ended_calls_again(upstream):
    upstream.add_callback("GET", PLANS_URL, callback=slow_empty_page)
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


def test_a_user_may_refresh_again_after_the_interval(admin_client, upstream, cached, monkeypatch):
    monkeypatch.setattr(client, "REFRESH_INTERVAL_SECONDS", 1)
    expect_first_page(upstream, 3)
    admin_client.get("/plans/", {"refresh": "1"})
    time.sleep(1.1)

    admin_client.get("/plans/", {"refresh": "1"})

    assert len(upstream.calls) == 2
