"""The remind page: a plan's people chosen by the people table's filters, previewed, then sent
once; and a manager's list. Against the demo API on loopback."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.utils.http import urlencode
from post_office.models import Email

from audit.models import AuditEntry
from demo_api import data
from plans import roster, services
from plans.api.client import Client
from reminders.models import Reminder
from reminders.remind import member_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_upstream):
    """The demo API, with the shared cache on: a test's views share their reads."""
    return demo_upstream


@pytest.fixture
def sender(admin_client, hr_admin):
    hr_admin.email = "hannah.hr@example.com"
    hr_admin.save()
    return admin_client


def a_small_plan():
    """The first active plan of 5 to 40 people in the demo data, with its roster."""
    chosen = next(
        p for p in data.plans() if p["status"] == "active" and 5 <= len(p["assigned_users"]) <= 40
    )
    client = Client.from_settings()
    plan = services.plan_get(client=client, api_id=chosen["api_id"])
    return plan, roster.plan_roster(client=client, plan=plan).members


def expected_recipients(members, **filters):
    return [
        m
        for m in roster.select(members, **filters)
        if m.standing.state != services.COMPLETED
        and member_person(m).active
        and member_person(m).email
    ]


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


def test_the_preview_counts_exactly_the_people_still_to_act(demo, sender):
    plan, members = a_small_plan()
    expected = expected_recipients(members)

    response = sender.get(f"/plans/{plan.api_id}/remind/")

    assert response.status_code == 200
    assert response.context["chosen"] == len(members)
    assert len(response.context["preview"].recipients) == len(expected)
    completed = sum(m.standing.state == services.COMPLETED for m in members)
    assert dict(response.context["left_out_counts"]).get("completed", 0) == completed
    assert not Email.objects.exists()  # a GET never sends


def test_sending_queues_exactly_the_previewed_people_once(demo, sender):
    plan, _members = a_small_plan()
    url = f"/plans/{plan.api_id}/remind/?state={roster.STILL_TO_ACT}"
    preview = sender.get(url)
    form = {"token": token_of(preview), "subject": "Please finish", "message": "Thanks!"}

    first = sender.post(url, form)
    second = sender.post(url, form)

    assert first.status_code == second.status_code == 302
    queued = set(Reminder.objects.values_list("person_id", flat=True))
    assert queued == {p.api_id for p in preview.context["preview"].recipients}
    assert Email.objects.count() == len(queued)
    entry = AuditEntry.objects.get(action="send_reminders")
    assert entry.row_count == len(queued) and entry.filters["state"] == roster.STILL_TO_ACT


def test_a_changed_selection_is_shown_not_sent(demo, sender):
    plan, _members = a_small_plan()
    url = f"/plans/{plan.api_id}/remind/"
    form = {"token": token_of(sender.get(url)), "subject": "S", "message": "M"}
    # Someone is reminded by another send in between: the preview's people are no longer chosen.
    first = sender.get(url).context["preview"].recipients[0]
    narrow = f"{url}?{urlencode({'q': first.name})}"
    assert sender.post(narrow, {**form, "token": token_of(sender.get(narrow))}).status_code == 302

    response = sender.post(url, form)

    assert response.status_code == 409
    assert response.context["changed"].removed >= 1


def test_a_tampered_token_is_refused(demo, sender):
    plan, _ = a_small_plan()
    url = f"/plans/{plan.api_id}/remind/"
    token = token_of(sender.get(url))

    response = sender.post(url, {"token": token[:-2] + "xx", "subject": "S", "message": "M"})

    assert response.status_code == 400
    assert not Email.objects.exists()


def test_someone_without_the_permission_sees_no_button_and_gets_403(demo, sender, hr_admin):
    hr_admin.groups.first().permissions.remove(Permission.objects.get(codename="send_reminders"))
    plan, _ = a_small_plan()
    url = f"/plans/{plan.api_id}/remind/"

    page = sender.get(url)
    response = sender.post(url, {"token": "x", "subject": "S", "message": "M"})

    assert 'id="remind-form"' not in page.content.decode()
    assert response.status_code == 403


def test_a_bad_state_is_a_400(demo, sender):
    plan, _ = a_small_plan()
    assert sender.get(f"/plans/{plan.api_id}/remind/?state=nonsense").status_code == 400


def test_a_managers_list_is_previewed_with_a_teams_link_and_sent_once(
    demo, demo_organisation, sender
):
    plan, members = a_small_plan()
    manager = next(m.manager for m in members if m.manager and m.standing.state != "completed")
    url = f"/outstanding/{manager.api_id}/remind/"

    page = sender.get(url)
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)
    sender.post(url, {"token": token})
    sender.post(url, {"token": token})

    assert page.status_code == 200
    assert f"https://teams.microsoft.com/l/chat/0/0?users={manager.email.replace('@', '%40')}" in (
        page.content.decode()
    )
    lines = page.context["lines"]
    assert any(line.plan_id == plan.api_id for line in lines)
    assert Reminder.objects.filter(kind="digest", person_email=manager.email).count() == 1


def test_send_digests_queues_one_list_per_manager_and_a_dry_run_queues_nothing(demo, capsys):
    from django.core.management import call_command

    call_command("send_digests", "--dry-run")
    printed = capsys.readouterr().out
    assert not Email.objects.exists()
    managers = int(re.search(r"Dry run: (\d+) managers", printed).group(1))

    call_command("send_digests")

    digests = Reminder.objects.filter(kind="digest")
    assert managers > 0
    assert digests.count() == managers
    assert digests.values("person_email").distinct().count() == managers
    assert AuditEntry.objects.filter(action="send_digest", username="(schedule)").count() == (
        managers
    )


def test_a_manager_with_nobody_to_chase_gets_no_list(demo, demo_organisation, sender):
    response = sender.get("/outstanding/580:no-such-manager/remind/")

    assert response.status_code == 200
    assert response.context["lines"] == []
    assert 'name="token"' not in response.content.decode()


def test_the_people_table_offers_remind_these_people_to_senders_only(demo, sender, hr_admin):
    plan, _ = a_small_plan()
    people = f"/plans/{plan.api_id}/participation/?state=to_act&q=a"
    link = f"/plans/{plan.api_id}/remind/?state=to_act&amp;q=a"

    offered = link in sender.get(people).content.decode()
    hr_admin.groups.first().permissions.remove(Permission.objects.get(codename="send_reminders"))
    withheld = "Remind these people" not in sender.get(people).content.decode()

    assert offered, "the link carries the table's selection"
    assert withheld


def test_last_reminded_gives_every_reminded_person_of_a_plan(demo, sender):
    from reminders.services import last_reminded

    plan, _ = a_small_plan()
    url = f"/plans/{plan.api_id}/remind/"
    preview = sender.get(url)
    sender.post(url, {"token": token_of(preview), "subject": "S", "message": "M"})

    reminded = last_reminded(plan_id=plan.api_id)

    assert set(reminded) == {p.api_id for p in preview.context["preview"].recipients}
