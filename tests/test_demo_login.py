"""In demo mode the login page says the demo login, and the demo user may read the audit log."""

import io

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_the_login_page_shows_the_demo_login_in_demo_mode(client, settings):
    settings.PE365_USE_DEMO = True
    html = client.get("/accounts/login/").content.decode()
    assert (
        "Demo data: log in as <strong>demo</strong> with the password <strong>demo</strong>" in html
    )


def test_the_login_page_never_shows_it_otherwise(client, settings):
    settings.PE365_USE_DEMO = False
    assert 'id="demo-login"' not in client.get("/accounts/login/").content.decode()


def test_the_demo_user_sees_the_plans_and_reads_the_audit_log(client, settings, django_user_model):
    settings.PE365_USE_DEMO = True
    call_command("demo_user", stdout=io.StringIO())

    demo = django_user_model.objects.get(username="demo")
    assert demo.check_password("demo") and demo.has_perm("plans.view_plans")
    client.force_login(demo)
    assert client.get("/admin/audit/auditentry/").status_code == 200
    # Read only: the log cannot be changed, not even by the demo.
    assert client.get("/admin/audit/auditentry/add/").status_code == 403


def test_there_is_no_demo_user_outside_demo_mode(settings):
    settings.PE365_USE_DEMO = False
    with pytest.raises(CommandError):
        call_command("demo_user")
