"""A manager's list: one message listing exactly their own people, across plans."""

from datetime import date

import pytest
from post_office.models import Email

from audit.actions import Action
from audit.models import AuditEntry
from reminders import services
from reminders.models import Kind, Reminder
from tests.helpers import text_and_html

pytestmark = pytest.mark.django_db

MANAGER = services.Manager(api_id="580:manager-1", name="Mo Manager", email="mo@example.com")


def lines():
    return [
        services.DigestLine(
            plan_id="580:plan-a",
            plan_name="Engagement survey",
            person_name="Alice Adams",
            state="not_started",
            since=date(2026, 11, 2),
        ),
        services.DigestLine(
            plan_id="580:plan-b",
            plan_name="Q4 check-in",
            person_name="Bob Brown",
            state="in_progress",
            stage="Self review",
            since=date(2026, 11, 20),
        ),
        services.DigestLine(
            plan_id="580:plan-b",
            plan_name="Q4 check-in",
            person_name="Cleo Chan",
            state="not_started",
        ),
    ]


def test_a_manager_gets_one_message_listing_their_people_in_every_plan(
    smtp_server, send_queued_mail, reminder_sender
):
    services.queue_digest(
        manager=MANAGER, people=lines(), sender=reminder_sender, reply_to=reminder_sender.email
    )

    send_queued_mail()

    [(recipients, message)] = smtp_server.messages
    assert recipients == ["mo@example.com"]
    assert message["Reply-To"] == "hannah.hr@example.com"
    assert message["Subject"] == "Your team: 3 people still to act"
    text, html = text_and_html(message)
    for part in (text, html):
        assert "Mo Manager" in part
        assert "Engagement survey" in part
        assert "Q4 check-in" in part
        assert "Alice Adams" in part
        assert "Bob Brown" in part and "Self review" in part
        assert "Cleo Chan" in part
        assert "2 November 2026" in part


def test_a_digest_lists_only_the_people_it_is_given(smtp_server, send_queued_mail):
    other = services.Manager(api_id="580:manager-2", name="Ola Other", email="ola@example.com")
    services.queue_digest(manager=MANAGER, people=lines()[:1], sender=None)
    services.queue_digest(manager=other, people=lines()[1:], sender=None)

    send_queued_mail()

    by_recipient = {tuple(to): message.as_string() for to, message in smtp_server.messages}
    assert "Alice Adams" in by_recipient[("mo@example.com",)]
    assert "Bob Brown" not in by_recipient[("mo@example.com",)]
    assert "Alice Adams" not in by_recipient[("ola@example.com",)]


def test_a_manager_with_nobody_still_to_act_gets_nothing():
    assert services.queue_digest(manager=MANAGER, people=[], sender=None) is None
    assert not Email.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_manager_without_an_address_is_refused():
    nameless = services.Manager(api_id="580:m", name="No Mail", email="")
    with pytest.raises(services.NoAddress, match="No Mail"):
        services.queue_digest(manager=nameless, people=lines(), sender=None)


def test_a_scheduled_digest_is_recorded_and_audited_as_the_schedule():
    reminder = services.queue_digest(manager=MANAGER, people=lines(), sender=None)

    assert reminder is not None
    stored = Reminder.objects.get()
    assert (stored.kind, stored.person_name, stored.sender_username) == (
        Kind.DIGEST,
        "Mo Manager",
        "",
    )
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.username, entry.row_count) == (Action.SEND_DIGEST, "(schedule)", 1)
    assert entry.filters == {"manager": "580:manager-1", "people": 3}


def test_a_digest_does_not_count_as_a_reminder_for_the_cooldown():
    services.queue_digest(manager=MANAGER, people=lines(), sender=None)
    assert services.last_reminded(plan_id="580:plan-a", person_ids=["580:manager-1"]) == {}
