"""The outbox: every message sent, who sent it, and its state, filterable."""

import pytest
from django.contrib.auth.models import Permission
from post_office.models import STATUS, Email, Log

from reminders import services
from tests.helpers import PLAN_ID, reminder_person

pytestmark = pytest.mark.django_db


def queue(sender, people, *, plan_id=PLAN_ID, plan_name="Engagement survey"):
    return services.queue_reminders(
        plan_id=plan_id,
        plan_name=plan_name,
        people=people,
        subject="Reminder",
        message="Please finish.",
        sender=sender,
        reply_to="",
        token=services.new_token(),
    )


@pytest.fixture
def sent(reminder_sender):
    """Four messages: queued, sent, failed with a reason, and retrying."""
    queue(
        reminder_sender,
        [reminder_person(1, name="Alice Adams"), reminder_person(2, name="Bob Brown")],
    )
    queue(
        reminder_sender,
        [reminder_person(3, name="Cleo Chan"), reminder_person(4, name="Dan Dee")],
        plan_id="580:q4",
        plan_name="Q4 check-in",
    )
    emails = {email.to[0]: email for email in Email.objects.all()}
    Email.objects.filter(pk=emails["person2@example.com"].pk).update(status=STATUS.sent)
    failed = emails["person3@example.com"]
    Email.objects.filter(pk=failed.pk).update(status=STATUS.failed)
    Log.objects.create(email=failed, status=STATUS.failed, message="(550, b'Mailbox unavailable')")
    Email.objects.filter(pk=emails["person4@example.com"].pk).update(status=STATUS.requeued)


def test_it_lists_every_message_with_recipient_plan_sender_and_state(admin_client, sent):
    response = admin_client.get("/outbox/")

    assert response.status_code == 200
    page = response.content.decode()
    for name in ("Alice Adams", "Bob Brown", "Cleo Chan", "Dan Dee"):
        assert name in page
    assert "person1@example.com" in page
    assert "Engagement survey" in page and "Q4 check-in" in page
    assert "hannah" in page
    for state in ("Queued", "Sent", "Failed", "Retrying"):
        assert f">{state}</span>" in page
    assert "Mailbox unavailable" in page


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("state=failed", ["Cleo Chan"], ["Alice Adams", "Bob Brown", "Dan Dee"]),
        ("state=retrying", ["Dan Dee"], ["Alice Adams", "Cleo Chan"]),
        ("state=sent", ["Bob Brown"], ["Alice Adams", "Dan Dee"]),
        ("state=queued", ["Alice Adams"], ["Bob Brown", "Cleo Chan"]),
        ("plan=q4+check", ["Cleo Chan", "Dan Dee"], ["Alice Adams", "Bob Brown"]),
        (f"plan={PLAN_ID}", ["Alice Adams", "Bob Brown"], ["Cleo Chan"]),
        ("person=bob", ["Bob Brown"], ["Alice Adams", "Cleo Chan"]),
        ("person=person4%40example.com", ["Dan Dee"], ["Alice Adams"]),
    ],
)
def test_it_filters_by_plan_person_and_state(admin_client, sent, query, shown, hidden):
    page = admin_client.get(f"/outbox/?{query}").content.decode()
    for name in shown:
        assert name in page
    for name in hidden:
        assert name not in page


def test_an_unknown_state_is_a_form_error_not_a_crash(admin_client, sent):
    response = admin_client.get("/outbox/?state=lost&page=abc")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_it_is_paginated(admin_client, reminder_sender):
    queue(reminder_sender, [reminder_person(n) for n in range(60)])
    page = admin_client.get("/outbox/").content.decode()
    assert "60 messages" in page
    assert page.count("@example.com</span>") == 50


def test_without_a_mail_server_it_says_messages_are_kept_here(admin_client, settings):
    settings.EMAIL_HOST = ""
    page = admin_client.get("/outbox/").content.decode()
    assert "kept here and never" in page
    assert "Nothing has been sent yet." in page


def test_with_a_mail_server_it_does_not_say_so(admin_client, settings):
    settings.EMAIL_HOST = "smtp.office365.com"
    assert "kept here and never" not in admin_client.get("/outbox/").content.decode()


def test_it_needs_the_view_plans_permission(client, django_user_model):
    user = django_user_model.objects.create_user(username="nobody", password="not-used-123")
    client.force_login(user)
    assert client.get("/outbox/").status_code == 403


def test_it_changes_nothing_on_post(admin_client):
    assert admin_client.post("/outbox/").status_code == 405


def test_the_navigation_links_to_it_for_hr_admins(admin_client):
    assert 'href="/outbox/"' in admin_client.get("/outbox/").content.decode()


def test_send_reminders_alone_does_not_show_the_outbox(client, django_user_model):
    user = django_user_model.objects.create_user(username="sender", password="not-used-123")
    user.user_permissions.add(Permission.objects.get(codename="send_reminders"))
    client.force_login(user)
    assert client.get("/outbox/").status_code == 403
