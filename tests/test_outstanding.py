"""Across the organisation: who is still to act, manager by manager, its CSV, completion by
department, manager and template, and the records that need fixing.

Read from the demo API's own data set (demo_api/data.py). Its active plans hold 6,552
assignments (a person counts once per plan): 3,929 completed, 2,243 in progress and 380
not started, so 2,623 are still to act, under 250 managers and 19 people without one.
"""

import csv
import io
import math

import pytest
from django.contrib.auth.models import Permission
from django.utils.html import strip_tags

from audit.models import AuditEntry
from demo_api import data
from plans import organisation
from tests.helpers import assignee, expect_organisation, org_plan, person_record

pytestmark = pytest.mark.django_db

ASSIGNED, COMPLETED, IN_PROGRESS, NOT_STARTED = 6552, 3929, 2243, 380
STILL_TO_ACT = IN_PROGRESS + NOT_STARTED  # 2,623
MANAGERS = 250
WITHOUT_MANAGER = 19
# Upstream calls of the organisation read: 2 pages of 150 plans, 50 of 5,000 users, 72 of
# 7,146 conversations, and the details of the 118 active plans.
READ_CALLS = 2 + 50 + 72 + 118

CARLOS_KIM = "582:b83a0c10-67cb-48ae-972d-12f5e620109b"  # 25 still to act, first by name
ELENA_SILVA = "582:b5bb0bd1-4c35-4f31-82cb-835db109f8ad"  # 25 too
# Two managers named Elena Andersson (elena.andersson@ and elena.andersson3@).
ELENA_ANDERSSON = "582:d2c36b5a-c3a6-4209-861b-c693888426d1"
# Arjun Smith (the second of that name): in the company-wide survey (in progress), in
# "1:1 – Jürgen Müller" (not started) and in "1:1 – Santiago Virtanen" (completed).
ARJUN_SMITH = "582:26e7ee6c-84f8-4df7-951f-18c74f564c32"
# The two active plans named "Check-in – Zürich office": 14 people (2 in progress, 2 not
# started) and 56 (15 in progress, 2 not started).
ZURICH_FIRST = "580:ee26df8f-4079-473f-86ba-ef349b3f11ed"
ZURICH_SECOND = "580:1be0640d-33fc-4a95-a982-d13e7f375e44"


@pytest.fixture
def demo(demo_organisation, demo_upstream, admin_client):
    """An HR admin; the organisation's read kept, so views make no upstream call."""
    demo_upstream.reset_stats()
    return admin_client


@pytest.fixture
def demo_unread(demo_upstream, admin_client):
    """An HR admin; nothing read yet, so the first view reads the organisation."""
    demo_upstream.reset_stats()
    return admin_client


def upstream_calls(api) -> int:
    return api.stats()["requests"]


def groups_of(response) -> list[tuple[str | None, int]]:
    return [
        (item["group"].manager.api_id if item["group"].manager else None, item["group"].count)
        for item in response.context["groups"]
    ]


def test_it_lists_everyone_still_to_act_by_manager_most_first(demo_unread, demo_upstream):
    response = demo_unread.get("/outstanding/")

    assert response.status_code == 200
    context = response.context
    assert (context["total"], context["in_progress"], context["not_started"]) == (
        STILL_TO_ACT,
        IN_PROGRESS,
        NOT_STARTED,
    )
    assert context["manager_count"] == MANAGERS
    assert groups_of(response)[:2] == [(CARLOS_KIM, 25), (ELENA_SILVA, 25)]
    counts = [count for _, count in groups_of(response)]
    assert counts == sorted(counts, reverse=True)
    pages = context["page"].paginator.num_pages
    assert pages >= math.ceil(STILL_TO_ACT / 50)  # whole manager groups, 50 rows at most
    assert sum(count for _, count in groups_of(response)) == 50  # the two groups fill it
    assert upstream_calls(demo_upstream) == READ_CALLS


def test_people_without_a_manager_come_last_in_a_group_of_their_own(demo):
    last = demo.get("/outstanding/").context["page"].paginator.num_pages
    response = demo.get(f"/outstanding/?page={last}")

    assert groups_of(response)[-1] == (None, WITHOUT_MANAGER)
    assert "Nobody can be asked to chase them" in response.content.decode()
    only = demo.get(f"/outstanding/?manager={organisation.NO_MANAGER}")
    assert groups_of(only) == [(None, WITHOUT_MANAGER)]


