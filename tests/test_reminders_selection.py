"""Who is reminded: the reasons people are left out, the cooldown, the cap, a double submit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from post_office.models import STATUS, Email

from audit.actions import Action
from audit.models import AuditEntry
from reminders import services
from reminders.models import Batch, Reminder
from reminders.services import Reason
from tests.helpers import PLAN_ID, reminder_person

pytestmark = pytest.mark.django_db

OTHER_PLAN = "580:other-plan"


def queue(sender, people, *, plan_id=PLAN_ID, token=None, **overrides):
    fields = {
        "plan_id": plan_id,
        "plan_name": "Engagement survey",
        "people": people,
        "subject": "Reminder",
        "message": "Please finish.",
        "sender": sender,
        "reply_to": "hannah.hr@example.com",
        "token": token or services.new_token(),
    }
    fields.update(overrides)
    return services.queue_reminders(**fields)


def test_it_leaves_out_the_completed_inactive_and_unreachable_saying_why():
    people = [
        reminder_person(1),
        reminder_person(2, state="completed"),
        reminder_person(3, active=False),
        reminder_person(4, email=""),
        reminder_person(5, email="not-an-address"),
        reminder_person(6, state="in_progress", stage="Self review"),
    ]

    preview = services.reminder_candidates(plan_id=PLAN_ID, people=people)

    assert preview.person_ids == ("580:person-1", "580:person-6")
    assert {(item.person.api_id, item.reason) for item in preview.left_out} == {
        ("580:person-2", Reason.COMPLETED),
        ("580:person-3", Reason.INACTIVE),
        ("580:person-4", Reason.NO_EMAIL),
        ("580:person-5", Reason.NO_EMAIL),
    }
    assert preview.left_out_counts() == {
        Reason.COMPLETED: 1,
        Reason.INACTIVE: 1,
        Reason.NO_EMAIL: 2,
    }


def test_someone_listed_twice_is_reminded_once():
    preview = services.reminder_candidates(
        plan_id=PLAN_ID, people=[reminder_person(1), reminder_person(1)]
    )
    assert preview.person_ids == ("580:person-1",)


def test_someone_reminded_within_the_cooldown_is_left_out_for_that_plan_only(
    reminder_sender, clock, settings
):
    settings.REMINDER_COOLDOWN_DAYS = 3
    queue(reminder_sender, [reminder_person(1)])
    clock.advance(days=2, hours=23)

    same_plan = services.reminder_candidates(plan_id=PLAN_ID, people=[reminder_person(1)])
    other_plan = services.reminder_candidates(plan_id=OTHER_PLAN, people=[reminder_person(1)])

    assert [(i.person.api_id, i.reason) for i in same_plan.left_out] == [
        ("580:person-1", Reason.COOLDOWN)
    ]
    assert other_plan.person_ids == ("580:person-1",)

    clock.advance(hours=1, seconds=1)
    after = services.reminder_candidates(plan_id=PLAN_ID, people=[reminder_person(1)])
    assert after.person_ids == ("580:person-1",)


def test_a_reminder_that_failed_for_good_does_not_start_a_cooldown(reminder_sender):
    queue(reminder_sender, [reminder_person(1)])
    Email.objects.update(status=STATUS.failed)

    preview = services.reminder_candidates(plan_id=PLAN_ID, people=[reminder_person(1)])

    assert preview.person_ids == ("580:person-1",)


def test_last_reminded_gives_the_latest_reminder_per_person(reminder_sender, clock):
    queue(reminder_sender, [reminder_person(1), reminder_person(2)])
    first = clock.datetime()
    clock.advance(days=4)
    queue(reminder_sender, [reminder_person(1)])

    reminded = services.last_reminded(
        plan_id=PLAN_ID, person_ids=["580:person-1", "580:person-2", "580:person-3"]
    )

    assert reminded == {"580:person-1": clock.datetime(), "580:person-2": first}
    assert services.last_reminded(plan_id=OTHER_PLAN, person_ids=["580:person-1"]) == {}


def test_a_send_is_capped_and_the_rest_wait_for_the_next(settings):
    settings.REMINDER_MAX_PER_SEND = 3
    people = [reminder_person(n) for n in range(5)]

    preview = services.reminder_candidates(plan_id=PLAN_ID, people=people)

    assert len(preview.recipients) == 3
    assert [item.reason for item in preview.left_out] == [Reason.OVER_CAP, Reason.OVER_CAP]


def test_queueing_more_than_the_cap_is_refused(reminder_sender, settings):
    settings.REMINDER_MAX_PER_SEND = 2
    with pytest.raises(services.ReminderError, match="at most 2"):
        queue(reminder_sender, [reminder_person(n) for n in range(3)])
    assert not Email.objects.exists()


def test_a_large_send_is_written_in_batches_in_one_transaction(reminder_sender, monkeypatch):
    monkeypatch.setattr(services, "QUEUE_BATCH_SIZE", 2)

    with CaptureQueriesContext(connection) as queries:
        count = queue(reminder_sender, [reminder_person(n) for n in range(5)])

    assert count == 5
    email_inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "post_office_email"')]
    assert len(email_inserts) == 3
    assert Reminder.objects.filter(email__isnull=False).count() == 5


def test_a_double_submit_queues_once_and_says_it_was_sent(reminder_sender):
    token = services.new_token()
    assert queue(reminder_sender, [reminder_person(1)], token=token) == 1

    with pytest.raises(services.AlreadySent, match="already sent") as raised:
        queue(reminder_sender, [reminder_person(1)], token=token)

    assert raised.value.batch.message_count == 1
    assert Email.objects.count() == 1
    assert Batch.objects.count() == 1


def test_an_address_that_is_not_one_is_refused_and_nothing_is_queued(reminder_sender):
    with pytest.raises(services.NoAddress):
        queue(reminder_sender, [reminder_person(1), reminder_person(2, email="x@@y")])
    assert not Email.objects.exists()
    assert not Reminder.objects.exists()


def test_the_record_keeps_copies_of_whom_it_went_to(reminder_sender):
    queue(reminder_sender, [reminder_person(1, name="Alice Adams")])

    reminder = Reminder.objects.get()
    assert (reminder.plan_id, reminder.plan_name) == (PLAN_ID, "Engagement survey")
    assert (reminder.person_id, reminder.person_name, reminder.person_email) == (
        "580:person-1",
        "Alice Adams",
        "person1@example.com",
    )
    assert (reminder.sender, reminder.sender_username) == (reminder_sender, "hannah")
    assert reminder.email.to == ["person1@example.com"]


def test_every_send_is_in_the_audit_log(reminder_sender, rf):
    request = rf.post("/plans/x/remind/?state=not_started")
    request.user = reminder_sender
    queue(
        reminder_sender,
        [reminder_person(1), reminder_person(2)],
        selection={"state": "not_started", "department": "Sales"},
        request=request,
    )

    entry = AuditEntry.objects.get()
    assert entry.action == Action.SEND_REMINDERS
    assert entry.user == reminder_sender
    assert (entry.plan_id, entry.plan_name) == (PLAN_ID, "Engagement survey")
    assert entry.filters == {"state": "not_started", "department": "Sales"}
    assert entry.row_count == 2


def test_nothing_is_queued_when_the_audit_entry_cannot_be_written(reminder_sender, rf, monkeypatch):
    from django.db import DatabaseError

    from audit import services as audit
    from audit.models import AuditEntry

    def refuse(self, *args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(AuditEntry, "save", refuse)
    request = rf.post("/")
    request.user = reminder_sender

    with pytest.raises(audit.AuditUnavailable):
        queue(reminder_sender, [reminder_person(1)], request=request)

    assert not Email.objects.exists()
    assert not Batch.objects.exists()


def test_the_default_text_names_the_plan():
    text = services.default_reminder_message(plan_name="Q3 check-in")
    assert "Q3 check-in" in text
    assert services.default_reminder_subject(plan_name="Q3\ncheck-in") == "Reminder: Q3 check-in"


def test_the_example_is_rendered_for_one_person():
    rendered = services.render_reminder(
        person=reminder_person(1, name="Alice", since=None),
        plan_name="Q3",
        subject="Hi",
        message="Text",
        sender_name="Hannah",
    )
    assert rendered.subject == "Hi"
    assert "Hello Alice," in rendered.text
    assert "<p>Hello Alice,</p>" in rendered.html


def test_a_preview_token_is_new_each_time():
    a = services.reminder_candidates(plan_id=PLAN_ID, people=[])
    b = services.reminder_candidates(plan_id=PLAN_ID, people=[])
    assert a.token != b.token
