"""The audit log: every export, participation view, person lookup and sign-in leaves an
entry; an export that cannot be recorded is refused; staff read, filter, search and
export the log in the admin, read-only; prune_audit ages entries out."""

import csv
import io
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django.http import QueryDict
from django.test import RequestFactory
from django.utils import timezone
from responses import matchers

import audit
from audit.models import AuditEntry
from tests.helpers import (
    PLAN_ID,
    PLAN_URL,
    PLANS_URL,
    expect_plan_people,
    load_fixture,
    person_record,
    plan_item,
)

pytestmark = pytest.mark.django_db

# The fixture plan's one assigned user.
JOANNE_ID = "582:8a1fc17e-d1f5-4d6b-924e-dea3912814e3"


def only_entry(*, besides_sign_ins: bool = False) -> AuditEntry:
    entries = AuditEntry.objects.all()
    if besides_sign_ins:  # the test client's own log-in is one
        entries = entries.exclude(action=audit.Action.SIGN_IN)
    (entry,) = entries
    return entry


@pytest.fixture
def broken_audit_table(monkeypatch):
    """The database refuses audit entries (a full disk, a lost connection, a lock)."""

    def refuse(*args, **kwargs):
        raise DatabaseError("could not extend file: No space left on device")

    monkeypatch.setattr(AuditEntry, "save", refuse)


# --- Exports ------------------------------------------------------------------------------


def test_the_plans_export_records_who_which_filters_and_how_many_rows(admin_client, upstream):
    upstream.get(
        PLANS_URL,
        json={"count": 3, "results": [plan_item(n) for n in range(3)]},
        match=[matchers.query_param_matcher({"name": "Plan", "limit": "100", "offset": "0"})],
    )

    response = admin_client.get(
        "/plans/export.csv?name=Plan&status=draft&sort=-name", REMOTE_ADDR="10.1.2.3"
    )

    assert response.status_code == 200
    entry = only_entry(besides_sign_ins=True)
    assert entry.action == audit.Action.EXPORT_PLANS
    assert (entry.user.username, entry.username) == ("hannah", "hannah")
    assert entry.filters == {"name": "Plan", "status": "draft", "sort": "-name"}
    assert entry.row_count == 2  # plans 0 and 2 are the drafts
    assert entry.client_address == "10.1.2.3"
    assert timezone.now() - entry.created_at < timedelta(minutes=1)


def test_the_users_export_records_the_plan_the_search_and_the_rows(admin_client, upstream):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    expect_plan_people(upstream, [])

    response = admin_client.get(f"/plans/{PLAN_ID}/users.csv?q=jo")

    assert response.status_code == 200
    entry = only_entry(besides_sign_ins=True)
    assert entry.action == audit.Action.EXPORT_PLAN_USERS
    assert (entry.plan_id, entry.plan_name) == (PLAN_ID, "Engagement survey")
    assert entry.filters == {"q": "jo"}
    assert entry.row_count == 1


@pytest.mark.parametrize(
    "path",
    ["/plans/export.csv", f"/plans/{PLAN_ID}/users.csv"],
)
def test_an_export_that_cannot_be_recorded_is_refused_with_a_page(
    admin_client, upstream, broken_audit_table, path
):
    upstream.get(PLANS_URL, json={"count": 1, "results": [plan_item(1)]})
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    expect_plan_people(upstream, [])
    upstream.assert_all_requests_are_fired = False

    response = admin_client.get(path)

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "This could not be recorded, so it was not done" in page
    assert "audit log" in page and "Nothing was shown or sent" in page
    assert "Joanne" not in page and "Plan 001" not in page


# --- Views and lookups (one call for the pages that show them) -----------------------------