def test_each_row_names_the_person_plan_state_stage_and_wait(demo):
    response = demo.get(f"/outstanding/?manager={CARLOS_KIM}")

    assert response.context["headings"] == [
        "Name",
        "E-mail",
        "Department",
        "Plan",
        "State",
        "Stage",
        "Waiting since",
    ]
    html = response.content.decode()
    assert "carlos.kim@example.com" in html
    assert "manager-actions" in html  # where a manager's list can be e-mailed


def test_each_managers_list_can_be_e_mailed_to_them_or_chatted_about(demo, django_user_model):
    html = demo.get(f"/outstanding/?manager={CARLOS_KIM}").content.decode()
    remind = f'href="/outstanding/{CARLOS_KIM}/remind/"'
    assert remind in html and "E-mail this list to Carlos Kim" in html
    teams = "https://teams.microsoft.com/l/chat/0/0?users=carlos.kim%40example.com"
    assert teams in html

    viewer = django_user_model.objects.create_user("viewer", password="x")
    viewer.user_permissions.add(Permission.objects.get(codename="view_plans"))
    demo.force_login(viewer)
    html = demo.get(f"/outstanding/?manager={CARLOS_KIM}").content.decode()
    assert remind not in html, "only those who may send reminders are offered it"
    assert teams in html


def test_managers_sharing_a_name_are_told_apart_by_e_mail(demo):
    managers = demo.get("/outstanding/").context["choices"]["managers"]

    andersson = [(value, label) for value, label in managers if label.startswith("Elena Andersson")]
    assert [label for _, label in andersson] == [
        "Elena Andersson (elena.andersson3@example.com)",
        "Elena Andersson (elena.andersson@example.com)",
    ]
    assert ELENA_ANDERSSON in {value for value, _ in andersson}
    assert groups_of(demo.get(f"/outstanding/?manager={ELENA_ANDERSSON}")) == [
        (ELENA_ANDERSSON, 23)
    ]


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ("state=in_progress", IN_PROGRESS),
        ("state=not_started", NOT_STARTED),
        (f"plan={ZURICH_FIRST}", 4),
        (f"plan={ZURICH_SECOND}", 17),
        (f"plan={ZURICH_SECOND}&state=not_started", 2),
        ("template=Manager+1%3A1", None),
    ],
)
def test_the_filters_choose_from_the_url(demo, query, total):
    response = demo.get(f"/outstanding/?{query}")

    assert response.status_code == 200
    if total is None:  # worked out from the demo data
        total = _still_to_act(template="Manager 1:1")
    assert response.context["total"] == total


def test_a_department_filter_keeps_its_people(demo):
    department = data.dataset().people[0]["departments"][0]

    response = demo.get(f"/outstanding/?department={department['api_id']}")

    assert response.context["total"] == _still_to_act(department=department["api_id"])
    for item in response.context["groups"]:
        for a in item["group"].assignments:
            assert department["api_id"] in {d.api_id for d in a.departments}


def test_bad_filters_are_a_400_before_any_upstream_call(demo_unread, demo_upstream):
    response = demo_unread.get("/outstanding/?state=done")

    assert response.status_code == 400
    assert upstream_calls(demo_upstream) == 0


def test_a_page_past_the_last_lands_on_the_last(demo):
    last = demo.get("/outstanding/").context["page"].paginator.num_pages
    response = demo.get("/outstanding/?page=99")

    assert response.status_code == 302
    assert response.url.endswith(f"page={last}")


