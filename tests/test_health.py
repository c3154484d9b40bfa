"""/healthz and /readyz: no login, plain text, no secrets, no HTTPS redirect; /readyz
answers at once from its last check, runs at most one check at a time, and checks the
database, the cache and the API."""

import threading
import time

import pytest
import requests
from django.db import connection
from django.db.utils import load_backend
from django.test import Client
from responses import matchers

from devtools.servers import free_port
from plans import health
from tests.helpers import AUTH_HEADER, PLANS_URL, plan_page

pytestmark = pytest.mark.django_db

API_KEY = "test-api-key-0123456789"


@pytest.fixture(autouse=True)
def _forget_readiness():
    health.forget_readiness()
    yield
    health.forget_readiness()


def probe(client):
    """The answer once a check has run: the first probe starts it, the next reads it."""
    client.get("/readyz")
    health.wait_for_check()
    return client.get("/readyz")


def slow_answer(seconds: float):
    def answer(request):
        time.sleep(seconds)
        return 200, {}, '{"count": 150, "next": null, "previous": null, "results": []}'

    return answer


def expect_slow_check(upstream, seconds: float) -> None:
    upstream.add_callback(
        "GET",
        PLANS_URL,
        callback=slow_answer(seconds),
        match=[matchers.query_param_matcher({"limit": "1"})],
    )


def expect_check(upstream, **kwargs):
    if "body" not in kwargs:
        kwargs.setdefault("json", plan_page(150, 0, 1))
    upstream.get(
        PLANS_URL,
        match=[
            matchers.query_param_matcher({"limit": "1"}),
            matchers.header_matcher({"Authorization": AUTH_HEADER}),
        ],
        **kwargs,
    )


def test_healthz_says_ok_without_login_or_upstream_call(client, upstream):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ready_when_an_authenticated_call_answers(client, upstream):
    expect_check(upstream)
    response = probe(client)
    assert response.status_code == 200
    assert response.content == b"ready\n"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"status": 401, "json": {"detail": "Invalid username/password."}}, "PE365_API_KEY"),
        ({"status": 500, "json": {}}, "HTTP 500"),
        ({"body": requests.ReadTimeout("slow")}, "did not answer within 3 seconds"),
        ({"body": requests.ConnectionError("refused")}, "could not be reached"),
        ({"json": {"unexpected": True}}, "could not read"),
        ({"status": 404, "json": {"detail": "Not found."}}, "no plans API at PE365_API_URL"),
    ],
)
def test_readyz_is_503_with_a_reason_when_the_api_fails(
    client, upstream, monkeypatch, kwargs, reason
):
    expect_check(upstream, **kwargs)
    response = probe(client)
    assert response.status_code == 503
    text = response.content.decode()
    assert text.startswith("not ready: ") and reason in text
    assert API_KEY not in text and "dashboard-bot" not in text


def test_readyz_bypasses_the_shared_cache(client, upstream, settings, monkeypatch):
    settings.PE365_CACHE_TTL = 30
    expect_check(upstream)
    expect_check(upstream, status=503, json={})
    assert probe(client).status_code == 200
    health.forget_readiness()
    assert probe(client).status_code == 503


def test_readyz_checks_the_api_at_most_once_per_interval(client, upstream, monkeypatch):
    expect_check(upstream)
    assert probe(client).status_code == 200
    assert client.get("/readyz").status_code == 200
    assert len(upstream.calls) == 1
    clock = health.time.monotonic() + health.READINESS_INTERVAL_SECONDS
    monkeypatch.setattr(health.time, "monotonic", lambda: clock)
    assert client.get("/readyz").status_code == 200, "the last result, while checking again"
    health.wait_for_check()
    assert len(upstream.calls) == 2


def test_health_checks_are_not_redirected_to_https(client, upstream, settings):
    settings.SECURE_SSL_REDIRECT = True
    expect_check(upstream)
    assert client.get("/healthz").status_code == 200
    assert probe(client).status_code == 200
    assert client.get("/plans/").status_code == 301  # everything else is