@pytest.mark.parametrize(
    ("action", "person"),
    [(audit.Action.PARTICIPATION_VIEW, ""), (audit.Action.PERSON_LOOKUP, "Joanne Stefani")],
)
def test_record_keeps_a_view_or_lookup_with_its_plan_person_and_query(hr_admin, action, person):
    request = RequestFactory().get(
        "/plans/x/participation/", {"status": "draft", "dept": ["HR", "Sales"]}, REMOTE_ADDR="::1"
    )
    request.user = hr_admin

    audit.record(
        request,
        action=action,
        plan_id=PLAN_ID,
        plan_name="Engagement survey",
        person=person,
        row_count=12,
    )

    entry = only_entry()
    assert entry.action == action
    assert (entry.plan_id, entry.plan_name, entry.person) == (PLAN_ID, "Engagement survey", person)
    assert entry.filters == {"status": "draft", "dept": ["HR", "Sales"]}
    assert (entry.row_count, entry.client_address, entry.username) == (12, "::1", "hannah")


def test_record_raises_audit_unavailable_when_the_database_refuses(hr_admin, broken_audit_table):
    request = RequestFactory().get("/")
    request.user = hr_admin
    with pytest.raises(audit.AuditUnavailable):
        audit.record(request, action=audit.Action.PERSON_LOOKUP, person="Liam")


def test_an_entry_keeps_the_username_after_the_account_is_deleted(hr_admin):
    request = RequestFactory().get("/")
    request.user = hr_admin
    audit.record(request, action=audit.Action.PARTICIPATION_VIEW, plan_id=PLAN_ID)

    hr_admin.delete()

    entry = only_entry()
    assert (entry.user, entry.username) == (None, "hannah")


def test_overlong_names_are_cut_to_fit_rather_than_refusing_the_access(hr_admin):
    request = RequestFactory().get("/", REMOTE_ADDR="not-an-address")
    request.user = hr_admin
    audit.record(request, action=audit.Action.PERSON_LOOKUP, person="x" * 1000, plan_name="p" * 999)
    entry = only_entry()
    assert (len(entry.person), len(entry.plan_name), entry.client_address) == (300, 300, None)


@pytest.mark.parametrize("query", ["", "?page=1", "?q=jo", "?department=442%3A1"])
def test_the_plan_pages_people_table_records_that_it_showed_people(admin_client, upstream, query):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    expect_plan_people(upstream, [], [person_record(1, "Joanne Stefani", api_id=JOANNE_ID)])

    response = admin_client.get(
        f"/plans/{PLAN_ID}/participation/{query}", REMOTE_ADDR="10.1.2.3", HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    entry = only_entry(besides_sign_ins=True)
    assert entry.action == audit.Action.PARTICIPATION_VIEW
    assert (entry.plan_id, entry.plan_name) == (PLAN_ID, "Engagement survey")
    assert entry.person == ""  # a search is kept as the filters, not as someone's name
    filters = dict(part.split("=") for part in query[1:].split("&") if part)
    assert entry.filters == {key: value.replace("%3A", ":") for key, value in filters.items()}
    assert (entry.row_count, entry.client_address) == (1, "10.1.2.3")


def test_a_search_of_the_plans_people_is_recorded_even_when_it_finds_nobody(admin_client, upstream):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    expect_plan_people(upstream, [])

    admin_client.get(f"/plans/{PLAN_ID}/participation/?q=zebra")

    entry = only_entry(besides_sign_ins=True)
    assert (entry.action, entry.filters, entry.row_count) == (
        audit.Action.PARTICIPATION_VIEW,
        {"q": "zebra"},
        0,
    )


def test_the_plan_page_itself_lists_nobody_and_records_nothing(admin_client, upstream):
    # Its people come with the people table (above), which records its own view.
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))

    response = admin_client.get(f"/plans/{PLAN_ID}/?q=jo")

    assert response.status_code == 200 and "jstefani@test.com" not in response.content.decode()
    assert not AuditEntry.objects.exclude(action=audit.Action.SIGN_IN).exists()


def test_a_people_table_whose_view_cannot_be_recorded_is_refused(
    admin_client, upstream, broken_audit_table
):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    expect_plan_people(upstream, [])

    response = admin_client.get(f"/plans/{PLAN_ID}/participation/?page=1")

    assert response.status_code == 503
    assert "jstefani@test.com" not in response.content.decode()


