"""Every way the API can fail gives one clear page, the right status, in time, and one log line.

Each fault is tested three ways: the service against `responses`, the views against
`responses`, and the views against the real demo API process (plus a closed port and an
unresolvable host) over real HTTP. The dashboard maps faults to statuses like this:

- 504: the API did not answer within PE365_TIMEOUT;
- 503: the API is unreachable, answered 5xx, or kept throttling (429);
- 502: the API answered, but refused our key (401/403) or sent something unreadable.
"""

import base64
import html
import logging
import time
from dataclasses import dataclass

import pytest
import requests

from devtools.servers import (
    dashboard,
    dashboard_env,
    demo_api,
    free_port,
    log_in,
)
from plans import services
from plans.exceptions import (
    CredentialsRejected,
    MalformedResponse,
    UpstreamError,
    UpstreamThrottled,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tests.helpers import PLAN_ID, PLAN_URL, PLANS_URL

API_KEY = "test-api-key-0123456789"
DEMO_KEY = "demo-key"
TIMEOUT = 1.0
# The budget covers the upstream call; this margin covers rendering and the test client.
MARGIN = 0.5


@dataclass(frozen=True)
class Fault:
    kind: str  # the demo API's name for it (see demo_api/server.py)
    error: type[UpstreamError]
    status: int
    sentence: str  # in plain words, for the HR admin
    detail: str  # in the details for the dashboard's administrator
    logged: str  # what the log line says after "->"


FAULTS = [
    Fault(
        "slow:3",
        UpstreamTimeout,
        504,
        "did not answer within 1 seconds",
        "PE365_TIMEOUT",
        "UpstreamTimeout",
    ),
    Fault("500", UpstreamUnavailable, 503, "answered with a server error", "HTTP 500", "500"),
    Fault("502", UpstreamUnavailable, 503, "answered with a server error", "HTTP 502", "502"),
    Fault("503", UpstreamUnavailable, 503, "answered with a server error", "HTTP 503", "503"),
    Fault("429:1", UpstreamThrottled, 503, "too many requests right now", "HTTP 429", "429"),
    Fault(
        "401",
        CredentialsRejected,
        502,
        "check its API key",
        "Check PE365_API_USERNAME and PE365_API_KEY",
        "401",
    ),
    Fault(
        "403",
        CredentialsRejected,
        502,
        "check its API key",
        "set PE365_API_USERNAME and PE365_API_KEY",
        "403",
    ),
    Fault("malformed", MalformedResponse, 502, "could not read", "not JSON", "200"),
    Fault("wrong-shape", MalformedResponse, 502, "could not read", "The answer to GET", "200"),
    Fault("html", MalformedResponse, 502, "could not read", "not JSON", "200"),
    Fault(
        "close",
        UpstreamUnavailable,
        503,
        "could not be reached",
        "PE365_API_URL",
        "UpstreamUnreachable",
    ),
]
REFUSED = Fault(
    "refused",
    UpstreamUnavailable,
    503,
    "could not be reached",
    "PE365_API_URL",
    "UpstreamUnreachable",
)
UNRESOLVABLE = Fault(
    "dns", UpstreamUnavailable, 503, "could not be reached", "PE365_API_URL", "UpstreamUnreachable"
)
ids = [fault.kind for fault in FAULTS]


def mock_fault(upstream, url: str, kind: str) -> None:
    """Register with `responses` what the API sends for `kind`, on every attempt.

    (One registration answers any number of calls, so retries see the same fault.)
    """
    if kind.startswith("slow"):
        upstream.get(url, body=requests.ReadTimeout("read timed out"))
    elif kind in ("500", "502", "503", "401", "403"):
        upstream.get(url, status=int(kind), json={"detail": "…"})
    elif kind.startswith("429"):
        upstream.get(url, status=429, headers={"Retry-After": "1"}, json={"detail": "…"})
    elif kind in ("malformed", "html"):
        body = '{"count": 3, "results": [' if kind == "malformed" else "<html>maintenance</html>"
        upstream.get(url, status=200, body=body)
    elif kind == "wrong-shape":
        upstream.get(url, status=200, json={"count": 3, "results": "oops"})
    elif kind in ("close", "refused", "dns"):
        upstream.get(url, body=requests.ConnectionError("connection failed"))
    else:
        raise AssertionError(kind)


def upstream_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "plans.api.transport"]