def test_health_checks_accept_only_get_and_head(client):
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200


def test_the_first_probe_answers_at_once_and_starts_the_check(client, upstream):
    expect_slow_check(upstream, 1)
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 0.5
    assert response.status_code == 503
    assert response.content == b"not ready: checking\n"
    health.wait_for_check()
    assert client.get("/readyz").status_code == 200


def test_concurrent_probes_run_one_check_and_never_block_the_login_page(upstream):
    expect_slow_check(upstream, 3)
    statuses: list[int] = []

    def probe_once() -> None:
        statuses.append(Client().get("/readyz").status_code)

    probes = [threading.Thread(target=probe_once) for _ in range(16)]
    for thread in probes:
        thread.start()
    for thread in probes:
        thread.join()
    login = Client().get("/accounts/login/")

    # Every probe has answered, and the login page too, while the check still waits on
    # the slow API: nothing waited for it.
    assert health._running is not None, "the check ended first: something waited for it"
    assert statuses == [503] * 16
    assert login.status_code == 200
    health.wait_for_check()
    assert len(upstream.calls) == 1


def test_a_result_is_stamped_when_its_check_ends(client, upstream, monkeypatch):
    # A check slower than the interval: stamped at its start, it would be stale on
    # arrival and every probe would start another.
    monkeypatch.setattr(health, "READINESS_INTERVAL_SECONDS", 0.5)
    expect_slow_check(upstream, 1)
    response = probe(client)
    assert response.status_code == 200
    health.wait_for_check()
    assert len(upstream.calls) == 1


def test_the_api_check_has_its_own_short_timeout(client, upstream, settings):
    settings.PE365_READINESS_TIMEOUT = 1.5
    expect_check(upstream)
    assert probe(client).status_code == 200
    connect, read = upstream.calls[0].request.req_kwargs["timeout"]
    assert connect <= 1.5 and read <= 1.5


def test_a_check_that_never_ends_reads_as_not_ready(client, upstream, monkeypatch):
    expect_slow_check(upstream, 1)
    monkeypatch.setattr(health, "_longest_check_seconds", lambda: 0.2)
    client.get("/readyz")
    time.sleep(0.3)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert b"has not finished" in response.content
    health.wait_for_check()


@pytest.fixture
def locked_database(settings):
    """Another connection holds the write lock (SQLite) or the sessions table (PostgreSQL)."""
    settings.PE365_READINESS_TIMEOUT = 0.3
    backend = load_backend(connection.settings_dict["ENGINE"])
    locker = backend.DatabaseWrapper(dict(connection.settings_dict), "locker")
    with locker.cursor() as cursor:
        if locker.vendor == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
            cursor.execute("DELETE FROM django_session")
        else:
            cursor.execute("BEGIN")
            cursor.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
        yield
        cursor.execute("ROLLBACK")
    locker.close()


@pytest.mark.usefixtures("locked_database")
def test_a_locked_database_is_not_ready(client, upstream):
    expect_check(upstream)
    started = time.monotonic()
    response = probe(client)
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    text = response.content.decode()
    assert text.startswith("not ready: database: ")
    assert "API" not in text, "the API itself answered"


def test_an_unreachable_database_is_not_ready(client, upstream, monkeypatch):
    expect_check(upstream)
    unreachable = {**connection.settings_dict, "NAME": "/nonexistent-dir/db.sqlite3"}
    if connection.vendor != "sqlite":
        unreachable = {**connection.settings_dict, "HOST": "127.0.0.1", "PORT": free_port()}
    monkeypatch.setattr(health, "database_settings", lambda: unreachable)
    response = probe(client)
    assert response.status_code == 503
    assert response.content.decode().startswith("not ready: database: ")


def test_a_cache_that_is_down_is_not_ready(client, upstream, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "dashboard.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    expect_check(upstream)
    response = probe(client)
    assert response.status_code == 503
    assert response.content == b"not ready: cache: unavailable (REDIS_URL does not answer).\n"