# --- Sign-in --------------------------------------------------------------------------------


def test_a_password_sign_in_is_recorded(client, django_user_model):
    django_user_model.objects.create_user(username="ines", password="right-password-1")

    client.post(
        "/accounts/login/",
        {"username": "ines", "password": "right-password-1"},
        REMOTE_ADDR="192.0.2.7",
    )

    entry = only_entry()
    assert entry.action == audit.Action.SIGN_IN
    assert (entry.username, entry.filters) == ("ines", {"method": "password"})
    assert entry.client_address == "192.0.2.7"


def test_a_failed_password_sign_in_records_nothing(client, django_user_model):
    django_user_model.objects.create_user(username="ines", password="right-password-1")
    client.post("/accounts/login/", {"username": "ines", "password": "wrong"})
    assert not AuditEntry.objects.exists()


# --- The admin ------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "x"))
    AuditEntry.objects.all().delete()  # the staff member's own sign-in
    return client


def entry(**fields) -> AuditEntry:
    defaults = {"username": "hannah", "action": audit.Action.EXPORT_PLANS}
    return AuditEntry.objects.create(**(defaults | fields))


def test_staff_read_the_log_in_the_admin_without_add_change_or_delete(staff_client):
    made = entry(plan_name="Engagement survey", row_count=3)

    listing = staff_client.get("/admin/audit/auditentry/")
    assert listing.status_code == 200
    assert "Engagement survey" in listing.content.decode()
    assert staff_client.get("/admin/audit/auditentry/add/").status_code == 403
    detail = staff_client.get(f"/admin/audit/auditentry/{made.pk}/change/")
    assert detail.status_code == 200 and 'type="submit" value="Save"' not in detail.content.decode()
    staff_client.post(f"/admin/audit/auditentry/{made.pk}/change/", {"username": "mallory"})
    assert staff_client.post(f"/admin/audit/auditentry/{made.pk}/delete/").status_code == 403
    assert AuditEntry.objects.get().username == "hannah"


def test_the_log_filters_by_user_action_and_date_and_searches_plan_and_person(staff_client):
    entry(username="hannah", plan_name="Onboarding check-in")
    entry(username="ines", action=audit.Action.PERSON_LOOKUP, person="Joanne Stefani")
    old = entry(username="ines", plan_name="Old plan")
    AuditEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))

    def shown(query: str) -> set[str]:
        page = staff_client.get(f"/admin/audit/auditentry/?{query}").context["cl"]
        return {(e.plan_name or e.person) for e in page.result_list}

    assert shown("username=ines") == {"Joanne Stefani", "Old plan"}
    assert shown("action=person_lookup") == {"Joanne Stefani"}
    since = (timezone.now() - timedelta(days=7)).date().isoformat()
    assert shown(f"created_at__gte={since}") == {"Onboarding check-in", "Joanne Stefani"}
    assert shown("q=onboarding") == {"Onboarding check-in"}
    assert shown("q=stefani") == {"Joanne Stefani"}


