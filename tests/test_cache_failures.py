"""A refused or hung Redis costs a page at most one socket timeout, then is skipped.

Real sockets: a closed loopback port (refused), a loopback socket that accepts and
never answers (hung), and a redis-server of the test's own (skipped without one).
"""

import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from responses import matchers

from dashboard import cache as resilient
from devtools.servers import free_port
from tests.helpers import PLANS_URL, plan_page

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"
SOCKET_TIMEOUT = 0.5


def redis_settings(location: str) -> dict:
    return {
        "default": {
            "BACKEND": "dashboard.cache.ResilientRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "pe365",
            "OPTIONS": {
                "socket_connect_timeout": SOCKET_TIMEOUT,
                "socket_timeout": SOCKET_TIMEOUT,
            },
        }
    }


@pytest.fixture(autouse=True)
def _fresh_breakers():
    resilient._breakers.clear()
    yield
    resilient._breakers.clear()


@pytest.fixture
def cached(settings):
    settings.PE365_CACHE_TTL = 30


@pytest.fixture
def refused_redis(settings, cached) -> None:
    settings.CACHES = redis_settings(f"redis://127.0.0.1:{free_port()}/0")


@pytest.fixture
def hung_redis(settings, cached) -> Iterator[None]:
    """A port whose connections the kernel accepts and nobody ever answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        settings.CACHES = redis_settings(f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
        yield


@pytest.fixture
def real_redis(settings, cached) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        for line in process.stdout:  # until it says it is ready (or exits)
            if "Ready to accept connections" in line:
                break
        else:
            pytest.fail("redis-server did not start")
        location = f"redis://127.0.0.1:{port}/0"
        settings.CACHES = redis_settings(location)
        yield location
    finally:
        process.terminate()
        process.wait(timeout=10)


def expect_list_page(upstream, times: int) -> None:
    for _ in range(times):
        upstream.get(
            PLANS_URL,
            json=plan_page(3, 0, 25),
            match=[matchers.query_param_matcher({"limit": "25", "offset": "0"})],
        )


def timed_get(client, path: str) -> tuple[int, float]:
    started = time.monotonic()
    response = client.get(path)
    return response.status_code, time.monotonic() - started


@pytest.mark.usefixtures("refused_redis")
def test_a_refused_redis_leaves_pages_working_and_is_logged_once(admin_client, upstream, caplog):
    expect_list_page(upstream, 2)
    with caplog.at_level(logging.WARNING, logger="dashboard.cache"):
        assert admin_client.get("/plans/").status_code == 200
        assert admin_client.get("/plans/").status_code == 200
    assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1


@pytest.mark.usefixtures("hung_redis")
def test_a_hung_redis_costs_one_timeout_then_is_skipped(admin_client, upstream):
    expect_list_page(upstream, 2)
    status, first = timed_get(admin_client, "/plans/")
    assert status == 200
    assert first >= SOCKET_TIMEOUT, "the first page waits for Redis once"
    status, second = timed_get(admin_client, "/plans/")
    assert status == 200
    assert second < SOCKET_TIMEOUT / 2, "the next page skips the cache"


@pytest.mark.parametrize("failure", ["refused_redis", "hung_redis"])
def test_logging_in_works_without_redis(client, django_user_model, request, failure):
    request.getfixturevalue(failure)
    django_user_model.objects.create_user(username="ines", password=PASSWORD)
    wrong = client.post("/accounts/login/", {"username": "ines", "password": "nope"})
    assert wrong.status_code == 200
    right = client.post("/accounts/login/", {"username": "ines", "password": PASSWORD})
    assert right.status_code == 302


@pytest.mark.usefixtures("hung_redis")
def test_every_operation_answers_as_a_miss_or_a_no_op():
    assert cache.get("k", "fallback") == "fallback"  # opens the breaker
    started = time.monotonic()
    cache.set("k", 1)
    assert cache.add("k", 1) is False
    assert cache.get_many(["k"]) == {}
    assert cache.set_many({"k": 1}) == ["k"]
    assert cache.has_key("k") is False
    assert cache.delete("k") is False
    cache.delete_many(["k"])
    with pytest.raises(ValueError):
        cache.incr("k")
    assert time.monotonic() - started < SOCKET_TIMEOUT / 2


def test_a_working_redis_is_used_and_closes_the_breaker_after_the_pause(real_redis, clock):
    cache.set("k", "v")
    assert cache.get("k") == "v"
    breaker = resilient.breaker_for(real_redis)
    breaker.record_failure(ConnectionError("refused"))
    assert cache.get("k") is None, "skipped while the breaker is open"
    clock.advance(resilient.SKIP_AFTER_FAILURE_SECONDS + 1)
    assert cache.get("k") == "v"
    assert not breaker.is_open


def test_after_the_pause_one_caller_tries_while_the_others_keep_skipping(clock):
    breaker = resilient.CircuitBreaker("test")
    breaker.record_failure(ConnectionError("refused"))
    assert not breaker.allows_a_call()
    clock.advance(resilient.SKIP_AFTER_FAILURE_SECONDS + 1)
    assert breaker.allows_a_call()
    assert not breaker.allows_a_call()
    breaker.record_success()
    assert breaker.allows_a_call() and breaker.allows_a_call()
