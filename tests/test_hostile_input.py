"""Hostile and odd input: never a 500, a 4xx page or a sanitised result, and nothing but
the documented paths (plans, and a plan page's template and conversations) goes upstream."""

import os
import re
from urllib.parse import quote, urlsplit

import pytest
import responses
from django.contrib.auth.models import Group
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import load_fixture, plan_item, plan_page

pytestmark = pytest.mark.django_db

# The only upstream paths the dashboard may ever request: the plan list, one plan by id, the
# template list (the template filter's choices), for a plan's page its template (one id
# segment) and its conversations.
ON_CONTRACT = re.compile(
    r"^/api/v2/(conversation_plans/([^/]+/)?|conversation_templates/([^/]+/)?|conversations/)$"
)
ANY_UPSTREAM = re.compile(r"https://pe365\.test/.*")

PAYLOADS = [
    "x" * 10_000,
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "line\nbreak",
    "\u202etxt.exe",
    "😀🎉",
    "' OR 1=1 --",
    "'; DROP TABLE auth_user; --",
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{ settings.SECRET_KEY }}",
    "%00%2e%2e%2f",
    "../../../etc/passwd",
]


def fake_api(request):
    """Answer any on-contract request like the API; fail the test on anything else."""
    path = urlsplit(request.url).path
    assert ON_CONTRACT.match(path), f"off-contract upstream request: {request.url}"
    if path == "/api/v2/conversation_plans/":
        return 200, {}, _json(plan_page(3, 0, 3))
    if path == "/api/v2/conversations/":
        return 200, {}, _json({"count": 0, "next": None, "previous": None, "results": []})
    if path.startswith("/api/v2/conversation_templates/"):
        return 200, {}, _json(load_fixture("template_detail.json"))
    return 200, {}, _json({**plan_item(1), "assigned_users": [], "assigned_departments": []})


def _json(data) -> str:
    import json

    return json.dumps(data)


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("GET", ANY_UPSTREAM, callback=fake_api)
        yield mock


def assert_clear_answer(response) -> None:
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        assert response.status_code in (400, 404)
        page = response.content.decode()
        assert "Traceback" not in page and "<h1" in page, "an error page in the dashboard's look"


@pytest.mark.parametrize("value", PAYLOADS)
@pytest.mark.parametrize("param", ["name", "template_name"])
def test_hostile_filters_get_a_form_error_or_an_escaped_result(admin_client, api, param, value):
    response = admin_client.get("/plans/", {param: value})
    assert_clear_answer(response)
    page = response.content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    for call in api.calls:
        assert ON_CONTRACT.match(urlsplit(call.request.url).path)


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-1",
        "page=0",
        "page=1e3",
        "page=99999999999999999999999",
        "page=1&page=2&page=abc",
        "per_page=7",
        "per_page=-25",
        "per_page=100000",
        "per_page=25&per_page=abc",
        "page=%00",
        "page=%F0%9F%98%80",
        "unknown=1&__proto__=x&format=json",
        "name=%ff%fe",
        "name[]=a&name[]=b",
        "a" * 5000 + "=1",
    ],
)
def test_odd_paging_and_unknown_parameters_never_break_the_list(admin_client, api, query):
    assert_clear_answer(admin_client.get(f"/plans/?{query}"))


@pytest.mark.parametrize(
    "path",
    [
        "/plans/a/b/",
        "/plans/..%2F..%2Fusers/",
        "/plans/%2e%2e/",
        "/plans/%2F/",
        "/plans/a%2Fb/",
        "/plans/a%3Fb/",
        "/plans/a%23b/",
        "/plans/a%20b/",
        "/plans/%00/",
        "/plans/%ff/",
        "/plans/%25/",
        "/plans/a\\b/",
        "/plans/" + "x" * 5000 + "/",
        "/plans/" + quote("😀") + "/",
        "/plans/<script>/",
    ],
)
def test_hostile_plan_ids_get_a_404_or_stay_one_segment(admin_client, api, path):
    response = admin_client.get(path)
    assert_clear_answer(response)
    for call in api.calls:
        assert ON_CONTRACT.match(urlsplit(call.request.url).path), call.request.url


