"""Custom 400/403/404/500 pages in the dashboard's look, never a stack trace (DEBUG off)."""

import pytest
from django.test import Client

from tests.helpers import PLANS_URL

pytestmark = pytest.mark.django_db


def broken_context_processor(request):
    raise RuntimeError("a context processor that fails")


def assert_dashboard_page(response, status: int, heading: str) -> None:
    page = response.content.decode()
    assert response.status_code == status
    assert heading in page
    assert "Plans dashboard" in page and "/static/vendor/bootstrap/bootstrap.min.css" in page
    assert "Traceback" not in page and "Django" not in page


def test_debug_is_off(settings):
    assert settings.DEBUG is False


def test_a_bad_request_has_its_page(client):
    # A Host header the dashboard does not serve is a SuspiciousOperation: 400.
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")
    assert_dashboard_page(response, 400, "That address is not valid")


def test_a_bad_query_has_its_page_naming_the_field(admin_client):
    response = admin_client.get("/plans/some-id/?page=abc")
    assert_dashboard_page(response, 400, "page: Enter a whole number.")


def test_access_denied_has_its_page(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="sam", password="x"))
    response = client.get("/plans/")
    assert_dashboard_page(response, 403, "You do not have access to conversation plans")
    assert "HR admins" in response.content.decode()


def test_an_expired_form_has_its_page(django_user_model):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/accounts/login/", {"username": "a", "password": "b"})
    assert_dashboard_page(response, 403, "This form has expired")


def test_an_unknown_address_has_its_page(admin_client):
    response = admin_client.get("/no-such-page/")
    assert_dashboard_page(response, 404, "There is nothing at this address.")


@pytest.mark.urls("tests.urls_boom")
def test_an_unexpected_error_has_its_page(admin_client):
    admin_client.raise_request_exception = False
    response = admin_client.get("/boom/")
    assert_dashboard_page(response, 500, "Something went wrong on our side")
    assert "an unexpected bug" not in response.content.decode()


@pytest.mark.urls("tests.urls_boom")
def test_the_500_page_needs_no_context_processor(admin_client, settings):
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                "context_processors": [
                    *settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
                    "tests.test_error_pages.broken_context_processor",
                ]
            },
        }
    ]
    admin_client.raise_request_exception = False
    response = admin_client.get("/boom/")
    assert_dashboard_page(response, 500, "Something went wrong on our side")


def test_an_upstream_failure_page_is_in_the_dashboards_look(admin_client, upstream, monkeypatch):
    upstream.get(PLANS_URL, status=503, json={"detail": "down"})
    response = admin_client.get("/plans/")
    assert_dashboard_page(response, 503, "Perform &amp; Engage 365 is unavailable")
