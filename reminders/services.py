"""Reminders and managers' lists: who gets a message, writing them to the mail queue,
and what was sent. The pages (a plan's "Remind these people", /outstanding/) and
`manage.py send_digests` are thin views over these functions.

Messages go to django-post-office's queue (its Email rows); `manage.py send_queued_mail`
delivers them with retries. Each message also gets a Reminder row holding copies of what
was sent to whom (reminders/models.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from post_office.models import PRIORITY, STATUS, Email
from post_office.signals import email_queued

from audit.actions import Action
from reminders.models import Batch, Kind, Reminder

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser, AnonymousUser

    User = AbstractUser | AnonymousUser

State = Literal["completed", "in_progress", "not_started"]

STATE_LABELS: dict[str, str] = {
    "completed": "Completed",
    "in_progress": "In progress",
    "not_started": "Not started",
}

# Rows written per INSERT: large sends stay a handful of statements, each of bounded size.
QUEUE_BATCH_SIZE = 500
SUBJECT_MAX = 200
MESSAGE_MAX = 5000


class ReminderError(Exception):
    """A send that cannot go ahead; the message says why, to the HR admin."""


class AlreadySent(ReminderError):
    """This preview was sent already (a double submit): nothing more is queued."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        sender = batch.sender_username or "the schedule"
        super().__init__(
            f"These messages were already sent ({batch.message_count} queued "
            f"at {timezone.localtime(batch.created_at):%H:%M} by {sender})."
        )


class NoAddress(ReminderError):
    """The recipient has no usable e-mail address."""


@dataclass(frozen=True)
class Person:
    """Someone who may be reminded about one plan, as the plan's people table has them."""

    api_id: str
    name: str
    email: str
    active: bool
    state: State
    stage: str = ""  # where they are, when in progress ("Manager review")
    since: datetime | date | None = None


class Reason(models.TextChoices):
    """Why someone is left out of a reminder, in the order they are checked."""

    COMPLETED = "completed", "already completed"
    INACTIVE = "inactive", "inactive in Perform & Engage 365"
    NO_EMAIL = "no_email", "no e-mail address"
    COOLDOWN = "cooldown", "reminded recently"
    OVER_CAP = "over_cap", "over the limit of one send"


@dataclass(frozen=True)
class LeftOut:
    person: Person
    reason: Reason


@dataclass(frozen=True)
class Preview:
    """Who gets a message, and who does not and why. `token` is the one-time key the send
    form carries back, so a double submit of this preview queues nothing the second time."""

    recipients: tuple[Person, ...]
    left_out: tuple[LeftOut, ...]
    token: str

    @property
    def person_ids(self) -> tuple[str, ...]:
        return tuple(person.api_id for person in self.recipients)

    def left_out_counts(self) -> dict[Reason, int]:
        """How many are left out for each reason, in Reason's order, reasons with none left out."""
        counts = dict.fromkeys(Reason, 0)
        for item in self.left_out:
            counts[item.reason] += 1
        return {reason: count for reason, count in counts.items() if count}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Manager:
    api_id: str
    name: str
    email: str


@dataclass(frozen=True)
class DigestLine:
    """One of a manager's people still to act on one plan."""

    plan_id: str
    plan_name: str
    person_name: str
    state: State
    stage: str = ""
    since: datetime | date | None = None


# --- Who may send --------------------------------------------------------------------------


def can_send_reminders(user: User) -> bool:
    return bool(user.is_active and user.has_perm("plans.send_reminders"))


# --- Who gets a message ----------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(24)