def test_staff_export_the_log_as_csv_with_every_field_quoted(staff_client):
    first = entry(plan_name="=HYPERLINK()", filters={"status": "draft"}, row_count=2)
    second = entry(action=audit.Action.SIGN_IN, client_address="10.0.0.1")

    response = staff_client.post(
        "/admin/audit/auditentry/",
        {"action": "export_csv", "_selected_action": [first.pk, second.pk]},
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    body = b"".join(response.streaming_content).decode()
    lines = body.removeprefix("\ufeff").splitlines()
    assert lines[0] == '"When","User","Action","Plan ID","Plan","Person","Filters","Rows","Address"'
    rows = list(csv.reader(io.StringIO("\n".join(lines[1:]))))
    assert rows[0][1:] == [
        "hannah",
        "Export of plans",
        "",
        "'=HYPERLINK()",
        "",
        "{'status': 'draft'}",
        "2",
        "",
    ]
    assert rows[1][2] == "Sign-in" and rows[1][8] == "10.0.0.1"
    assert all(line.startswith('"') and line.endswith('"') for line in lines)


def test_the_log_is_for_staff_only(client, hr_admin):
    client.force_login(hr_admin)
    response = client.get("/admin/audit/auditentry/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- Retention ------------------------------------------------------------------------------


def test_prune_audit_removes_entries_older_than_the_retention(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    kept, removed = entry(plan_name="recent"), entry(plan_name="old")
    AuditEntry.objects.filter(pk=kept.pk).update(created_at=timezone.now() - timedelta(days=29))
    AuditEntry.objects.filter(pk=removed.pk).update(created_at=timezone.now() - timedelta(days=31))
    out = StringIO()

    call_command("prune_audit", stdout=out)

    assert list(AuditEntry.objects.values_list("plan_name", flat=True)) == ["recent"]
    assert "Removed 1 audit entries older than 30 days." in out.getvalue()


def test_prune_audit_takes_the_days_from_the_command_line_too():
    old = entry()
    AuditEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    call_command("prune_audit", "--days", "7", stdout=StringIO())
    assert not AuditEntry.objects.exists()
    with pytest.raises(CommandError, match="at least 1"):
        call_command("prune_audit", "--days", "0")


def test_the_retention_defaults_to_a_year(settings):
    assert settings.AUDIT_RETENTION_DAYS == 365


# --- Odd text, addresses and refused sign-ins --------------------------------------------


def test_nul_and_lone_surrogates_are_stored_as_replacement_characters(hr_admin):
    request = RequestFactory().get("/", {"q": "a\x00b"})
    request.user = hr_admin
    audit.record(
        request,
        action=audit.Action.PERSON_LOOKUP,
        person="Jo\ud800anne\x00",
        plan_name="Plan \udfff",
        filters={"q\x00": ["x\ud800", {"k": "\x00"}]},
    )
    entry = only_entry()
    assert entry.person == "Jo\ufffdanne\ufffd"
    assert entry.plan_name == "Plan \ufffd"
    assert entry.filters == {"q\ufffd": ["x\ufffd", {"k": "\ufffd"}]}


def test_the_query_string_is_stored_even_with_odd_characters(hr_admin):
    request = RequestFactory().get("/")
    request.GET = QueryDict(mutable=True)
    request.GET["refresh"] = "\ud800\x00"
    request.user = hr_admin
    audit.record(request, action=audit.Action.PARTICIPATION_VIEW)
    assert only_entry().filters == {"refresh": "\ufffd\ufffd"}


def test_the_address_behind_a_trusted_proxy_is_the_one_it_appended(hr_admin, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    request.user = hr_admin
    audit.record(request, action=audit.Action.PERSON_LOOKUP)
    assert only_entry().client_address == "203.0.113.9"


def test_x_forwarded_for_is_ignored_without_trusted_proxies(hr_admin):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6")
    request.user = hr_admin
    audit.record(request, action=audit.Action.PERSON_LOOKUP)
    assert only_entry().client_address == "10.0.0.5"


def test_a_refused_entry_logs_no_value_of_it(hr_admin, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise DatabaseError('invalid input: CONTEXT: JSON data, line 1: {"q": "Joanne')

    monkeypatch.setattr(AuditEntry, "save", refuse)
    request = RequestFactory().get("/", {"q": "Joanne"})
    request.user = hr_admin
    with pytest.raises(audit.AuditUnavailable):
        audit.record(request, action=audit.Action.PERSON_LOOKUP, person="Joanne")
    assert caplog.records and "Joanne" not in caplog.text


def test_a_password_sign_in_that_cannot_be_recorded_is_refused(
    client, django_user_model, broken_audit_table
):
    django_user_model.objects.create_user(username="ines", password="right-password-1")
    client.raise_request_exception = False

    response = client.post(
        "/accounts/login/", {"username": "ines", "password": "right-password-1", "next": "/"}
    )

    assert response.status_code == 503
    assert "could not be recorded" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/plans/").status_code == 302, "not signed in"
