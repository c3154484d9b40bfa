"""Guessing passwords: a few failures lock the pair (username, address) for a while; a username
failing from many addresses is locked for new addresses only; nobody can use a lock to keep
someone out of their usual places or out of single sign-on (django-axes)."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import F
from django.test import Client

from plans.login import LoginAttemptHandler

PASSWORD = "correct-horse-battery-9"
PAIR_LIMIT = 5
USERNAME_LIMIT = 20

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="victim1", password=PASSWORD)


def attempt(client, username, password, address="10.0.0.1", **headers):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password, "next": "/plans/"},
        REMOTE_ADDR=address,
        **headers,
    )


def fail(client, times, username="victim1", address="10.0.0.1"):
    for _ in range(times):
        response = attempt(client, username, "wrong-password", address)
    return response


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_it_answers_a_wrong_password_with_an_ordinary_form_error(client, user):
    response = fail(client, 1)
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_it_locks_a_username_at_an_address_after_five_failures_with_a_clear_page(client, user):
    assert fail(client, PAIR_LIMIT - 1).status_code == 200
    response = fail(client, 1)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed log-in attempts for <strong>victim1</strong>" in page
    assert "Try again in 15 minutes." in page
    assert "ask a dashboard administrator" in page
    assert "Plans dashboard" in page, "the page is the site's own (base.html)"
    assert 'href="/accounts/login/"' in page


def test_it_refuses_the_right_password_from_the_locked_address(client, user):
    fail(client, PAIR_LIMIT)
    response = attempt(client, "victim1", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)


def test_failures_from_one_address_do_not_keep_the_person_out_elsewhere(client, user):
    fail(client, PAIR_LIMIT, address="203.0.113.66")
    assert attempt(client, "victim1", PASSWORD, address="10.9.9.9").status_code == 302


@pytest.mark.parametrize("spelling", ["ｖｉｃｔｉｍ１", "VICTIM1", " Victim1 ", "ＶＩＣＴＩＭ１"])
def test_it_refuses_a_look_alike_spelling_of_a_locked_username(client, user, spelling):
    fail(client, PAIR_LIMIT)
    response = attempt(client, spelling, PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)


def test_it_counts_guesses_rotating_look_alike_spellings_against_one_account(client, user):
    spellings = ["victim1", "ｖｉｃｔｉｍ１", "VICTIM1", "ＶＩＣＴＩＭ１", "Victim1"]
    responses = [attempt(client, spelling, "wrong-password") for spelling in spellings]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"victim1"}
    assert attempt(client, "victim1", PASSWORD).status_code == 429


def test_it_shares_the_counts_between_workers_through_the_database(user):
    first_worker, second_worker = Client(), Client()
    fail(first_worker, 3)
    # Nothing is kept in a process's memory or cache: another worker sees the same rows.
    cache.clear()
    assert fail(second_worker, 1).status_code == 200
    assert fail(second_worker, 1).status_code == 429
    assert attempt(first_worker, "victim1", PASSWORD).status_code == 429


def test_it_does_not_lock_other_users(client, user, django_user_model):
    django_user_model.objects.create_user(username="ines", password=PASSWORD)
    fail(client, PAIR_LIMIT, address="10.0.0.1")
    assert attempt(client, "ines", PASSWORD, address="10.0.0.2").status_code == 302


def test_colleagues_behind_one_address_do_not_lock_each_other_out(client, user):
    for n in range(USERNAME_LIMIT + 5):
        assert attempt(client, f"guess{n}", "wrong", address="203.0.113.7").status_code == 200
    assert attempt(client, "victim1", PASSWORD, address="203.0.113.7").status_code == 302


def signed_in_before(client, address: str) -> None:
    assert attempt(client, "victim1", PASSWORD, address=address).status_code == 302
    client.logout()


def test_a_username_failing_from_many_addresses_is_locked_for_new_addresses(client, user):
    for n in range(USERNAME_LIMIT - 1):
        assert fail(client, 1, address=f"198.51.100.{n}").status_code == 200
    assert fail(client, 1, address="198.51.100.99").status_code == 429
    response = attempt(client, "victim1", PASSWORD, address="192.0.2.200")
    assert response.status_code == 429
    assert not logged_in(client)
    assert "Too many failed log-in attempts for <strong>victim1</strong>" in response.text


def test_addresses_a_person_signed_in_from_keep_working_under_attack(client, user):
    signed_in_before(client, "10.20.30.40")
    for n in range(USERNAME_LIMIT + 10):
        fail(client, 1, address=f"198.51.100.{n}")
    assert attempt(client, "victim1", PASSWORD, address="10.20.30.40").status_code == 302


def test_an_attack_from_many_addresses_is_slowed_not_stopped_for_long(client, user):
    for n in range(USERNAME_LIMIT):
        fail(client, 1, address=f"198.51.100.{n}")
    assert attempt(client, "victim1", PASSWORD, address="192.0.2.1").status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=15, seconds=1))
    assert attempt(client, "victim1", PASSWORD, address="192.0.2.1").status_code == 302


def test_a_successful_login_leaves_other_addresses_failures_counting(client, user):
    for n in range(USERNAME_LIMIT - 1):
        fail(client, 1, address=f"198.51.100.{n}")
    signed_in_before(client, "10.20.30.40")
    assert fail(client, 1, address="198.51.100.250").status_code == 429
    assert attempt(client, "victim1", PASSWORD, address="192.0.2.9").status_code == 429


def test_password_failures_never_refuse_single_sign_on(user, rf, sso_settings, monkeypatch):
    """The callback authenticates with a nonce: axes neither counts nor refuses it."""
    from django.contrib.auth import authenticate

    from sso.backends import OIDCBackend

    for n in range(USERNAME_LIMIT + PAIR_LIMIT):
        fail(Client(), 1, username=f"guess{n}", address="127.0.0.1")
    fail(Client(), PAIR_LIMIT, address="127.0.0.1")
    monkeypatch.setattr(OIDCBackend, "authenticate", lambda self, request, **kw: user)
    request = rf.get("/oidc/callback/", REMOTE_ADDR="127.0.0.1")
    assert authenticate(request, nonce="n", code_verifier="v") == user
    monkeypatch.setattr(OIDCBackend, "authenticate", lambda self, request, **kw: None)
    count = AccessAttempt.objects.count()
    for _ in range(PAIR_LIMIT + 1):
        assert authenticate(request, nonce="n", code_verifier="v") is None
    assert AccessAttempt.objects.count() == count, "a failed single sign-on is not counted"


def test_it_lifts_the_lock_fifteen_minutes_after_the_last_failure(client, user):
    fail(client, PAIR_LIMIT)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=14))
    assert attempt(client, "victim1", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=1, seconds=1))
    assert attempt(client, "victim1", PASSWORD).status_code == 302


def test_attempts_during_a_lock_do_not_extend_it(client, user):
    fail(client, PAIR_LIMIT)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=10))
    fail(client, 3)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=5, seconds=1))
    assert attempt(client, "victim1", PASSWORD).status_code == 302


def test_a_successful_login_clears_the_usernames_count(client, user):
    fail(client, PAIR_LIMIT - 1)
    assert attempt(client, "victim1", PASSWORD).status_code == 302
    client.logout()
    assert fail(client, PAIR_LIMIT - 1).status_code == 200


def test_empty_fields_do_not_count_as_failures(client, user):
    for _ in range(PAIR_LIMIT + 1):
        assert attempt(client, "victim1", "").status_code == 200
    assert attempt(client, "victim1", PASSWORD).status_code == 302


def test_the_admin_login_goes_through_the_same_throttle(client, user):
    fail(client, PAIR_LIMIT)
    response = client.get("/admin/login/?next=/admin/", follow=True)
    assert response.redirect_chain == [("/accounts/login/?next=/admin/", 302)]
    assert attempt(client, "victim1", PASSWORD).status_code == 429


def test_an_administrator_sees_who_is_locked_and_why_and_unlocks(client, user, django_user_model):
    fail(client, PAIR_LIMIT)
    for n in range(USERNAME_LIMIT):
        fail(client, 1, username="ines", address=f"198.51.100.{n}")
    fail(client, 1, username="omar")
    admin = django_user_model.objects.create_superuser(username="root", password=PASSWORD)
    staff = Client()
    staff.force_login(admin)
    listing = staff.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "victim1" in page and "locked: 5 failures from this address" in page
    assert "new addresses locked: 20 failures from 20 addresses" in page
    assert "not locked" in page  # omar, one failure
    ids = [
        str(pk)
        for pk in AccessAttempt.objects.filter(username="victim1").values_list("pk", flat=True)
    ]
    response = staff.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="victim1").exists()
    assert attempt(client, "victim1", PASSWORD).status_code == 302


def test_it_ignores_x_forwarded_for_without_trusted_proxies(client, user):
    for n in range(PAIR_LIMIT):
        attempt(client, "victim1", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.1"}
    assert attempt(client, "victim1", PASSWORD).status_code == 429


def test_it_takes_the_address_the_trusted_proxy_appended(client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client wrote the first entry itself; the proxy appended the second.
    attempt(client, "victim1", "wrong", "127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    attempt(client, "victim1", "wrong", "127.0.0.1", HTTP_X_FORWARDED_FOR="not-an-address")
    addresses = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert addresses == {"203.0.113.9", "127.0.0.1"}


@pytest.mark.parametrize(
    ("failing", "password"),
    [
        ("get_failures", "wrong-password"),  # checking for a lock, before the password
        ("get_failures", PASSWORD),
        ("user_login_failed", "wrong-password"),  # recording a failure
        ("user_logged_in", PASSWORD),  # clearing the count after the password matched
    ],
)
def test_a_failing_attempt_store_refuses_with_a_message_instead_of_a_500(
    client, user, monkeypatch, failing, password
):
    def broken(*args, **kwargs):
        raise DatabaseError("database is locked")

    monkeypatch.setattr(LoginAttemptHandler, failing, broken)
    response = attempt(client, "victim1", password)
    assert response.status_code == 503
    page = response.content.decode()
    assert "Logging in is not possible right now" in page
    assert 'value="victim1"' in page
    assert "Signed in as" not in page
    assert not logged_in(client)
