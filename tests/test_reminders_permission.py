"""Who may send reminders: plans.send_reminders, given to HR admins by a migration."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from reminders.services import can_send_reminders

pytestmark = pytest.mark.django_db


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("grant_access", *args, stdout=out)
    return out.getvalue()


def test_the_migration_gives_it_to_hr_admins():
    group = Group.objects.get(name="HR admins")
    assert group.permissions.filter(
        content_type__app_label="plans", codename="send_reminders"
    ).exists()


def test_hr_admins_may_send_and_others_may_not(hr_admin, django_user_model):
    other = django_user_model.objects.create_user(username="olly", password="not-used-123")
    assert can_send_reminders(hr_admin)
    assert not can_send_reminders(other)


def test_an_inactive_account_may_not_send(hr_admin):
    hr_admin.is_active = False
    hr_admin.save()
    assert not can_send_reminders(hr_admin)


def test_it_is_removable_from_the_group(hr_admin, django_user_model):
    Group.objects.get(name="HR admins").permissions.remove(
        Permission.objects.get(codename="send_reminders")
    )
    hr_admin = django_user_model.objects.get(pk=hr_admin.pk)
    assert not can_send_reminders(hr_admin)
    assert hr_admin.has_perm("plans.view_plans")


def test_grant_access_with_reminders_gives_it_to_the_user_themselves(django_user_model):
    Group.objects.get(name="HR admins").permissions.remove(
        Permission.objects.get(codename="send_reminders")
    )
    django_user_model.objects.create_user(username="rita", password="not-used-123")

    message = run("rita", "--reminders")

    rita = django_user_model.objects.get(username="rita")
    assert "send reminders" in message
    assert rita.has_perm("plans.view_plans")
    assert can_send_reminders(rita)


def test_grant_access_revoke_reminders_keeps_access_to_plans(django_user_model):
    Group.objects.get(name="HR admins").permissions.remove(
        Permission.objects.get(codename="send_reminders")
    )
    django_user_model.objects.create_user(username="rita", password="not-used-123")
    run("rita", "--reminders")

    run("rita", "--reminders", "--revoke")

    rita = django_user_model.objects.get(username="rita")
    assert not can_send_reminders(rita)
    assert rita.has_perm("plans.view_plans")


def test_revoking_reminders_says_when_the_group_still_holds_it(hr_admin):
    message = run("hannah", "--reminders", "--revoke")
    assert "HR admins still holds it" in message


def test_grant_access_without_the_flag_behaves_as_before(django_user_model):
    django_user_model.objects.create_user(username="vic", password="not-used-123")

    assert "can now see conversation plans" in run("vic")
    assert "no longer in HR admins" in run("vic", "--revoke")
    assert not django_user_model.objects.get(username="vic").groups.exists()
