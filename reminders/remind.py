"""Remind a plan's people chosen by the people table's filters, and e-mail a manager their list.

Preview on GET, send on POST. The preview's recipients travel in a signed token: the POST
queues them only if the data still chooses exactly them, and a repeated token (a double
submit) queues nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from plans import organisation, roster, services
from plans.forms import OLD_STILL_TO_ACT
from plans.tables import teams_chat_url
from reminders import services as reminders
from reminders.models import Batch
from reminders.services import DigestLine, Manager, Person

SALT = "reminders.remind"
# A preview is good for a working day; an older one is previewed again.
TOKEN_MAX_AGE = 12 * 3600
# The people table's states, and its bookmarks' "outstanding" from before "to_act".
STATES = (
    "",
    roster.STILL_TO_ACT,
    services.COMPLETED,
    services.IN_PROGRESS,
    services.NOT_STARTED,
    OLD_STILL_TO_ACT,
)


def send_page(view):  # type: ignore[no-untyped-def]
    """Readable by whoever may view plans; a POST is checked for send_reminders in the view."""
    return permission_required("plans.view_plans", raise_exception=True)(
        require_http_methods(["GET", "HEAD", "POST"])(view)
    )


class SelectionForm(forms.Form):
    """The people table's filters, as roster.select takes them."""

    state = forms.ChoiceField(choices=[(s, s) for s in STATES], required=False)
    q = forms.CharField(max_length=200, required=False)
    department = forms.CharField(max_length=200, required=False)
    manager = forms.CharField(max_length=200, required=False)

    def clean_state(self) -> str:
        state: str = self.cleaned_data["state"]
        return roster.STILL_TO_ACT if state == OLD_STILL_TO_ACT else state


class MessageForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    subject = forms.CharField(max_length=reminders.SUBJECT_MAX)
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=5000)


@dataclass(frozen=True)
class Changed:
    """How the chosen people differ from the preview's."""

    added: int
    removed: int


def member_person(member: roster.Member) -> Person:
    return Person(
        api_id=member.user.api_id,
        name=member.user.name,
        email=(member.person.email if member.person else "") or member.user.email,
        # Someone the users endpoint does not call inactive is taken as active.
        active=member.active is not False,
        state=member.standing.state,  # type: ignore[arg-type]
        stage=member.standing.stage,
        since=member.standing.moved,
    )


def _sign(*, kind: str, key: str, ids: tuple[str, ...], token: str) -> str:
    return signing.dumps({"kind": kind, "key": key, "ids": list(ids), "token": token}, salt=SALT)


