"""What the login page says: why it is shown, and that logging out worked."""

import pytest

pytestmark = pytest.mark.django_db


def test_it_asks_to_log_in_for_a_page_that_was_asked_for(client):
    html = client.get("/plans/?status=draft", follow=True).content.decode()
    assert "Log in to see that page." in html


def test_it_says_nothing_about_a_page_when_only_the_site_was_opened(client):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "Log in to see that page." not in response.content.decode()


def test_it_says_so_after_logging_out(admin_client):
    response = admin_client.post("/accounts/logout/", follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "You have logged out." in html
    # Once only.
    assert "You have logged out." not in admin_client.get("/accounts/login/").content.decode()
