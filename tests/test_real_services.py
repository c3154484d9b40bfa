"""The shared cache on a real Redis server and logins on a real PostgreSQL server.

scripts/services.sh starts both and exports TEST_REDIS_URL and TEST_DATABASE_URL
(`.ci/run` evals it). In CI (CI=true) a missing service fails these tests; on a
developer machine without the services they are skipped with the reason.
"""

import contextlib
import os
import socket
import subprocess
import threading
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
import requests
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client as BrowserClient

from devtools.servers import PYTHON, ROOT, dashboard, dashboard_env, session_cookie
from plans import services
from tests.helpers import (
    PLAN_ID,
    PLAN_URL,
    load_fixture,
    make_client,
)

pytestmark = pytest.mark.services

IN_CI = os.environ.get("CI", "").lower() == "true"


def service_url(variable: str) -> str:
    url = os.environ.get(variable, "")
    if not url:
        reason = f'{variable} is not set: run `eval "$(scripts/services.sh)"` first'
        if IN_CI:
            pytest.fail(f"CI must test against the real service, but {reason}")
        pytest.skip(reason)
    return url


@pytest.fixture
def redis_url() -> str:
    url = service_url("TEST_REDIS_URL")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.fail(f"TEST_REDIS_URL={url} does not answer: {error}")
    return url


def redis_caches(url: str) -> dict:
    """The CACHES setting dashboard/settings.py builds when REDIS_URL is `url`."""
    return {
        "default": {
            "BACKEND": "dashboard.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "pe365",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def redis_cache(settings, redis_url):
    """Django's cache on the real Redis test database, emptied before and after.

    Only that database (TEST_REDIS_URL's number, 15 in CI) is ever flushed.
    """
    settings.CACHES = redis_caches(redis_url)
    cache.clear()
    yield redis.Redis.from_url(redis_url)
    cache.clear()


# --- Redis ---------------------------------------------------------------------------------


def test_settings_use_redis_when_redis_url_is_set(redis_url):
    """Another process configured only by REDIS_URL stores its entries in that Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PE365_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="dashboard.settings",
        DJANGO_DEBUG="1",
        REDIS_URL=redis_url,
    )
    script = (
        "import django; django.setup()\n"
        "from django.core.cache import caches\n"
        "cache = caches['default']\n"
        "print(type(cache).__name__)\n"
        "cache.set('written-by-another-process', 'hello', 30)\n"
    )
    key = "pe365:1:written-by-another-process"  # KEY_PREFIX, version, key
    store = redis.Redis.from_url(redis_url)
    try:
        done = subprocess.run(
            [PYTHON, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == "ResilientRedisCache"  # Redis that fails soft
        assert store.exists(key), "the entry is in Redis, under the dashboard's key prefix"
    finally:
        store.delete(key)


def test_two_clients_share_an_answer_through_redis(upstream, redis_cache):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    first = make_client(cache_ttl=30)
    services.plan_get(client=first, api_id=PLAN_ID)
    second = make_client(cache_ttl=30)
    plan = services.plan_get(client=second, api_id=PLAN_ID)

    assert plan.name == load_fixture("plan_detail.json")["name"]
    assert len(upstream.calls) == 1
    assert second.fetched_at == first.fetched_at
    # The plan is kept as one entry: when it was fetched and the decoded answer.
    (key,) = redis_cache.keys("pe365:*")
    assert 0 < redis_cache.ttl(key) <= 30, "entries expire after PE365_CACHE_TTL"


def test_redis_keeps_accounts_apart(upstream, redis_cache):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    services.plan_get(client=make_client(cache_ttl=30), api_id=PLAN_ID)
    services.plan_get(client=make_client(cache_ttl=30, username="other-bot"), api_id=PLAN_ID)
    assert len(upstream.calls) == 2
    assert len(redis_cache.keys("pe365:*")) == 2, "one entry per account"


def test_refresh_renews_the_entry_in_redis(upstream, redis_cache):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json") | {"name": "Renamed"})
    services.plan_get(client=make_client(cache_ttl=30), api_id=PLAN_ID)
    services.plan_get(client=make_client(cache_ttl=30, bypass_cache=True), api_id=PLAN_ID)
    assert services.plan_get(client=make_client(cache_ttl=30), api_id=PLAN_ID).name == "Renamed"
    assert len(upstream.calls) == 2


# --- PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture
def postgres():
    service_url("TEST_DATABASE_URL")


def test_the_suite_runs_on_postgresql(postgres, db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("select version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")


def test_a_login_works_from_another_instance_sharing_the_database(postgres, db, hr_admin):
    """Sessions live in the shared database, so any instance behind the balancer knows you."""
    hr_admin.set_password("a-real-password-123")
    hr_admin.save()
    first_instance = BrowserClient()
    response = first_instance.post(
        "/accounts/login/", {"username": "hannah", "password": "a-real-password-123"}
    )
    assert response.status_code == 302
    session_key = first_instance.cookies["sessionid"].value
    stored = Session.objects.get(session_key=session_key)
    assert stored.get_decoded()[SESSION_KEY] == str(hr_admin.pk)

    another_instance = BrowserClient()
    another_instance.cookies["sessionid"] = session_key
    page = another_instance.get("/accounts/login/").content.decode()
    assert "Signed in as <strong>hannah</strong>" in page


class StoppableDatabase:
    """A TCP relay in front of the PostgreSQL server: `stop()` closes every connection and
    refuses new ones, as the dashboard sees a stopped server."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def test_with_postgresql_stopped_pages_are_a_503_naming_it_and_liveness_answers(postgres):
    real = urlsplit(service_url("TEST_DATABASE_URL"))
    name = f"{real.path.strip('/')}_outage"  # a fresh database of its own
    with psycopg.connect(urlunsplit(real._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    relay = StoppableDatabase(real.hostname or "127.0.0.1", real.port or 5432)
    relayed = real._replace(
        netloc=f"{real.username}:{real.password}@127.0.0.1:{relay.port}", path=f"/{name}"
    )
    env = dashboard_env(
        None,
        DJANGO_DEBUG="0",
        PE365_DEMO="1",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=urlunsplit(relayed),
    )
    with dashboard(env, server="gunicorn", gunicorn_args=("--workers", "1")) as url:
        cookie = {"Cookie": f"sessionid={session_cookie(env)}"}
        assert requests.get(f"{url}/admin/", headers=cookie, timeout=10).status_code == 200
        relay.stop()
        for path in ("/plans/", "/admin/", "/accounts/login/"):
            response = requests.get(
                f"{url}{path}", headers=cookie, timeout=30, allow_redirects=False
            )
            assert response.status_code == 503, (path, response.text[:300])
            assert "The dashboard&#x27;s database is not answering" in response.text
            assert "(PostgreSQL)" in response.text
            assert response.elapsed.total_seconds() < 5 + 1, "refused, not waited for"
        assert requests.get(f"{url}/healthz", headers=cookie, timeout=5).status_code == 200
