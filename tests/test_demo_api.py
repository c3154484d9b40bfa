"""The built-in demo API, over real HTTP with ``requests`` (no Django involved)."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from demo_api import DEMO_API_KEY, DEMO_USERNAME, DemoServer, data, start_demo_server

ROOT = Path(__file__).resolve().parent.parent
PLANS = "/api/v2/conversation_plans/"
TEMPLATES = "/api/v2/conversation_templates/"
CONVERSATIONS = "/api/v2/conversations/"
USERS = "/api/v2/users/"
CONVERSATION_FIELDS = {
    "api_id",
    "template_api_id",
    "template_name",
    "plan_name",
    "plan_api_id",
    "stage_name",
    "stage_api_id",
    "status",
    "updated_date",
    "completed_date",
    "generated_date",
    "person_api_id",
    "person_name",
}
AUTH = (DEMO_USERNAME, DEMO_API_KEY)
TIMEOUT = 5
LIST_FIELDS = {"name", "api_id", "template_name", "template_api_id", "status", "frequency"}
ID_RE = re.compile(r"^\d{3}:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    demo = start_demo_server()
    yield demo
    demo.stop()


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.auth = AUTH
        yield s


@pytest.fixture
def get(server: DemoServer, session: requests.Session):
    def _get(path: str, timeout: float = TIMEOUT, **params: object) -> requests.Response:
        return session.get(server.url + path, params=params, timeout=timeout)

    return _get


def plan_named(name: str) -> dict:
    return next(plan for plan in data.plans() if plan["name"] == name)


def plan_path(api_id: str) -> str:
    return PLANS + quote(api_id, safe="") + "/"


# -- authentication ------------------------------------------------------------------------------


def test_missing_credentials_are_401_with_challenge(server: DemoServer) -> None:
    response = requests.get(server.url + PLANS, timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="api"'
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize("auth", [("demo", "wrong"), ("someone", DEMO_API_KEY), ("", "")])
def test_wrong_credentials_are_401(server: DemoServer, auth: tuple[str, str]) -> None:
    response = requests.get(server.url + PLANS, auth=auth, timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="api"'
    assert response.json() == {"detail": "Invalid username/password."}


def test_custom_credentials() -> None:
    demo = start_demo_server(username="bot", api_key="s3cret")
    try:
        ok = requests.get(demo.url + PLANS, auth=("bot", "s3cret"), timeout=TIMEOUT)
        default = requests.get(demo.url + PLANS, auth=AUTH, timeout=TIMEOUT)
    finally:
        demo.stop()
    assert (ok.status_code, default.status_code) == (200, 401)


# -- plans list and pagination ------------------------------------------------------------------


def test_list_first_page(server: DemoServer, get) -> None:
    response = get(PLANS)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    page = response.json()
    assert page["count"] == 150
    assert len(page["results"]) == 50
    assert page["next"] == f"{server.url}{PLANS}?limit=50&offset=50"
    assert page["previous"] is None
    assert all(set(item) == LIST_FIELDS for item in page["results"])
    assert page["results"][0]["name"] == data.COMPANY_WIDE_PLAN_NAME


def test_limit_is_capped_at_100(server: DemoServer, get) -> None:
    page = get(PLANS, limit=500).json()
    assert len(page["results"]) == 100
    assert page["next"] == f"{server.url}{PLANS}?limit=100&offset=100"


@pytest.mark.parametrize("limit", ["0", "-1", "abc", ""])
def test_bad_limit_falls_back_to_default(get, limit: str) -> None:
    assert len(get(PLANS, limit=limit).json()["results"]) == 50


def test_bad_offset_becomes_zero(get) -> None:
    page = get(PLANS, offset="abc", limit=10).json()
    assert page["results"][0]["name"] == data.COMPANY_WIDE_PLAN_NAME
    assert page["previous"] is None


def test_offset_past_end_is_empty_page(server: DemoServer, get) -> None:
    page = get(PLANS, offset=1000).json()
    assert page["count"] == 150
    assert page["results"] == []
    assert page["next"] is None
    assert page["previous"] == f"{server.url}{PLANS}?limit=50&offset=950"


def test_last_page_has_no_next(get) -> None:
    page = get(PLANS, offset=140, limit=20).json()
    assert len(page["results"]) == 10
    assert page["next"] is None


def test_next_and_previous_urls_are_drf_exact(server: DemoServer, get) -> None:
    # A filter with a space and a non-ASCII letter, plus an unknown parameter: DRF sorts the
    # parameters and re-encodes them with "+" for spaces.
    name = "Évaluation annuelle"
    count = sum(name.casefold() in p["name"].casefold() for p in data.plans())
    assert count > 12
    query = "limit=5&name=%C3%89valuation+annuelle"
    base = f"{server.url}{PLANS}?"

    page = get(PLANS, zeta="z z", name=name, limit=5, offset=7).json()
    assert page["count"] == count
    assert page["next"] == f"{base}{query}&offset=12&zeta=z+z"
    assert page["previous"] == f"{base}{query}&offset=2&zeta=z+z"

    # When offset - limit <= 0, the offset parameter is dropped from "previous".
    for offset in (3, 5):
        page = get(PLANS, name=name, limit=5, offset=offset).json()
        assert page["previous"] == f"{base}{query}"


def test_name_and_template_filters(get) -> None:
    zurich = get(PLANS, name="zürich", limit=100).json()
    assert zurich["count"] > 0
    assert all("zürich" in item["name"].casefold() for item in zurich["results"])

    both = get(PLANS, name="zürich", template_name="CHECK-IN", limit=100).json()
    assert 0 < both["count"] <= zurich["count"]
    assert {item["template_name"] for item in both["results"]} == {"Weekly Check-in"}
    expected = [
        p["api_id"]
        for p in data.plans()
        if "zürich" in p["name"].casefold() and p["template_name"] == "Weekly Check-in"
    ]
    assert [item["api_id"] for item in both["results"]] == expected

    assert get(PLANS, name="no such plan").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


# -- plan detail ---------------------------------------------------------------------------------


def test_detail_with_encoded_and_raw_colon(server: DemoServer, get) -> None:
    plan = data.plans()[3]
    encoded = get(plan_path(plan["api_id"]))
    raw = get(f"{PLANS}{plan['api_id']}/")
    assert "%3A" in encoded.url
    assert encoded.status_code == raw.status_code == 200
    body = encoded.json()
    assert body == raw.json() == plan
    assert set(body) == LIST_FIELDS | {"assigned_users", "assigned_departments"}
    assert all(set(u) == {"api_id", "name", "email"} for u in body["assigned_users"])
    assert all(set(d) == {"api_id", "name"} for d in body["assigned_departments"])


@pytest.mark.parametrize(
    "path",
    [
        plan_path("580:00000000-0000-4000-8000-000000000000"),
        "/api/v2/conversation_plans/580:58f96337-f9c3-4ea0-88ed-7ad612670078",  # no slash
        "/api/v2/departments/",
        "/api/v2/conversations/abc/",
        "/api/v2/",
        "/elsewhere",
    ],
)
def test_unknown_object_or_path_is_404(get, path: str) -> None:
    response = get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_non_get_is_405(server: DemoServer, session: requests.Session) -> None:
    response = session.post(server.url + PLANS, json={"name": "x"}, timeout=TIMEOUT)
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}
    # The drained request body must not spoil the kept-alive connection.
    assert session.get(server.url + PLANS, timeout=TIMEOUT).status_code == 200


def test_keep_alive_serves_several_requests_on_one_connection(server: DemoServer) -> None:
    host, port = server.httpd.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    headers = {"Authorization": "Basic " + base64.b64encode(b"demo:demo-key").decode()}
    try:
        for path in (PLANS, TEMPLATES, plan_path(data.plans()[0]["api_id"])):
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            assert response.status == 200
            json.loads(response.read())
        assert not response.will_close
    finally:
        connection.close()


# -- the data set --------------------------------------------------------------------------------


def test_special_plans(get) -> None:
    big = plan_named(data.COMPANY_WIDE_PLAN_NAME)
    detail = get(plan_path(big["api_id"])).json()
    assert detail["status"] == "active"
    assert len(detail["assigned_users"]) == 3000
    assert len({u["api_id"] for u in detail["assigned_users"]}) == 3000

    empty = get(plan_path(plan_named(data.UNASSIGNED_PLAN_NAME)["api_id"])).json()
    assert empty["status"] == "draft"
    assert empty["assigned_users"] == empty["assigned_departments"] == []


def test_data_set_shape() -> None:
    plans = data.plans()
    assert len(plans) == 150
    assert len({p["name"] for p in plans}) == 149
    namesakes = [p for p in plans if p["name"] == data.SHARED_PLAN_NAME]
    assert len(namesakes) == 2 and namesakes[1] is plans[-1]
    assert all(p["status"] == "active" and p["assigned_users"] for p in namesakes)
    assert {p["status"] for p in plans} == {"active", "draft"}
    assert sum(p["status"] == "active" for p in plans) > 100
    frequencies = [p["frequency"] for p in plans]
    assert frequencies.count(None) >= 3
    assert set(frequencies) == {
        None,
        "Weekly",
        "Every 2 weeks",
        "Every 4 weeks",
        "Monthly",
        "Quarterly",
        "Annually",
    }
    assert any(not p["name"].isascii() for p in plans)
    assert [p for p in plans if not p["assigned_users"] and not p["assigned_departments"]] == [
        plan_named(data.UNASSIGNED_PLAN_NAME)
    ]
    assert [p["name"] for p in plans if len(p["assigned_users"]) > 60] == [
        data.COMPANY_WIDE_PLAN_NAME
    ]
    ids = [p["api_id"] for p in plans] + [t["api_id"] for t in data.templates()]
    assert all(ID_RE.match(i) for i in ids)
    assert all(i.startswith("580:") for i in ids)
    users = {u["api_id"]: u for p in plans for u in p["assigned_users"]}
    assert all(i.startswith("582:") for i in users)
    assert len({u["email"] for u in users.values()}) == len(users)
    departments = {d["api_id"] for p in plans for d in p["assigned_departments"]}
    assert len(departments) == 25
    assert all(i.startswith("442:") for i in departments)


def test_generation_is_deterministic_across_processes() -> None:
    first = data.generate()  # built afresh, while dataset() was cached by earlier tests
    assert first == data.dataset()

    # Another interpreter with another hash seed must produce the very same bytes.
    script = (
        "import hashlib, json; from demo_api import data; d = data.generate(); "
        "print(hashlib.sha256(json.dumps([d.templates, d.plans, d.conversations, d.people])"
        ".encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    digest = hashlib.sha256(
        json.dumps([first.templates, first.plans, first.conversations, first.people]).encode()
    ).hexdigest()
    assert out.stdout.strip() == digest, out.stderr


# -- templates and conversations -----------------------------------------------------------------


def test_templates_list_and_detail(get) -> None:
    page = get(TEMPLATES).json()
    assert page["count"] == 8
    fields = {"api_id", "name", "active", "draft", "deleted", "created_date", "updated_date"}
    assert all(set(t) == fields for t in page["results"])
    assert any(t["draft"] and not t["active"] for t in page["results"])
    assert all(
        re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", t["created_date"]) for t in page["results"]
    )

    exact = get(TEMPLATES, name="weekly CHECK-IN").json()["results"]
    assert [t["name"] for t in exact] == ["Weekly Check-in"]
    assert get(TEMPLATES, name="Weekly").json()["count"] == 0
    contains = get(TEMPLATES, name_icontains="REVIEW").json()["results"]
    assert {t["name"] for t in contains} == {"Quarterly Review", "Performance Review"}

    template = data.templates()[4]
    assert get(TEMPLATES + quote(template["api_id"], safe="") + "/").json() == template
    assert get(TEMPLATES + "580:nope/").status_code == 404


def test_conversations_follow_plan_assignments(get) -> None:
    big = plan_named(data.COMPANY_WIDE_PLAN_NAME)
    name = big["name"].upper()  # the filter is case-insensitive
    everything = get(CONVERSATIONS, plan_name=name, limit=100).json()
    counts = {
        status: get(CONVERSATIONS, plan_name=name, status=status).json()["count"]
        for status in ("draft", "final", "deleted", "archived")
    }
    assert everything["count"] == sum(counts.values())
    # The plan's pages at 100 a page: the first, then four rounds of eight at most.
    assert 3000 < everything["count"] <= 3300
    assert all(counts.values())
    assert all(set(c) == CONVERSATION_FIELDS for c in everything["results"])

    assigned = {u["api_id"] for u in big["assigned_users"]}
    convs = [c for c in data.conversations() if c["plan_api_id"] == big["api_id"]]
    started = {c["person_api_id"] for c in convs}
    assert started < assigned, "some assigned people have no conversation yet"
    assert 150 < len(assigned - started) < 250
    for conversation in convs:
        final = conversation["status"] == "final"
        assert (conversation["stage_name"] == "Final") == final
        assert (conversation["completed_date"] is not None) == final
        assert conversation["generated_date"] <= conversation["updated_date"]

    person = convs[0]["person_name"]
    by_person = get(CONVERSATIONS, person_name=person, limit=100).json()
    assert by_person["count"] >= 1
    assert {c["person_name"] for c in by_person["results"]} == {person}

    unassigned = get(CONVERSATIONS, plan_name=data.UNASSIGNED_PLAN_NAME).json()
    assert unassigned["count"] == 0
    assert get(CONVERSATIONS).json()["count"] == len(data.conversations())


def rounds_by_person(plan: dict) -> dict[str, list[dict]]:
    rounds: dict[str, list[dict]] = {}
    for conversation in data.conversations():
        if conversation["plan_api_id"] == plan["api_id"]:
            rounds.setdefault(conversation["person_api_id"], []).append(conversation)
    return rounds


def test_recurring_plans_have_rounds_older_ones_completed() -> None:
    big = plan_named(data.COMPANY_WIDE_PLAN_NAME)
    assert big["frequency"] == "Quarterly"
    rounds = rounds_by_person(big)
    several = {
        person: [c for c in convs if c["status"] in ("draft", "final")]
        for person, convs in rounds.items()
    }
    several = {person: convs for person, convs in several.items() if len(convs) > 1}
    assert len(several) > 100
    saw_latest_in_progress = False
    for convs in several.values():
        ordered = sorted(convs, key=lambda c: c["generated_date"])
        assert all(c["status"] == "final" for c in ordered[:-1])
        saw_latest_in_progress |= ordered[-1]["status"] == "draft"
    assert saw_latest_in_progress

    one_off = next(p for p in data.plans() if p["status"] == "active" and not p["frequency"])
    assert all(
        len([c for c in convs if c["status"] in ("draft", "final")]) == 1
        for convs in rounds_by_person(one_off).values()
    )


def test_deleted_and_archived_conversations_come_after_the_current_one() -> None:
    hidden = [c for c in data.conversations() if c["status"] in ("deleted", "archived")]
    assert {c["status"] for c in hidden} == {"deleted", "archived"}
    for conversation in hidden:
        plan = data.plan_by_id(conversation["plan_api_id"])
        assert plan is not None
        current = [
            c
            for c in rounds_by_person(plan)[conversation["person_api_id"]]
            if c["status"] in ("draft", "final")
        ]
        assert max(c["generated_date"] for c in current) < conversation["generated_date"]


@pytest.mark.parametrize(
    "filters",
    [
        {"plan_name": data.SHARED_PLAN_NAME.upper()},
        {"person_name": "JÜRGEN MÜLLER", "status": "final"},
        {"plan_name": data.COMPANY_WIDE_PLAN_NAME, "person_name": "jürgen müller"},
        {"plan_name": data.COMPANY_WIDE_PLAN_NAME, "template_name": "engagement survey"},
        {"template_name": "Manager 1:1", "status": "draft"},
    ],
)
def test_conversations_filters_are_exact_case_insensitive_and_keep_the_order(
    get, filters: dict[str, str]
) -> None:
    expected = [
        c
        for c in data.conversations()
        if all(c[key].casefold() == value.casefold() for key, value in filters.items())
    ]
    assert expected
    found: list[dict] = []
    while len(found) < len(expected):
        page = get(CONVERSATIONS, **filters, limit=100, offset=len(found)).json()
        assert page["count"] == len(expected) and page["results"]
        found.extend(page["results"])
    assert found == expected


def test_indexed_conversations_are_those_a_scan_finds() -> None:
    for key in ("plan_name", "person_name"):
        for name in sorted({c[key] for c in data.conversations()})[:40]:
            folded = name.upper().casefold()
            # Not always the name's own conversations: "Yılmaz".upper() is "YILMAZ".
            scanned = [c for c in data.conversations() if c[key].casefold() == folded]
            assert data.conversations_named(key, name.upper()) == scanned
    assert data.conversations_named("plan_name", "Check-in – Zürich") == []  # exact, not partial


def test_two_plans_sharing_a_name_share_the_conversation_filter(get) -> None:
    first, second = (p for p in data.plans() if p["name"] == data.SHARED_PLAN_NAME)
    page = get(CONVERSATIONS, plan_name=data.SHARED_PLAN_NAME, limit=100).json()
    assert {c["plan_api_id"] for c in page["results"]} == {first["api_id"], second["api_id"]}


# -- users -----------------------------------------------------------------------------------------


def test_users_have_departments_managers_and_activity(get) -> None:
    page = get(USERS).json()
    assert page["count"] == data.USER_COUNT
    assert len(page["results"]) == 50
    person = page["results"][0]
    assert set(person) == {"api_id", "name", "email", "departments", "manager", "is_active"}
    assert person["departments"] and set(person["departments"][0]) == {"api_id", "name"}
    people = data.people()
    assert any(p["manager"] is None for p in people)
    assert all(set(p["manager"]) == {"name", "email", "api_id"} for p in people if p["manager"])
    assert any(not p["is_active"] for p in people)
    assigned = {u["api_id"] for plan in data.plans() for u in plan["assigned_users"]}
    assert assigned <= {p["api_id"] for p in people}
    assert len(get(USERS, limit=500).json()["results"]) == 100


def test_users_filters_are_partial_and_case_insensitive(get) -> None:
    people = data.people()
    by_name = get(USERS, name="MÜLLER", limit=100).json()
    assert by_name["count"] == sum("müller" in p["name"].casefold() for p in people) > 1
    assert all("müller" in p["name"].casefold() for p in by_name["results"])

    finance = get(USERS, department_name="financ", limit=100).json()["results"]
    assert finance and all(any(d["name"] == "Finance" for d in p["departments"]) for p in finance)

    manager = next(p["manager"] for p in people if p["manager"])
    managed = get(USERS, manager_name=manager["name"].lower(), limit=100).json()["results"]
    assert managed and all(manager["name"] in p["manager"]["name"] for p in managed)

    inactive = get(USERS, is_active="false", limit=100).json()
    assert inactive["count"] == sum(not p["is_active"] for p in people)
    assert get(USERS, is_active="maybe").json()["count"] == data.USER_COUNT
    combined = get(USERS, name="müller", is_active="true", limit=100).json()["results"]
    assert all(p["is_active"] and "müller" in p["name"].casefold() for p in combined)


def test_conversations_reject_unknown_status(get) -> None:
    response = get(CONVERSATIONS, status="done")
    assert response.status_code == 400
    assert response.json() == {
        "status": ["Select a valid choice. done is not one of the available choices."]
    }


# -- latency, faults and statistics ------------------------------------------------------------


def test_latency_delays_api_requests() -> None:
    demo = start_demo_server(latency_ms=150)
    try:
        started = time.monotonic()
        response = requests.get(demo.url + TEMPLATES, auth=AUTH, timeout=TIMEOUT)
        elapsed = time.monotonic() - started
    finally:
        demo.stop()
    assert response.status_code == 200
    assert elapsed >= 0.15


@pytest.mark.parametrize(
    ("kind", "status", "detail"),
    [
        ("500", 500, "A server error occurred."),
        ("502", 502, "A server error occurred."),
        ("503", 503, "Service temporarily unavailable, try again later."),
        ("504", 504, "A server error occurred."),
        ("403", 403, "You do not have permission to perform this action."),
        ("401", 401, "Invalid username/password."),
        ("429", 429, "Request was throttled. Expected available in 1 second."),
        ("429:3", 429, "Request was throttled. Expected available in 3 seconds."),
    ],
)
def test_error_status_faults(get, kind: str, status: int, detail: str) -> None:
    response = get(PLANS, name=f"!fault:{kind}")
    assert response.status_code == status
    assert response.json() == {"detail": detail}
    if status == 429:
        assert response.headers["Retry-After"] == (kind.partition(":")[2] or "1")
    if status == 401:
        assert response.headers["WWW-Authenticate"] == 'Basic realm="api"'


@pytest.mark.parametrize(
    "path_and_params",
    [
        (plan_path("!fault:502"), {}),
        (TEMPLATES + quote("!fault:502", safe="") + "/", {}),
        (CONVERSATIONS, {"plan_name": "!fault:502"}),
        (CONVERSATIONS, {"person_name": "!fault:502"}),
        (USERS, {"name": "!fault:502"}),
    ],
)
def test_magic_values_on_every_endpoint(get, path_and_params: tuple[str, dict]) -> None:
    path, params = path_and_params
    assert get(path, **params).status_code == 502


def test_auth_is_checked_before_request_faults(server: DemoServer) -> None:
    response = requests.get(server.url + PLANS, params={"name": "!fault:500"}, timeout=TIMEOUT)
    assert response.status_code == 401


def test_malformed_fault(get) -> None:
    response = get(PLANS, name="!fault:malformed")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_wrong_shape_fault(get) -> None:
    listing = get(PLANS, name="!fault:wrong-shape")
    assert listing.status_code == 200
    assert isinstance(listing.json()["results"], str)
    assert get(plan_path("!fault:wrong-shape")).json() == ["unexpected"]


def test_html_fault(get) -> None:
    response = get(PLANS, name="!fault:html")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html>" in response.text


def test_close_fault(get) -> None:
    with pytest.raises(requests.ConnectionError):
        get(PLANS, name="!fault:close")
    assert get(PLANS).status_code == 200  # the session recovers with a fresh connection


def test_slow_fault(get) -> None:
    with pytest.raises(requests.ReadTimeout):
        get(PLANS, timeout=0.1, name="!fault:slow:0.3")
    started = time.monotonic()
    response = get(plan_path("!fault:slow:0.05"))
    assert time.monotonic() - started >= 0.05
    assert response.json()["api_id"] == "!fault:slow:0.05"  # after the pause, the answer


@pytest.mark.parametrize(
    ("fault", "auth", "status"),
    [("503", AUTH, 503), ("503", None, 401), ("401", AUTH, 401), ("403", None, 403)],
)
def test_server_wide_faults(fault: str, auth: tuple[str, str] | None, status: int) -> None:
    demo = start_demo_server(fault=fault)
    try:
        for path in (PLANS, TEMPLATES, CONVERSATIONS):
            response = requests.get(demo.url + path, auth=auth, timeout=TIMEOUT)
            assert response.status_code == status
    finally:
        demo.stop()


def test_unknown_server_wide_fault_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        DemoServer(fault="teapot")


def test_stats_count_api_requests_only(server: DemoServer, get) -> None:
    reset = requests.post(server.url + "/_demo/stats/reset", timeout=TIMEOUT)
    assert reset.json() == {"requests": 0, "by_path": {}}
    plan = data.plans()[1]
    get(PLANS)
    get(PLANS, offset=50)
    get(plan_path(plan["api_id"]))
    requests.get(server.url + PLANS, timeout=TIMEOUT)  # a 401 still counts
    expected = {
        "requests": 4,
        "by_path": {PLANS: 3, f"{PLANS}{plan['api_id']}/": 1},
    }
    assert server.stats() == expected
    assert requests.get(server.url + "/_demo/stats", timeout=TIMEOUT).json() == expected
    server.reset_stats()
    assert server.stats() == {"requests": 0, "by_path": {}}


def test_cli_serves_until_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "demo_api", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A child of a non-interactive shell may inherit an ignored SIGINT: restore it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        url = re.search(r"http://\S+", process.stdout.readline()).group(0)
        assert requests.get(url + TEMPLATES, auth=AUTH, timeout=TIMEOUT).status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 0
        assert process.stderr.read() == ""
    finally:
        process.kill()
        process.communicate()


@pytest.mark.parametrize(
    ("fault", "trickled"),
    [("trickle-status:0.01", "status line"), ("trickle-headers:0.01", "headers")],
)
def test_a_trickled_head_arrives_whole_a_byte_at_a_time(
    server: DemoServer, fault: str, trickled: str
) -> None:
    credentials = base64.b64encode(f"{DEMO_USERNAME}:{DEMO_API_KEY}".encode()).decode()
    with socket.create_connection(server.httpd.server_address[:2], timeout=TIMEOUT) as sock:
        sock.sendall(
            f"GET {PLANS}?name=!fault:{fault} HTTP/1.1\r\nHost: demo\r\n"
            f"Authorization: Basic {credentials}\r\n\r\n".encode()
        )
        pieces = []
        while b"\r\n\r\n" not in b"".join(pieces):
            pieces.append(sock.recv(4096))
    head = b"".join(pieces)
    status_line, _, headers = head.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 200 OK"
    assert len(pieces) > (len(status_line) if trickled == "status line" else len(headers)) / 4


def test_a_trickled_body_arrives_whole(get) -> None:
    assert get(PLANS, name="!fault:trickle:0.0001").json()["count"] == 3


def test_many_small_objects_fill_the_results(get) -> None:
    body = get(PLANS, name="!fault:many-objects:1000").json()
    assert body["count"] == 1 and body["results"] == [{}] * 1000
    assert get(PLANS, name="!fault:many-lists:10").json()["results"] == [[]] * 10


@pytest.mark.parametrize(("fault", "escape"), [("surrogate", "\\ud800"), ("nul", "\\u0000")])
def test_odd_text_ends_every_name_as_a_json_escape(get, fault: str, escape: str) -> None:
    text = get(PLANS, name=f"!fault:{fault}").text
    assert f'"name": "!fault:{fault}{escape}"' in text
    assert f'"template_name": "Engagement Survey{escape}"' in text


def test_made_up_answers_follow_count_finals_and_date(get) -> None:
    plans = get(PLANS, name="!fault:count:250", limit=100, offset=200).json()
    assert plans["count"] == 250 and len(plans["results"]) == 50
    assert get(PLANS, name="!fault:count:10^400").json()["count"] == 10**400
    plan_name = "!fault:finals:5~date:2030-01-01T00:00:00Z"
    conversations = get(CONVERSATIONS, plan_name=plan_name).json()
    assert conversations["count"] == 2 + 5
    assert [c["status"] for c in conversations["results"]] == ["draft"] * 2 + ["final"] * 5
    assert conversations["results"][-1]["completed_date"] == "2030-01-01T00:00:00Z"


def test_a_panels_plan_is_ordinary_and_names_its_faulty_parts(get) -> None:
    plan = get(plan_path("!fault:panels~slow:0.01~finals:2")).json()
    assert plan["name"] == plan["template_api_id"] == "!fault:slow:0.01~finals:2"
    assert plan["assigned_users"][0]["name"] == "Ada Lovelace"
    conversations = get(CONVERSATIONS, plan_name=plan["name"]).json()["results"]
    assert {c["plan_api_id"] for c in conversations} == {plan["api_id"]}


def test_429once_throttles_only_the_first_request(server: DemoServer, get) -> None:
    server.reset_stats()
    assert get(PLANS, name="!fault:429once").status_code == 429
    assert get(PLANS, name="!fault:429once").status_code == 200


def test_huge_and_gzip_bomb_answers_are_unannounced(server: DemoServer, session) -> None:
    huge = session.get(server.url + PLANS, params={"name": "!fault:huge:1"}, timeout=TIMEOUT)
    assert "Content-Length" not in huge.headers and len(huge.content) == 2**20
    with session.get(
        server.url + PLANS, params={"name": "!fault:gzip-bomb"}, timeout=TIMEOUT, stream=True
    ) as bomb:
        assert bomb.headers["Content-Encoding"] == "gzip"
        assert next(bomb.iter_content(1024)).startswith(b'{"count": 1, "results": [')


def test_a_server_wide_fault_applies_to_the_real_data() -> None:
    demo = start_demo_server(fault="surrogate")
    try:
        response = requests.get(demo.url + PLANS, auth=AUTH, timeout=TIMEOUT)
    finally:
        demo.stop()
    assert response.json()["results"][0]["name"].endswith("\ud800")


def test_faults_combine_with_a_tilde(get) -> None:
    started = time.monotonic()
    response = get(PLANS, name="!fault:slow:0.05~503")
    assert time.monotonic() - started >= 0.05
    assert response.status_code == 503


@pytest.mark.parametrize("value", ["!fault:teapot", "!fault:slow:-1", "!fault:429:soon"])
def test_unknown_magic_value_is_an_ordinary_value(get, value: str) -> None:
    assert get(PLANS, name=value).json()["count"] == 0
    assert get(plan_path(value)).status_code == 404


# -- data sets of any size -----------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 137, 3000])
def test_it_generates_any_number_of_plans_with_unique_names_and_ids(count: int) -> None:
    dataset = data.generate(plans=count)
    assert len(dataset.plans) == len(dataset.plan_items) == count
    names = [plan["name"] for plan in dataset.plans]
    # Unique, but for the last plan, which shares a showcase plan's name on purpose.
    shared = count > 7
    assert len(set(names)) == count - shared
    assert (names[-1] == data.SHARED_PLAN_NAME) == shared
    assert len({plan["api_id"] for plan in dataset.plans}) == count
    assert dataset.plan_items[-1] == {
        field: dataset.plans[-1][field] for field in data.PLAN_LIST_FIELDS
    }


def test_the_default_data_set_is_its_usual_size() -> None:
    assert data.generate() == data.generate(plans=data.PLAN_COUNT)
    assert len(data.dataset().plans) == data.PLAN_COUNT == 150


def test_cli_serves_the_number_of_plans_asked_for_in_pages_of_at_most_100() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "demo_api", "--port", "0", "--plans", "1234"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = re.search(r"http://\S+", process.stdout.readline()).group(0)
        page = requests.get(
            url + PLANS, params={"limit": 500, "offset": 1200}, auth=AUTH, timeout=TIMEOUT
        ).json()
        assert page["count"] == 1234
        assert len(page["results"]) == 34
        capped = requests.get(url + PLANS, params={"limit": 500}, auth=AUTH, timeout=TIMEOUT)
        assert len(capped.json()["results"]) == 100
    finally:
        process.kill()
        process.communicate()
