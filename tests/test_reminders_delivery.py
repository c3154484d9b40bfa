"""Reminders go through post-office's queue to a real SMTP server on loopback."""

import threading
import time

import pytest
from post_office.models import STATUS, Email
from responses import matchers

from plans import health
from reminders import services
from reminders.models import Reminder
from tests.helpers import AUTH_HEADER, PLAN_ID, PLANS_URL, plan_page, reminder_person, text_and_html

pytestmark = pytest.mark.django_db


def queue(sender, people, **overrides):
    fields = {
        "plan_id": PLAN_ID,
        "plan_name": "Engagement survey",
        "people": people,
        "subject": "Reminder: Engagement survey",
        "message": "Please finish your part this week.",
        "sender": sender,
        "reply_to": sender.email,
        "token": services.new_token(),
        "selection": {"state": "not_started"},
    }
    fields.update(overrides)
    return services.queue_reminders(**fields)


def test_a_queued_reminder_reaches_its_recipient_with_subject_and_both_parts(
    smtp_server, send_queued_mail, reminder_sender, settings
):
    settings.PE365_APP_URL = "https://pro.weekly10.net"
    alice = reminder_person(1, name="Alice Adams", state="in_progress", stage="Manager review")
    queue(reminder_sender, [alice])

    send_queued_mail()

    [(recipients, message)] = smtp_server.messages
    assert recipients == ["person1@example.com"]
    assert message["To"] == "person1@example.com"
    assert message["From"] == "plans-dashboard@example.com"
    assert message["Subject"] == "Reminder: Engagement survey"
    text, html = text_and_html(message)
    for part in (text, html):
        assert "Alice Adams" in part
        assert "Engagement survey" in part
        assert "Manager review" in part
        assert "https://pro.weekly10.net" in part
        assert "Please finish your part this week." in part
        assert "Hannah Reyes" in part
    assert Email.objects.get().status == STATUS.sent


def test_each_message_names_only_its_own_recipient(smtp_server, send_queued_mail, reminder_sender):
    people = [reminder_person(n, name=f"Colleague {n}") for n in (1, 2, 3)]
    queue(reminder_sender, people)

    send_queued_mail()

    assert len(smtp_server.messages) == 3
    for recipients, message in smtp_server.messages:
        [address] = recipients
        n = address.removeprefix("person").split("@")[0]
        raw = message.as_string()
        others = {"1", "2", "3"} - {n}
        for other in others:
            assert f"Colleague {other}" not in raw
            assert f"person{other}@" not in raw
        assert message["Cc"] is None
        assert message["Bcc"] is None


def test_replies_go_to_the_hr_admin_who_sent_it(smtp_server, send_queued_mail, reminder_sender):
    queue(reminder_sender, [reminder_person(1)])

    send_queued_mail()

    [(_, message)] = smtp_server.messages
    assert message["Reply-To"] == "hannah.hr@example.com"


def test_a_not_started_person_is_told_so(smtp_server, send_queued_mail, reminder_sender):
    queue(reminder_sender, [reminder_person(1, state="not_started")])

    send_queued_mail()

    text, html = text_and_html(smtp_server.messages[0][1])
    assert "not started yet" in text
    assert "Not started yet" in html


def test_the_senders_text_is_escaped_in_html_and_never_read_as_template(
    smtp_server, send_queued_mail, reminder_sender
):
    queue(
        reminder_sender,
        [reminder_person(1, name="<b>Bo</b>")],
        message='<a href="https://evil.test">click</a> {{ settings.SECRET_KEY }} {% now "Y" %}',
    )

    send_queued_mail()

    text, html = text_and_html(smtp_server.messages[0][1])
    assert '<a href="https://evil.test">' not in html
    assert "&lt;a href=" in html
    assert "&lt;b&gt;Bo&lt;/b&gt;" in html
    assert "{{ settings.SECRET_KEY }}" in text
    assert '{% now "Y" %}' in text