def assert_one_log_line(caplog, path: str, fault: Fault) -> None:
    (line,) = upstream_lines(caplog)
    assert line.startswith(f"upstream GET {path} -> {fault.logged} in ")
    assert line.endswith(" ms")


def assert_fault_page(response, fault: Fault, secrets: tuple[str, ...]) -> None:
    page = response.content.decode()
    assert response.status_code == fault.status, page
    assert fault.sentence in page
    assert html.escape(fault.detail) in page
    assert "Traceback" not in page
    for secret in secrets:
        assert secret not in page


def basic(username: str, key: str) -> str:
    return base64.b64encode(f"{username}:{key}".encode()).decode()


# --- The service against responses -------------------------------------------------------


@pytest.mark.parametrize("fault", [*FAULTS, REFUSED, UNRESOLVABLE], ids=[*ids, "refused", "dns"])
def test_the_service_maps_each_fault_to_one_exception_and_one_log_line(upstream, caplog, fault):
    mock_fault(upstream, PLANS_URL, fault.kind)
    client = services.Client(
        root="https://pe365.test",
        username="dashboard-bot",
        api_key=API_KEY,
        timeout=TIMEOUT,
        cache_ttl=0,
    )
    with (
        caplog.at_level(logging.INFO, logger="plans.api.transport"),
        pytest.raises(fault.error) as e,
    ):
        services.plan_list(client=client, limit=25, offset=0)
    raised = e
    assert raised.value.status_code == fault.status
    assert fault.sentence in raised.value.message
    assert fault.detail in raised.value.detail
    assert_one_log_line(caplog, "/api/v2/conversation_plans/", fault)
    assert API_KEY not in caplog.text and API_KEY not in str(raised.value)


# --- The views against responses ------------------------------------------------------------


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fault", [*FAULTS, REFUSED], ids=[*ids, "refused"])
def test_the_list_shows_each_fault_as_a_page_with_the_right_status(
    admin_client, upstream, caplog, settings, fault
):
    settings.PE365_TIMEOUT = TIMEOUT
    mock_fault(upstream, PLANS_URL, fault.kind)
    with caplog.at_level(logging.INFO, logger="plans.api.transport"):
        response = admin_client.get("/plans/")
    assert_fault_page(response, fault, (API_KEY, basic("dashboard-bot", API_KEY)))
    assert_one_log_line(caplog, "/api/v2/conversation_plans/", fault)
    assert API_KEY not in caplog.text


@pytest.mark.parametrize("fault", FAULTS, ids=ids)
def test_the_detail_shows_each_fault_as_a_page_with_the_right_status(
    admin_client, upstream, caplog, settings, fault
):
    settings.PE365_TIMEOUT = TIMEOUT
    mock_fault(upstream, PLAN_URL, fault.kind)
    with caplog.at_level(logging.INFO, logger="plans.api.transport"):
        response = admin_client.get(f"/plans/{PLAN_ID}/")
    assert_fault_page(response, fault, (API_KEY,))
    assert_one_log_line(caplog, PLAN_URL.removeprefix("https://pe365.test"), fault)


def test_a_timeout_page_says_how_long_the_dashboard_waited(admin_client, upstream, settings):
    settings.PE365_TIMEOUT = 10
    upstream.get(PLANS_URL, body=requests.ReadTimeout("read timed out"))
    page = admin_client.get("/plans/").content.decode()
    assert (
        "Perform &amp; Engage 365 did not answer within 10 seconds. Try again in a minute."
    ) in page


# --- The views against the real demo API, a closed port and an unknown host ---------------


@pytest.fixture(scope="module")
def api():
    with demo_api() as server:
        yield server


@pytest.fixture
def real_api(settings, api):
    """Point the in-process dashboard at the demo API process, with a 1 s budget."""
    settings.PE365_API_URL = api.url
    settings.PE365_API_USERNAME = "demo"
    settings.PE365_API_KEY = DEMO_KEY
    settings.PE365_TIMEOUT = TIMEOUT
    return api


def timed_get(client, path: str, params=None):
    started = time.monotonic()
    response = client.get(path, params)
    return response, time.monotonic() - started


