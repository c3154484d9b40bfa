"""Employee data stays private: no cache keeps a page or download, idle sessions end,
and static files carry the security headers too."""

import time

import pytest
import responses
from django.test import Client

from plans.middleware import SESSION_LAST_SEEN
from tests.helpers import (
    CONVERSATIONS_URL,
    PANELS,
    PLAN_ID,
    PLAN_URL,
    PLANS_URL,
    TEMPLATE_URL,
    load_fixture,
    plan_page,
)

pytestmark = pytest.mark.django_db

IDLE_SECONDS = 480 * 60


@pytest.fixture
def any_upstream():
    """The fake API answering whatever a page asks (these tests are about headers)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(PLANS_URL, json=plan_page(3, 0, 3))
        mock.get(PLAN_URL, json=load_fixture("plan_detail.json"))
        mock.get(TEMPLATE_URL, json=load_fixture("template_detail.json"))
        mock.get(CONVERSATIONS_URL, json={"count": 0, "next": None, "results": []})
        yield mock


@pytest.mark.parametrize(
    "path",
    [
        "/plans/",
        "/plans/export.csv",
        f"/plans/{PLAN_ID}/",
        PANELS,
        f"/plans/{PLAN_ID}/users.csv",
        "/plans/no-such-page/missing/",
    ],
)
def test_no_cache_may_keep_a_page_or_download_with_employee_data(admin_client, any_upstream, path):
    response = admin_client.get(path)
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control


def test_the_login_page_is_not_kept_either(client):
    assert "no-store" in client.get("/accounts/login/")["Cache-Control"]


def test_static_files_stay_cacheable_with_the_security_headers(settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/css/dashboard.css")
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
    assert "max-age" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "Access-Control-Allow-Origin" not in response


def stamp(client, seconds_ago: int) -> None:
    session = client.session
    session[SESSION_LAST_SEEN] = int(time.time()) - seconds_ago
    session.save()


def test_a_session_idle_longer_than_the_timeout_must_log_in_again(admin_client, any_upstream):
    assert admin_client.get("/plans/").status_code == 200
    stamp(admin_client, IDLE_SECONDS + 5)
    response = admin_client.get("/plans/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/plans/"
    assert "_auth_user_id" not in admin_client.session


def test_a_session_used_within_the_timeout_stays_logged_in(admin_client, any_upstream):
    stamp(admin_client, IDLE_SECONDS - 60)
    assert admin_client.get("/plans/").status_code == 200
    assert admin_client.session[SESSION_LAST_SEEN] >= int(time.time()) - 1


def test_the_idle_timeout_is_a_setting(admin_client, any_upstream, settings):
    settings.SESSION_IDLE_TIMEOUT = 60 * 5
    stamp(admin_client, 60 * 5 + 5)
    assert admin_client.get("/plans/").status_code == 302


def test_the_activity_stamp_is_written_at_most_once_a_minute(admin_client, any_upstream):
    # Logging in starts the clock: the first pages write nothing.
    assert "sessionid" not in admin_client.get("/plans/").cookies
    assert "sessionid" not in admin_client.get("/plans/").cookies
    stamp(admin_client, 61)
    assert "sessionid" in admin_client.get("/plans/").cookies, "a minute later: refreshed"
    assert "sessionid" not in admin_client.get("/plans/").cookies