def usable_address(email: str) -> bool:
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def reminder_candidates(
    *, plan_id: str, people: Iterable[Person], now: datetime | None = None
) -> Preview:
    """Split `people` into who gets a reminder about the plan and who is left out, and why.

    Each person counts once (by api_id). Left out: completed, inactive, no usable address,
    reminded about this plan in the last REMINDER_COOLDOWN_DAYS days, and anyone past
    REMINDER_MAX_PER_SEND (they are reminded by the next send).
    """
    now = now or timezone.now()
    unique: dict[str, Person] = {}
    for person in people:
        unique.setdefault(person.api_id, person)
    reminded = last_reminded(
        plan_id=plan_id,
        person_ids=list(unique),
        since=now - timedelta(days=settings.REMINDER_COOLDOWN_DAYS),
    )
    recipients: list[Person] = []
    left_out: list[LeftOut] = []
    for person in unique.values():
        reason = _left_out_reason(person, reminded)
        if reason is None and len(recipients) >= settings.REMINDER_MAX_PER_SEND:
            reason = Reason.OVER_CAP
        if reason is None:
            recipients.append(person)
        else:
            left_out.append(LeftOut(person, reason))
    return Preview(recipients=tuple(recipients), left_out=tuple(left_out), token=new_token())


def _left_out_reason(person: Person, reminded: Mapping[str, datetime]) -> Reason | None:
    if person.state == "completed":
        return Reason.COMPLETED
    if not person.active:
        return Reason.INACTIVE
    if not usable_address(person.email):
        return Reason.NO_EMAIL
    if person.api_id in reminded:
        return Reason.COOLDOWN
    return None


def last_reminded(
    *, plan_id: str, person_ids: Sequence[str] | None = None, since: datetime | None = None
) -> dict[str, datetime]:
    """When each of these people (everyone reminded about the plan when `person_ids` is None)
    was last reminded about it (a message that has not failed for good), for the cooldown
    and the people table's "Reminded 2 days ago"."""
    if person_ids is not None and not person_ids:
        return {}
    reminders = Reminder.objects.filter(kind=Kind.REMINDER, plan_id=plan_id)
    if person_ids is not None:
        reminders = reminders.filter(person_id__in=person_ids)
    rows = (
        reminders.exclude(email__status=STATUS.failed)
        .filter(**({"created_at__gte": since} if since else {}))
        .values("person_id")
        .annotate(last=Max("created_at"))
    )
    return {row["person_id"]: row["last"] for row in rows}


# --- The messages ----------------------------------------------------------------------------


def default_reminder_message(*, plan_name: str) -> str:
    """The text a sender starts from (plain text; they may edit it)."""
    return render_to_string("reminders/email/reminder_default.txt", {"plan_name": plan_name})


def default_reminder_subject(*, plan_name: str) -> str:
    return one_line(f"Reminder: {plan_name}" if plan_name else "Reminder")


def one_line(text: str, limit: int = SUBJECT_MAX) -> str:
    """A header value: no line breaks (they would inject headers), bounded length."""
    return " ".join(text.split())[:limit]


def render_reminder(
    *, person: Person, plan_name: str, subject: str, message: str, sender_name: str
) -> Rendered:
    """One person's reminder: their name, the plan, where they are and the link to act.

    The sender's `message` is data in the context: autoescaped in the HTML part, never
    read as template code.
    """
    context = {
        "name": person.name,
        "plan_name": plan_name,
        "state": person.state,
        "state_label": STATE_LABELS.get(person.state, person.state),
        "stage": person.stage,
        "since": person.since,
        "message": message[:MESSAGE_MAX],
        "sender_name": sender_name,
        "app_url": settings.PE365_APP_URL,
    }
    return Rendered(
        subject=one_line(subject),
        text=render_to_string("reminders/email/reminder.txt", context),
        html=render_to_string("reminders/email/reminder.html", context),
    )


def render_digest(*, manager: Manager, lines: Sequence[DigestLine], sender_name: str) -> Rendered:
    by_plan: dict[tuple[str, str], list[DigestLine]] = {}
    for line in lines:
        by_plan.setdefault((line.plan_id, line.plan_name), []).append(line)
    context = {
        "name": manager.name,
        "plans": [
            {
                "name": plan_name,
                "people": [
                    {
                        "name": line.person_name,
                        "state_label": STATE_LABELS.get(line.state, line.state),
                        "stage": line.stage,
                        "since": line.since,
                    }
                    for line in plan_lines
                ],
            }
            for (_, plan_name), plan_lines in by_plan.items()
        ],
        "count": len(lines),
        "sender_name": sender_name,
        "app_url": settings.PE365_APP_URL,
    }
    return Rendered(
        subject=one_line(
            f"Your team: {len(lines)} {'person' if len(lines) == 1 else 'people'} still to act"
        ),
        text=render_to_string("reminders/email/digest.txt", context),
        html=render_to_string("reminders/email/digest.html", context),
    )