def test_the_csv_has_a_row_per_person_and_plan_with_their_manager_on_each(demo):
    response = demo.get("/outstanding.csv")

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header == [
        "Manager",
        "Manager email",
        "Name",
        "Email",
        "Department",
        "Plan",
        "Plan ID",
        "Template",
        "State",
        "Stage",
        "Waiting since",
        "User ID",
    ]
    assert len(body) == STILL_TO_ACT
    carlos = [row for row in body if row[0] == "Carlos Kim"]
    assert len(carlos) == 25 and {row[1] for row in carlos} == {"carlos.kim@example.com"}
    assert sum(row[0] == "" for row in body) == WITHOUT_MANAGER
    arjun = [row for row in body if row[11] == ARJUN_SMITH]
    assert sorted((row[5], row[8]) for row in arjun) == [
        ("1:1 – Jürgen Müller", "Not started"),
        ("Company-wide engagement survey 2026", "In progress"),
    ]
    assert all(row[9] for row in body if row[8] == "In progress")
    assert all(not row[9] for row in body if row[8] == "Not started")


def test_the_csv_follows_the_filters(demo):
    response = demo.get(f"/outstanding.csv?plan={ZURICH_SECOND}&state=not_started")

    body = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(body) == 1 + 2
    assert {row[6] for row in body[1:]} == {ZURICH_SECOND}


def test_views_and_exports_are_recorded(demo):
    demo.get(f"/outstanding/?manager={CARLOS_KIM}")
    b"".join(demo.get("/outstanding.csv?state=not_started").streaming_content)

    view, export = AuditEntry.objects.exclude(action="sign_in").order_by("id")
    assert (view.action, view.row_count, view.filters) == (
        "outstanding_view",
        25,
        {"manager": CARLOS_KIM},
    )
    assert (export.action, export.row_count) == ("export_outstanding", NOT_STARTED)


def test_one_read_serves_every_page_while_kept(demo_unread, demo_upstream):
    demo_unread.get("/outstanding/")
    demo_unread.get("/completion/")
    demo_unread.get("/outstanding/data-issues/")
    demo_unread.get(f"/people/?name=Arjun+Smith&person={ARJUN_SMITH}")
    demo_unread.get("/people/?name=muller")

    assert upstream_calls(demo_upstream) == READ_CALLS


def test_the_page_says_when_the_read_was_made_and_offers_a_refresh(demo):
    html = demo.get("/outstanding/").content.decode()

    assert 'id="organisation-read"' in html
    assert "as read at" in html and "refresh=1" in html


# --- Completion across the active plans ---------------------------------------------------


def rows_of(response, kind: str) -> list[organisation.Completion]:
    table = next(item["table"] for item in response.context["tables"] if item["kind"] == kind)
    return list(table.data.data)


def test_completion_counts_every_assignment_once_per_plan(demo):
    response = demo.get("/completion/")

    totals = response.context["totals"]
    assert (totals.assigned, totals.completed, totals.in_progress, totals.not_started) == (
        ASSIGNED,
        COMPLETED,
        IN_PROGRESS,
        NOT_STARTED,
    )
    assert totals.percent_completed == 60
    html = " ".join(strip_tags(response.content.decode()).split())
    assert "3,929 of 6,552 people assigned to 118 active plans have completed" in html


def test_completion_by_template_counts_people_not_conversations(demo):
    response = demo.get("/completion/")

    by_template = {row.label: row for row in rows_of(response, "template")}
    survey = by_template["Engagement Survey"]
    assert (survey.assigned, survey.completed) == _template_completion("Engagement Survey")
    assert sum(row.assigned for row in by_template.values()) == ASSIGNED


def test_completion_by_manager_and_department_lead_to_their_people(demo):
    response = demo.get("/completion/")

    managers = rows_of(response, "manager")
    assert len(managers) == MANAGERS + 1
    carlos = next(row for row in managers if row.key == CARLOS_KIM)
    assert carlos.in_progress + carlos.not_started == 25
    html = response.content.decode()
    assert f'href="/outstanding/?manager={CARLOS_KIM.replace(":", "%3A")}"' in html
    departments = rows_of(response, "department")
    assert departments[-1].key == ""  # people without a department, last
    assert 'href="/outstanding/data-issues/?issue=no_department"' in html


def test_completion_tables_sort_by_any_column(demo):
    response = demo.get("/completion/?manager_sort=-percent_completed")

    table = next(item["table"] for item in response.context["tables"] if item["kind"] == "manager")
    shown = [row.record.percent_completed for row in table.paginated_rows]
    assert shown == sorted(shown, reverse=True)


