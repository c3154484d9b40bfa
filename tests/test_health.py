"""/healthz and /readyz: no login, plain text, no secrets, no HTTPS redirect."""

import pytest
import requests
from responses import matchers

from plans import health
from tests.conftest import AUTH_HEADER, PLANS_URL, plan_page

pytestmark = pytest.mark.django_db

API_KEY = "test-api-key-0123456789"


@pytest.fixture(autouse=True)
def _forget_readiness():
    health.forget_readiness()
    yield
    health.forget_readiness()


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
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.content == b"ready\n"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"status": 401, "json": {"detail": "Invalid username/password."}}, "PE365_API_KEY"),
        ({"status": 500, "json": {}}, "HTTP 500"),
        ({"body": requests.ReadTimeout("slow")}, "did not answer within 10 seconds"),
        ({"body": requests.ConnectionError("refused")}, "could not be reached"),
        ({"json": {"unexpected": True}}, "could not read"),
        ({"status": 404, "json": {"detail": "Not found."}}, "no plans API at PE365_API_URL"),
    ],
)
def test_readyz_is_503_with_a_reason_when_the_api_fails(
    client, upstream, monkeypatch, kwargs, reason
):
    monkeypatch.setattr("plans.api.transport.time.sleep", lambda seconds: None)
    expect_check(upstream, **kwargs)
    response = client.get("/readyz")
    assert response.status_code == 503
    text = response.content.decode()
    assert text.startswith("not ready: ") and reason in text
    assert API_KEY not in text and "dashboard-bot" not in text


def test_readyz_bypasses_the_shared_cache(client, upstream, settings, monkeypatch):
    monkeypatch.setattr("plans.api.transport.time.sleep", lambda seconds: None)
    settings.PE365_CACHE_TTL = 30
    expect_check(upstream)
    expect_check(upstream, status=503, json={})
    assert client.get("/readyz").status_code == 200
    health.forget_readiness()
    assert client.get("/readyz").status_code == 503


def test_readyz_checks_the_api_at_most_once_per_interval(client, upstream, monkeypatch):
    expect_check(upstream)
    assert client.get("/readyz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert len(upstream.calls) == 1
    clock = health.time.monotonic() + health.READINESS_INTERVAL_SECONDS
    monkeypatch.setattr(health.time, "monotonic", lambda: clock)
    client.get("/readyz")
    assert len(upstream.calls) == 2


def test_health_checks_are_not_redirected_to_https(client, upstream, settings):
    settings.SECURE_SSL_REDIRECT = True
    expect_check(upstream)
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/plans/").status_code == 301  # everything else is


def test_health_checks_accept_only_get_and_head(client):
    assert client.post("/healthz").status_code == 405
    assert client.head("/healthz").status_code == 200