@pytest.mark.e2e
@pytest.mark.parametrize("fault", FAULTS, ids=ids)
def test_each_demo_api_fault_gives_its_page_in_time_on_the_list(
    admin_client, real_api, caplog, fault
):
    with caplog.at_level(logging.INFO, logger="plans.api.transport"):
        response, elapsed = timed_get(admin_client, "/plans/", {"name": f"!fault:{fault.kind}"})
    assert_fault_page(response, fault, (DEMO_KEY, basic("demo", DEMO_KEY)))
    assert elapsed < TIMEOUT + MARGIN
    assert_one_log_line(caplog, "/api/v2/conversation_plans/", fault)


@pytest.mark.e2e
@pytest.mark.parametrize("fault", FAULTS, ids=ids)
def test_each_demo_api_fault_gives_its_page_in_time_on_a_detail(
    admin_client, real_api, caplog, fault
):
    with caplog.at_level(logging.INFO, logger="plans.api.transport"):
        response, elapsed = timed_get(admin_client, f"/plans/!fault:{fault.kind}/")
    assert_fault_page(response, fault, (DEMO_KEY, basic("demo", DEMO_KEY)))
    assert elapsed < TIMEOUT + MARGIN
    (line,) = upstream_lines(caplog)
    assert line.startswith("upstream GET /api/v2/conversation_plans/%21fault%3A")


@pytest.mark.e2e
def test_a_closed_port_is_unavailable_in_time(admin_client, settings, caplog):
    settings.PE365_API_URL = f"http://127.0.0.1:{free_port()}"
    settings.PE365_TIMEOUT = TIMEOUT
    with caplog.at_level(logging.INFO, logger="plans.api.transport"):
        response, elapsed = timed_get(admin_client, "/plans/")
    assert_fault_page(response, REFUSED, (API_KEY,))
    assert elapsed < TIMEOUT + MARGIN
    assert_one_log_line(caplog, "/api/v2/conversation_plans/", REFUSED)


@pytest.mark.e2e
def test_an_unresolvable_host_is_unavailable_in_time(admin_client, settings, caplog):
    # .invalid never resolves (RFC 2606), so this needs no network.
    settings.PE365_API_URL = "http://pe365.invalid"
    settings.PE365_TIMEOUT = TIMEOUT
    with caplog.at_level(logging.INFO, logger="plans.api.transport"):
        response, elapsed = timed_get(admin_client, "/plans/")
    assert_fault_page(response, UNRESOLVABLE, (API_KEY,))
    assert "PE365_API_URL" in response.content.decode()
    assert elapsed < TIMEOUT + MARGIN
    assert_one_log_line(caplog, "/api/v2/conversation_plans/", UNRESOLVABLE)


@pytest.mark.e2e
def test_throttling_that_clears_within_the_budget_is_retried(admin_client, real_api, settings):
    """A 429 whose Retry-After fits the budget is waited out and retried (then fails again:
    the magic value throttles every attempt), so the page still comes within budget."""
    settings.PE365_TIMEOUT = 3
    real_api.reset_stats()
    response, elapsed = timed_get(admin_client, "/plans/", {"name": "!fault:429:1"})
    assert response.status_code == 503
    # Waits of 1 s while they fit the 3 s budget: three attempts, the last wait not taken.
    assert 2.0 <= elapsed < 3 + MARGIN
    assert real_api.stats()["requests"] == 3


# --- The real dashboard process, as a person would see it -----------------------------------


@pytest.mark.e2e
def test_a_person_sees_each_fault_page_over_real_http(api):
    with dashboard(dashboard_env(api.url, PE365_TIMEOUT=str(TIMEOUT))) as site:
        session = log_in(site)
        for fault in FAULTS:
            started = time.monotonic()
            response = session.get(
                f"{site}/plans/", params={"name": f"!fault:{fault.kind}"}, timeout=10
            )
            assert time.monotonic() - started < TIMEOUT + MARGIN, fault.kind
            assert response.status_code == fault.status, fault.kind
            assert fault.sentence in response.text, fault.kind
            assert DEMO_KEY not in response.text


@pytest.mark.e2e
def test_make_run_can_show_a_fault_on_every_page_with_pe365_demo_fault():
    env = dashboard_env(None, PE365_DEMO_FAULT="401")
    with dashboard(env) as site:
        response = log_in(site).get(f"{site}/plans/", timeout=10)
        assert response.url == f"{site}/plans/"
        assert response.status_code == 502
        assert "Check PE365_API_USERNAME and PE365_API_KEY" in response.text
        assert requests.get(f"{site}/readyz", timeout=10).status_code == 503