def _unsign(value: str, *, kind: str, key: str) -> dict[str, Any] | None:
    try:
        data = signing.loads(value, salt=SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("kind") != kind or data.get("key") != key:
        return None
    return data


def _changed(signed_ids: list[str], ids: tuple[str, ...]) -> Changed | None:
    before, now = set(signed_ids), set(ids)
    if before == now:
        return None
    return Changed(added=len(now - before), removed=len(before - now))


def _refused(request: HttpRequest, sentence: str) -> HttpResponse:
    return render(request, "400.html", {"message": sentence}, status=400)


@send_page
def plan_remind(request: HttpRequest, api_id: str) -> HttpResponseBase:
    selection = SelectionForm(request.GET)
    if not selection.is_valid():
        return render(request, "400.html", {"form": selection}, status=400)
    if request.method == "POST" and not reminders.can_send_reminders(request.user):
        raise PermissionDenied
    client = services.client_for(request)
    plan = services.plan_get(client=client, api_id=api_id)
    members = roster.select(
        roster.plan_roster(client=client, plan=plan).members, **selection.cleaned_data
    )
    preview = reminders.reminder_candidates(
        plan_id=plan.api_id, people=[member_person(m) for m in members]
    )
    sender_name = request.user.get_full_name() or request.user.get_username()  # type: ignore[union-attr]
    changed = None
    if request.method == "POST":
        form = MessageForm(request.POST)
        if not form.is_valid():
            return _refused(request, "The message needs a subject and a text.")
        signed = _unsign(form.cleaned_data["token"], kind="plan", key=plan.api_id)
        if signed is None:
            return _refused(request, "This send form was altered or is too old. Preview again.")
        if Batch.objects.filter(token=signed["token"]).exists():
            # The second of a double submit: its people are now in the cooldown.
            messages.info(request, "These reminders were already sent; nothing was sent twice.")
            return redirect(reverse("reminders:outbox") + "?" + urlencode({"plan": plan.api_id}))
        changed = _changed(signed["ids"], preview.person_ids)
        if changed is None:
            try:
                count = reminders.queue_reminders(
                    plan_id=plan.api_id,
                    plan_name=plan.name,
                    people=preview.recipients,
                    subject=form.cleaned_data["subject"],
                    message=form.cleaned_data["message"],
                    sender=request.user,
                    reply_to=request.user.email,  # type: ignore[union-attr]
                    token=signed["token"],
                    selection=selection.cleaned_data,
                    request=request,
                )
            except reminders.AlreadySent:
                messages.info(request, "These reminders were already sent; nothing was sent twice.")
            else:
                messages.success(request, f"{count:,} reminders queued.")
            return redirect(reverse("reminders:outbox") + "?" + urlencode({"plan": plan.api_id}))
        message_form = MessageForm(
            initial={**form.cleaned_data, "token": _new_token(preview, "plan", plan.api_id)}
        )
    else:
        message_form = MessageForm(
            initial={
                "token": _new_token(preview, "plan", plan.api_id),
                "subject": reminders.default_reminder_subject(plan_name=plan.name),
                "message": reminders.default_reminder_message(plan_name=plan.name),
            }
        )
    example = None
    if preview.recipients:
        example = reminders.render_reminder(
            person=preview.recipients[0],
            plan_name=plan.name,
            subject=message_form["subject"].value(),
            message=message_form["message"].value(),
            sender_name=sender_name,
        )
    return render(
        request,
        "reminders/remind.html",
        {
            "plan": plan,
            "preview": preview,
            "left_out_counts": preview.left_out_counts(),
            "chosen": len(members),
            "form": message_form,
            "example": example,
            "changed": changed,
            "can_send": reminders.can_send_reminders(request.user),
            "back": reverse("plans:detail", args=[plan.api_id]),
            "cooldown_days": settings.REMINDER_COOLDOWN_DAYS,
        },
        status=409 if changed else 200,
    )


def _new_token(preview: reminders.Preview, kind: str, key: str) -> str:
    return _sign(kind=kind, key=key, ids=preview.person_ids, token=preview.token)


# --- A manager's list ------------------------------------------------------------------------


def manager_lists(
    org: organisation.Organisation, *, manager_api_id: str = ""
) -> dict[str, tuple[Manager, list[DigestLine]]]:
    """Each manager (or only `manager_api_id`) with their people still to act across active
    plans, by manager api_id: from the organisation's read, as `/outstanding/` shows them."""
    lists: dict[str, tuple[Manager, list[DigestLine]]] = {}
    chosen = organisation.outstanding(org, manager=manager_api_id)
    for group in organisation.by_manager(chosen):
        m = group.manager
        if m is None:
            continue  # nobody to send their list to
        lines = [
            DigestLine(
                plan_id=a.plan.api_id,
                plan_name=a.plan.name,
                person_name=a.name,
                state=a.standing.state,  # type: ignore[arg-type]
                stage=a.standing.stage,
                since=a.standing.moved,
            )
            for a in group.assignments
        ]
        lists[m.api_id] = (Manager(api_id=m.api_id, name=m.name, email=m.email), lines)
    return lists


@send_page
def manager_list(request: HttpRequest, manager_api_id: str) -> HttpResponseBase:
    if request.method == "POST" and not reminders.can_send_reminders(request.user):
        raise PermissionDenied
    org = organisation.organisation(services.client_for(request)).org
    manager, lines = manager_lists(org, manager_api_id=manager_api_id).get(
        manager_api_id, (None, [])
    )
    ids = tuple(sorted(f"{line.plan_id} {line.person_name}" for line in lines))
    changed = None
    if request.method == "POST":
        signed = _unsign(request.POST.get("token", ""), kind="manager", key=manager_api_id)
        if signed is None:
            return _refused(request, "This send form was altered or is too old. Preview again.")
        if Batch.objects.filter(token=signed["token"]).exists():
            messages.info(request, "This list was already sent; nothing was sent twice.")
            return redirect(reverse("reminders:outbox"))
        changed = _changed(signed["ids"], ids)
        if changed is None and manager is not None:
            try:
                reminders.queue_digest(
                    manager=manager,
                    people=lines,
                    sender=request.user,
                    reply_to=request.user.email,  # type: ignore[union-attr]
                    token=signed["token"],
                    request=request,
                )
            except reminders.AlreadySent:
                messages.info(request, "This list was already sent; nothing was sent twice.")
            except reminders.NoAddress as error:
                return _refused(request, str(error))
            else:
                messages.success(request, f"{manager.name}'s list queued.")
            return redirect(reverse("reminders:outbox") + "?" + urlencode({"person": manager.name}))
    example = None
    if manager is not None and lines:
        example = reminders.render_digest(
            manager=manager,
            lines=lines,
            sender_name=request.user.get_full_name() or request.user.get_username(),  # type: ignore[union-attr]
        )
    return render(
        request,
        "reminders/manager_list.html",
        {
            "manager": manager,
            "manager_api_id": manager_api_id,
            "lines": lines,
            "example": example,
            "changed": changed,
            "token": _sign(
                kind="manager", key=manager_api_id, ids=ids, token=reminders.new_token()
            ),
            "teams_url": teams_chat_url(manager.email) if manager and manager.email else "",
            "can_send": reminders.can_send_reminders(request.user),
        },
        status=409 if changed else 200,
    )