def test_a_forged_post_gets_a_clear_403_page(hr_admin, api):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(hr_admin)
    response = browser.post("/plans/", {"name": "x"})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert not api.calls


# --- Property-based: thousands of random query strings and ids --------------------------

query_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
query_keys = st.sampled_from(["name", "template_name", "page", "per_page", "refresh", "x"])
query_strings = st.one_of(
    # Structured: known and unknown keys with arbitrary (encoded) values, repeated freely.
    st.lists(st.tuples(query_keys | query_text, query_text), max_size=6).map(
        lambda pairs: "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    ),
    # Raw: whatever characters a client might put after the "?".
    st.text(alphabet=st.characters(codec="latin-1"), max_size=80).map(
        lambda text: quote(text, safe="=&%+;")
    ),
)
plan_ids = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=80),
    st.from_regex(r"\A[0-9]{1,4}:[0-9a-f-]{1,40}\Z"),
    st.text(alphabet="./%?#\\ :-x", min_size=1, max_size=20),
)


@pytest.fixture
def hr_client(client, django_user_model):
    # One user for all examples: hypothesis reuses this function-scoped fixture.
    user, _ = django_user_model.objects.get_or_create(username="fuzz")
    user.groups.add(Group.objects.get(name="HR admins"))
    client.force_login(user)
    return client


# 600 query strings and 480 ids (1,560 requests) in about 20 s; HYPOTHESIS_EXAMPLES=5000
# digs deeper (the run time grows faster than linearly).
EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "600"))
FUZZ = dict(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(max_examples=EXAMPLES, **FUZZ)
@given(query=query_strings)
def test_random_query_strings_never_give_a_500_or_an_off_contract_call(hr_client, api, query):
    assert_clear_answer(hr_client.get(f"/plans/?{query}"))
    # (fake_api has already failed the test if any call left the contract.)


@settings(max_examples=EXAMPLES * 4 // 5, **FUZZ)
@given(api_id=plan_ids, query=query_strings)
def test_random_plan_ids_never_give_a_500_or_an_off_contract_call(hr_client, api, api_id, query):
    response = hr_client.get(f"/plans/{quote(api_id, safe='')}/?{query}")
    assert_clear_answer(response)
    raw = hr_client.get("/plans/" + api_id.replace("?", "%3F").replace("#", "%23") + "/")
    assert_clear_answer(raw)


@pytest.mark.parametrize(
    "query",
    ["refresh=%00", "x=%00", "name=a%00b", "%00=1", "name=%ff%fe", "q=%C3%28", "name=%ED%A0%80"],
)
@pytest.mark.parametrize(
    "path",
    ["/plans/", "/people/", "/plans/p1/", "/plans/p1/participation/", "/plans/p1/users.csv"],
)
def test_nul_or_bytes_that_are_not_utf8_in_a_query_string_are_a_400(admin_client, api, path, query):
    from audit.models import AuditEntry

    AuditEntry.objects.all().delete()
    response = admin_client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert "<h1" in response.content.decode()
    assert len(api.calls) == 0, "nothing goes upstream"
    assert not AuditEntry.objects.exists(), "nothing was shown, nothing to record"


def test_a_nul_in_the_path_is_a_400(admin_client, api):
    assert admin_client.get("/plans/a%00b/").status_code == 400
    assert len(api.calls) == 0


def test_utf8_text_in_a_query_string_is_read_as_it_is(admin_client, api):
    response = admin_client.get("/plans/?name=Jos%C3%A9+%F0%9F%98%80")
    assert response.status_code == 200
    assert "José 😀" in response.content.decode()