def test_the_overview_loads_the_completion_and_words_conversation_counts_as_such(
    demo_unread, demo_upstream
):
    html = demo_unread.get("/").content.decode()

    assert 'hx-get="/completion/"' in html
    assert "of conversations completed</span>" in html
    assert upstream_calls(demo_upstream) < READ_CALLS  # the read waits for the completion part


# --- Records that need fixing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("issue", "people"),
    [("", 206), ("no_manager", 30), ("no_department", 37), ("inactive", 140)],
)
def test_it_lists_people_whose_records_need_fixing(demo, issue, people):
    response = demo.get(f"/outstanding/data-issues/?issue={issue}")

    assert response.status_code == 200
    assert response.context["total"] == people


def test_a_record_to_fix_lists_the_persons_active_plans(demo):
    response = demo.get("/outstanding/data-issues/?issue=no_department")

    row = response.context["table"].data.data[0]
    assert row.person is not None and row.person.departments == ()
    assert row.plans and "No department" in row.issue_labels


def test_outstanding_links_to_the_records_to_fix(demo):
    html = demo.get("/outstanding/").content.decode()

    assert 'id="data-issues-link"' in html and "206 people in active plans" in html


# --- Worked out from the demo data, independently of the dashboard ---------------------------


def _states() -> list[tuple[dict, dict, str]]:
    dataset = data.dataset()
    by_pair: dict[tuple[str, str], list[dict]] = {}
    for c in dataset.conversations:
        if c["status"] in ("draft", "final"):
            by_pair.setdefault((c["plan_api_id"], c["person_api_id"]), []).append(c)
    rows = []
    for plan in dataset.plans:
        if plan["status"] != "active":
            continue
        for user in plan["assigned_users"]:
            mine = by_pair.get((plan["api_id"], user["api_id"]))
            if not mine:
                state = "not_started"
            else:
                latest = max(mine, key=lambda c: c["generated_date"])
                state = "completed" if latest["status"] == "final" else "in_progress"
            rows.append((plan, user, state))
    return rows


def _still_to_act(*, template: str = "", department: str = "") -> int:
    people = {p["api_id"]: p for p in data.people()}
    return sum(
        1
        for plan, user, state in _states()
        if state != "completed"
        and (not template or plan["template_name"] == template)
        and (
            not department
            or department in {d["api_id"] for d in people[user["api_id"]]["departments"]}
        )
    )


def _template_completion(template: str) -> tuple[int, int]:
    mine = [state for plan, _, state in _states() if plan["template_name"] == template]
    return len(mine), mine.count("completed")


def test_a_read_still_under_way_is_a_503_saying_to_come_back(admin_client, monkeypatch):
    def being_read(client):
        raise organisation.OrganisationBeingRead(calls=1_490)

    monkeypatch.setattr(organisation, "organisation", being_read)

    response = admin_client.get("/outstanding/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = " ".join(response.content.decode().split())
    assert "a thousand calls or more to Perform &amp; Engage 365" in html
    assert "reload this page in a minute" in html


def test_refresh_reads_the_organisation_again_and_the_next_view_shares_it(
    demo_unread, demo_upstream
):
    first = demo_unread.get("/outstanding/").context["read_at"]
    demo_upstream.reset_stats()

    refreshed = demo_unread.get("/outstanding/?refresh=1")

    assert upstream_calls(demo_upstream) == READ_CALLS
    assert refreshed.context["read_at"] >= first
    demo_upstream.reset_stats()
    assert demo_unread.get("/completion/").context["read_at"] == refreshed.context["read_at"]
    assert upstream_calls(demo_upstream) == 0


def test_the_csv_neutralises_formula_characters_in_names(admin_client, upstream):
    plan = org_plan(1, [assignee(1, '=HYPERLINK("x")')], name="+Plan")
    expect_organisation(
        upstream,
        plans=[plan],
        people=[
            person_record(
                1,
                '=HYPERLINK("x")',
                manager={"name": "@boss", "email": "b@x.io", "api_id": "582:9"},
            )
        ],
        conversations=[],
    )

    response = admin_client.get("/outstanding.csv")

    (row,) = list(
        csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )[1:]
    assert row[:3] == ["'@boss", "b@x.io", '\'=HYPERLINK("x")']
    assert row[5] == "'+Plan"
