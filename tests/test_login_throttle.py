"""Guessing passwords: a few failures lock the username or the address for a while."""

import pytest

from plans import login_throttle

PASSWORD = "correct-horse-battery-9"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="hannah", password=PASSWORD)


def attempt(client, username, password, address="10.0.0.1"):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password, "next": "/plans/"},
        REMOTE_ADDR=address,
    )


def fail(client, times, username="hannah", address="10.0.0.1"):
    for _ in range(times):
        response = attempt(client, username, "wrong-password", address)
    return response


def test_a_wrong_password_is_an_ordinary_form_error(client, user):
    response = fail(client, 1)
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_a_username_is_locked_after_five_failures_with_a_clear_message(client, user):
    fail(client, login_throttle.USERNAME_FAILURE_LIMIT - 1)
    response = fail(client, 1)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed log-in attempts. Try again in 15 minutes." in page
    assert 'value="hannah"' in page, "the username stays in the form"


def test_the_right_password_is_refused_while_locked(client, user):
    fail(client, login_throttle.USERNAME_FAILURE_LIMIT)
    response = attempt(client, "hannah", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_covers_every_address_and_spelling_of_the_username(client, user):
    fail(client, login_throttle.USERNAME_FAILURE_LIMIT, address="10.0.0.1")
    assert attempt(client, " HANNAH", PASSWORD, address="10.9.9.9").status_code == 429


def test_other_users_are_not_locked_by_one_users_failures(client, user, django_user_model):
    django_user_model.objects.create_user(username="ines", password=PASSWORD)
    fail(client, login_throttle.USERNAME_FAILURE_LIMIT, username="hannah", address="10.0.0.1")
    response = attempt(client, "ines", PASSWORD, address="10.0.0.2")
    assert response.status_code == 302


def test_an_address_is_locked_after_twenty_failures_across_usernames(client, user):
    for n in range(login_throttle.ADDRESS_FAILURE_LIMIT - 1):
        assert attempt(client, f"guess{n}", "wrong", address="203.0.113.7").status_code == 200
    response = attempt(client, "guess-last", "wrong", address="203.0.113.7")
    assert response.status_code == 429
    # The real user from that address is refused too; from elsewhere they get in.
    assert attempt(client, "hannah", PASSWORD, address="203.0.113.7").status_code == 429
    assert attempt(client, "hannah", PASSWORD, address="198.51.100.1").status_code == 302


def test_the_lock_ends_after_fifteen_minutes(client, user, monkeypatch):
    fail(client, login_throttle.USERNAME_FAILURE_LIMIT)
    now = login_throttle.time.time()
    monkeypatch.setattr(login_throttle.time, "time", lambda: now + 14 * 60)
    assert "Try again in 1 minute." in attempt(client, "hannah", PASSWORD).content.decode()
    monkeypatch.setattr(login_throttle.time, "time", lambda: now + login_throttle.LOCKOUT_SECONDS)
    assert attempt(client, "hannah", PASSWORD).status_code == 302


def test_a_successful_login_clears_the_usernames_count(client, user):
    fail(client, login_throttle.USERNAME_FAILURE_LIMIT - 1)
    assert attempt(client, "hannah", PASSWORD).status_code == 302
    client.logout()
    assert fail(client, login_throttle.USERNAME_FAILURE_LIMIT - 1).status_code == 200


def test_empty_fields_do_not_count_as_failures(client, user):
    for _ in range(login_throttle.USERNAME_FAILURE_LIMIT + 1):
        assert attempt(client, "hannah", "").status_code == 200
    assert attempt(client, "hannah", PASSWORD).status_code == 302


def test_the_admin_login_goes_through_the_same_throttle(client, user):
    fail(client, login_throttle.USERNAME_FAILURE_LIMIT)
    response = client.get("/admin/login/?next=/admin/", follow=True)
    assert response.redirect_chain == [("/accounts/login/?next=/admin/", 302)]
    assert attempt(client, "hannah", PASSWORD).status_code == 429