def _queued_email(*, to: str, rendered: Rendered, reply_to: str) -> Email:
    # Built directly: post-office's send()/create() render subject and bodies as template
    # source, and these are finished texts carrying people's names and the sender's words.
    return Email(
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        subject=rendered.subject,
        message=rendered.text,
        html_message=rendered.html,
        headers={"Reply-To": reply_to} if reply_to else None,
        priority=PRIORITY.medium,
        status=STATUS.queued,
    )


def _sender_fields(sender: User | None) -> dict[str, Any]:
    if sender is None or not sender.is_authenticated:
        return {"sender": None, "sender_username": ""}
    return {"sender": sender, "sender_username": sender.get_username()}


def _new_batch(*, token: str, **fields: Any) -> Batch:
    try:
        # A savepoint: the caller's transaction survives a duplicate token.
        with transaction.atomic():
            return Batch.objects.create(token=token, **fields)
    except IntegrityError:
        existing = Batch.objects.filter(token=token).first()
        if existing is None:
            raise
        raise AlreadySent(existing) from None


def _write(batch: Batch, pairs: list[tuple[Email, Reminder]]) -> None:
    for start in range(0, len(pairs), QUEUE_BATCH_SIZE):
        chunk = pairs[start : start + QUEUE_BATCH_SIZE]
        emails = Email.objects.bulk_create([email for email, _ in chunk])
        for email, (_, reminder) in zip(emails, chunk, strict=True):
            reminder.email = email
            reminder.batch = batch
        Reminder.objects.bulk_create([reminder for _, reminder in chunk])
        email_queued.send(sender=Email, emails=emails)


# Stands for the person's name in a reminder rendered once for everyone in the same place.
_NAME = "\x00name\x00"


class _SharedRendering:
    """Renders a send's reminder once per place people are in (state, stage, since) and
    puts each name in: the name is all that differs between them, and rendering the two
    templates for each of thousands of people is most of the time a send takes."""

    def __init__(self, *, plan_name: str, subject: str, message: str, sender: User | None):
        self.fields = {
            "plan_name": plan_name.replace("\x00", ""),
            "subject": subject,
            "message": message.replace("\x00", ""),
            "sender_name": _display_name(sender),
        }
        self.rendered: dict[tuple[object, ...], Rendered] = {}

    def __call__(self, person: Person) -> Rendered:
        name = person.name.replace("\x00", "")
        if not name:
            return render_reminder(person=person, **self.fields)
        key = (person.state, person.stage, person.since)
        shared = self.rendered.get(key)
        if shared is None:
            stand_in = replace(person, name=_NAME)
            shared = self.rendered[key] = render_reminder(person=stand_in, **self.fields)
        return Rendered(
            subject=shared.subject,
            text=shared.text.replace(_NAME, name),
            html=shared.html.replace(_NAME, escape(name)),
        )