def test_a_subject_cannot_carry_extra_headers(smtp_server, send_queued_mail, reminder_sender):
    queue(reminder_sender, [reminder_person(1)], subject="Hello\r\nBcc: everyone@example.com")

    send_queued_mail()

    [(recipients, message)] = smtp_server.messages
    assert recipients == ["person1@example.com"]
    assert message["Subject"] == "Hello Bcc: everyone@example.com"
    assert message["Bcc"] is None


def test_a_refusing_server_leaves_the_message_retrying_then_failed_with_the_reason(
    smtp_server, send_queued_mail, reminder_sender, settings, clock
):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MAX_RETRIES": 1}
    smtp_server.refuse = "554 5.7.1 Relay access denied"
    queue(reminder_sender, [reminder_person(1)])

    send_queued_mail()

    email = Email.objects.get()
    assert email.status == STATUS.requeued
    assert "Relay access denied" in email.logs.get().message
    send_queued_mail()
    assert Email.objects.get().status == STATUS.requeued, "not tried again before its time"

    clock.advance(minutes=15, seconds=1)
    send_queued_mail()

    email = Email.objects.get()
    assert email.status == STATUS.failed
    assert email.logs.count() == 2
    assert smtp_server.messages == []


def test_a_retried_message_goes_once_the_server_accepts_again(
    smtp_server, send_queued_mail, reminder_sender, clock
):
    smtp_server.refuse = "451 4.3.0 Try again later"
    queue(reminder_sender, [reminder_person(1)])
    send_queued_mail()
    smtp_server.refuse = None

    clock.advance(minutes=15, seconds=1)
    send_queued_mail()

    assert Email.objects.get().status == STATUS.sent
    assert len(smtp_server.messages) == 1


def test_a_hung_server_fails_the_message_within_the_timeout(
    hung_smtp_server, send_queued_mail, reminder_sender, settings
):
    settings.POST_OFFICE = {**settings.POST_OFFICE, "MAX_RETRIES": 0}
    queue(reminder_sender, [reminder_person(1), reminder_person(2)])

    started = time.monotonic()
    send_queued_mail()

    # Each message gives up after EMAIL_TIMEOUT (1 s); they are sent side by side.
    assert time.monotonic() - started < settings.EMAIL_TIMEOUT * 2 + 1
    for email in Email.objects.all():
        assert email.status == STATUS.failed
        assert "timed out" in email.logs.get().message


# Serialized, as the single sign-on tests are: the flush after it must not re-create the
# content types that the next serialized test restores.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_readiness_is_unaffected_while_the_sender_waits_on_a_hung_server(
    hung_smtp_server, send_queued_mail, reminder_sender, client, upstream, settings
):
    settings.EMAIL_TIMEOUT = 3
    queue(reminder_sender, [reminder_person(1)])
    upstream.get(
        PLANS_URL,
        json=plan_page(150, 0, 1),
        match=[
            matchers.query_param_matcher({"limit": "1"}),
            matchers.header_matcher({"Authorization": AUTH_HEADER}),
        ],
    )
    health.forget_readiness()
    sender = threading.Thread(target=send_queued_mail)
    sender.start()
    try:
        client.get("/readyz")
        health.wait_for_check()
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.content == b"ready\n"
        assert sender.is_alive(), "the readiness answer did not wait for the sender"
    finally:
        sender.join()
        health.forget_readiness()
    assert Email.objects.get().status in (STATUS.requeued, STATUS.failed)


def test_without_a_mail_server_nothing_leaves_and_the_message_stays_readable(
    reminder_sender, send_queued_mail, settings
):
    assert not settings.EMAIL_HOST
    queue(reminder_sender, [reminder_person(1, name="Alice Adams")])

    email = Email.objects.get()
    assert email.status == STATUS.queued
    assert "Alice Adams" in email.message
    send_queued_mail()  # the dummy backend: handled, delivered nowhere
    assert Reminder.objects.get().person_name == "Alice Adams"