def queue_reminders(
    *,
    plan_id: str,
    plan_name: str,
    people: Sequence[Person],
    subject: str,
    message: str,
    sender: User | None,
    reply_to: str,
    token: str,
    selection: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> int:
    """Queue one reminder per person (already chosen by reminder_candidates), all or none.

    Returns how many were queued. Raises AlreadySent when `token` was sent before (the
    second of a double submit), ReminderError past REMINDER_MAX_PER_SEND, and
    audit.services.AuditUnavailable (nothing queued) when the audit entry cannot be written.
    """
    if len(people) > settings.REMINDER_MAX_PER_SEND:
        raise ReminderError(
            f"One send reaches at most {settings.REMINDER_MAX_PER_SEND:,} people; "
            f"this one has {len(people):,}. Narrow the selection."
        )
    now = now or timezone.now()
    who = _sender_fields(sender)
    reply_to = reply_to if reply_to and usable_address(reply_to) else ""
    render = _SharedRendering(plan_name=plan_name, subject=subject, message=message, sender=sender)
    pairs: list[tuple[Email, Reminder]] = []
    seen: set[str] = set()
    for person in people:
        if person.api_id in seen:
            continue
        seen.add(person.api_id)
        if not usable_address(person.email):
            raise NoAddress(f"{person.name or person.api_id} has no usable e-mail address.")
        email = _queued_email(to=person.email, rendered=render(person), reply_to=reply_to)
        reminder = Reminder(
            kind=Kind.REMINDER,
            plan_id=plan_id,
            plan_name=plan_name,
            person_id=person.api_id,
            person_name=person.name,
            person_email=person.email,
            created_at=now,
            **who,
        )
        pairs.append((email, reminder))
    with transaction.atomic():
        batch = _new_batch(
            token=token,
            kind=Kind.REMINDER,
            plan_id=plan_id,
            plan_name=plan_name,
            message_count=len(pairs),
            created_at=now,
            **who,
        )
        _write(batch, pairs)
        _audit(
            request,
            sender,
            action=Action.SEND_REMINDERS,
            plan_id=plan_id,
            plan_name=plan_name,
            selection=selection,
            count=len(pairs),
        )
    return len(pairs)


def queue_digest(
    *,
    manager: Manager,
    people: Sequence[DigestLine],
    sender: User | None,
    reply_to: str = "",
    token: str | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Reminder | None:
    """Queue one message to `manager` listing exactly `people` (their own, across plans).

    None, and nothing queued, when the list is empty. `sender` None is the schedule
    (`manage.py send_digests`). Raises NoAddress, AlreadySent (a repeated `token`) and
    AuditUnavailable as queue_reminders does.
    """
    if not people:
        return None
    if not usable_address(manager.email):
        raise NoAddress(f"{manager.name or manager.api_id} has no usable e-mail address.")
    now = now or timezone.now()
    who = _sender_fields(sender)
    rendered = render_digest(manager=manager, lines=people, sender_name=_display_name(sender))
    reply_to = reply_to if reply_to and usable_address(reply_to) else ""
    email = _queued_email(to=manager.email, rendered=rendered, reply_to=reply_to)
    reminder = Reminder(
        kind=Kind.DIGEST,
        person_id=manager.api_id,
        person_name=manager.name,
        person_email=manager.email,
        created_at=now,
        **who,
    )
    with transaction.atomic():
        batch = _new_batch(
            token=token or new_token(), kind=Kind.DIGEST, message_count=1, created_at=now, **who
        )
        _write(batch, [(email, reminder)])
        _audit(
            request,
            sender,
            action=Action.SEND_DIGEST,
            plan_id="",
            plan_name="",
            selection={"manager": manager.api_id, "people": len(people)},
            count=1,
            person=manager.name or manager.api_id,
        )
    return reminder


def _display_name(sender: User | None) -> str:
    if sender is None or not sender.is_authenticated:
        return "HR"
    full_name = getattr(sender, "get_full_name", lambda: "")()
    return str(full_name or sender.get_username())


def _audit(
    request: HttpRequest | None,
    sender: User | None,
    *,
    action: Action,
    plan_id: str,
    plan_name: str,
    selection: Mapping[str, Any] | None,
    count: int,
    person: str = "",
) -> None:
    """The send's audit entry, in the send's transaction: no entry, nothing queued."""
    from audit import services as audit
    from audit.models import AuditEntry

    if request is not None:
        audit.record(
            request,
            action=action,
            plan_id=plan_id,
            plan_name=plan_name,
            person=person,
            filters=selection,
            row_count=count,
        )
        return
    # A scheduled send has no request: its entry names the schedule, or the given sender.
    AuditEntry.objects.create(
        action=action,
        plan_id=plan_id[:200],
        plan_name=plan_name[:300],
        person=person[:300],
        filters=dict(selection or {}),
        row_count=count,
        **(
            {"user": sender, "username": sender.get_username()}
            if sender and sender.is_authenticated
            else {"username": "(schedule)"}
        ),
    )
