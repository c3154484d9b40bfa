import csv
import io
import logging

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone
from responses import matchers

import audit
from audit.models import AuditEntry
from plans.exceptions import UpstreamUnavailable
from plans.exports import ROWS_PER_CHUNK, csv_lines, neutralise
from tests.helpers import (
    PLAN_ID,
    PLAN_URL,
    PLANS_URL,
    USERS_CSV_HEADER,
    expect_all,
    expect_plan_people,
    load_fixture,
    person_record,
    plan_item,
    plan_page,
)

pytestmark = pytest.mark.django_db

MIA = ["Finance", "Mia Boss", "mia@example.com"]
# The fixture plan's one assigned user.
JOANNE_ID = "582:8a1fc17e-d1f5-4d6b-924e-dea3912814e3"


def read_csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = response.getvalue().decode("utf-8")
    assert body.startswith("\ufeff"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def test_it_exports_every_matching_plan_in_the_lists_order(admin_client, upstream):
    expect_all(upstream, filters={"name": "Plan"})

    response = admin_client.get("/plans/export.csv?name=Plan&status=draft&sort=-name&page=2")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().strftime("%Y%m%d")
    assert response["Content-Disposition"] == f'attachment; filename="plans-plan-draft-{today}.csv"'
    rows = read_csv(response)
    assert rows[0] == ["Plan", "Template", "Status", "Frequency", "Plan ID", "Template ID", "Link"]
    assert len(rows) == 1 + 69  # all the drafts, not one page
    assert rows[1][:4] == ["Plan 136", "Engagement Survey", "Draft", "Every 4 weeks"]
    assert rows[3][:4] == ["Plan 132", "Engagement Survey", "Draft", "One-off"]
    assert rows[1][6] == "http://testserver/plans/580:00000000-0000-4000-8000-000000000136/"


def test_it_exports_without_local_filters_too(admin_client, upstream):
    expect_all(upstream, count=130)
    rows = read_csv(admin_client.get("/plans/export.csv"))
    assert len(rows) == 131
    assert len(upstream.calls) == 2


def test_it_neutralises_formulas(admin_client, upstream):
    names = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "Plain – é"]
    expect_all(upstream, items=[plan_item(i, name=name) for i, name in enumerate(names)])
    rows = read_csv(admin_client.get("/plans/export.csv"))
    assert [row[0] for row in rows[1:]] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "Plain – é",
    ]


def test_it_streams_the_export(admin_client, upstream):
    expect_all(upstream, count=1234)

    response = admin_client.get("/plans/export.csv?sort=name")

    assert isinstance(response, StreamingHttpResponse)
    chunks = iter(response.streaming_content)
    assert next(chunks).decode() == (
        '\ufeff"Plan","Template","Status","Frequency","Plan ID","Template ID","Link"\r\n'
    )
    rows = next(chunks).decode().splitlines()
    assert len(rows) == ROWS_PER_CHUNK
    assert rows[0].startswith('"Plan 000","Engagement Survey","Draft","One-off",')
    assert sum(chunk.count(b"\r\n") for chunk in chunks) == 1234 - ROWS_PER_CHUNK


def test_the_first_lines_leave_before_the_rows_are_all_made():
    made = []

    def rows():
        for n in range(3 * ROWS_PER_CHUNK):
            made.append(n)
            yield [f"Plan {n}", "=1+1"]

    lines = csv_lines(["Plan", "Note"], rows())

    assert next(lines) == '\ufeff"Plan","Note"\r\n'
    assert made == []
    assert next(lines).startswith('"Plan 0","\'=1+1"\r\n"Plan 1",')
    assert len(made) == ROWS_PER_CHUNK
    assert sum(chunk.count("\r\n") for chunk in lines) == 2 * ROWS_PER_CHUNK


@pytest.mark.parametrize(("value", "safe"), [(None, ""), ("a=b", "a=b"), ("-", "'-")])
def test_neutralise_only_touches_leading_triggers(value, safe):
    assert neutralise(value) == safe


def test_a_bad_export_query_is_a_400_without_upstream_calls(admin_client, upstream):
    response = admin_client.get("/plans/export.csv?status=nope")
    assert response.status_code == 400
    assert len(upstream.calls) == 0


def test_export_requires_the_view_plans_permission(client, django_user_model, upstream):
    client.force_login(django_user_model.objects.create_user("nobody"))
    assert client.get("/plans/export.csv").status_code == 403


def test_an_upstream_failure_during_export_is_a_friendly_page(admin_client, upstream):
    upstream.get(PLANS_URL, json={"detail": "A server error occurred."}, status=500)
    response = admin_client.get("/plans/export.csv")
    assert response.status_code == 503
    assert "server error" in response.content.decode()


# --- Streaming as the pages arrive ---------------------------------------------------------


def expect_pages_failing_at(upstream, failing: int, *, count: int) -> None:
    """Pages of 100 of `count` plans, the one at offset `failing` a server error."""
    for offset in range(0, count, 100):
        failure = {"status": 500, "json": {"detail": "A server error occurred."}}
        upstream.get(
            PLANS_URL,
            match=[matchers.query_param_matcher({"limit": "100", "offset": str(offset)})],
            **(failure if offset == failing else {"json": plan_page(count, offset, 100)}),
        )
    upstream.assert_all_requests_are_fired = False  # the failure may cancel later pages


def test_without_local_filters_or_sort_the_download_starts_after_the_first_page(
    admin_client, upstream
):
    expect_all(upstream, count=250)

    response = admin_client.get("/plans/export.csv")

    assert len(upstream.calls) == 1  # the other pages are read as the download goes
    entry = AuditEntry.objects.get(action=audit.Action.EXPORT_PLANS)
    assert entry.row_count == 250  # recorded before the first byte, with the API's count
    rows = read_csv(response)
    assert [row[0] for row in rows[1:]] == [f"Plan {n:03d}" for n in range(250)]
    assert len(upstream.calls) == 3


@pytest.mark.parametrize("query", ["status=active", "frequency=one-off", "sort=name"])
def test_with_local_filters_or_sort_every_page_is_read_before_the_download(
    admin_client, upstream, query
):
    expect_all(upstream, count=250)
    response = admin_client.get(f"/plans/export.csv?{query}")
    assert response.status_code == 200
    assert len(upstream.calls) == 3


def test_a_page_failing_after_the_download_started_aborts_it(admin_client, upstream, caplog):
    expect_pages_failing_at(upstream, 200, count=350)

    response = admin_client.get("/plans/export.csv")
    assert response.status_code == 200
    chunks = iter(response.streaming_content)
    received = next(chunks)  # the header: the download has started

    # The response ends with the error, not as a complete file: the server drops the
    # connection and the browser marks the download as failed.
    caplog.set_level(logging.WARNING, logger="plans.views")
    with pytest.raises(UpstreamUnavailable):
        for chunk in chunks:
            received += chunk
    assert received.startswith(b'\xef\xbb\xbf"Plan","Template"')
    assert received.count(b"\r\n") < 1 + 350
    assert "plans export aborted after 200 rows" in caplog.text


def test_a_page_failing_before_a_sorted_download_is_an_error_page(admin_client, upstream):
    expect_pages_failing_at(upstream, 100, count=250)

    response = admin_client.get("/plans/export.csv?sort=name")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert not AuditEntry.objects.filter(action=audit.Action.EXPORT_PLANS).exists()


def test_a_streamed_export_keeps_the_set_for_the_list(admin_client, upstream, settings):
    settings.PE365_CACHE_TTL = 30
    expect_all(upstream, count=250)

    read_csv(admin_client.get("/plans/export.csv"))
    sorted_list = admin_client.get("/plans/?sort=-name&status=draft")

    assert "Showing 1–25 of 125 plans" in sorted_list.content.decode()
    assert len(upstream.calls) == 3


def test_an_export_of_a_set_already_read_calls_the_api_no_more(admin_client, upstream, settings):
    settings.PE365_CACHE_TTL = 30
    expect_all(upstream, count=250)

    admin_client.get("/plans/?sort=name")
    rows = read_csv(admin_client.get("/plans/export.csv"))

    assert len(rows) == 1 + 250
    assert len(upstream.calls) == 3


# --- A plan's people -------------------------------------------------------------------------


def test_it_exports_the_plans_people_matching_the_search(admin_client, upstream):
    # Joanne in Finance under Mia, as the users endpoint says; the other two unknown to it.
    users = [
        {"api_id": "582:1", "name": "Joanne Stefani", "email": "jstefani@test.com"},
        {"api_id": "582:2", "name": "Liam Brown", "email": "liam@test.com"},
        {"api_id": "582:3", "name": "=cmd|' /C calc'!A0", "email": "stef@evil.test"},
    ]
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json") | {"assigned_users": users})
    expect_plan_people(upstream, [], [person_record(1, "Joanne Stefani")])

    response = admin_client.get(f"/plans/{PLAN_ID}/users.csv?q=STEF")

    today = timezone.localdate().strftime("%Y%m%d")
    assert response["Content-Disposition"] == (
        f'attachment; filename="engagement-survey-users-{today}.csv"'
    )
    assert read_csv(response) == [
        USERS_CSV_HEADER,
        ["Joanne Stefani", "jstefani@test.com", "582:1", "Not started", "", "", "0", *MIA],
        ["'=cmd|' /C calc'!A0", "stef@evil.test", "582:3", "Not started", "", "", "0", "", "", ""],
    ]
    # The plan, its conversations and the users endpoint; no template call.
    assert len(upstream.calls) == 3


def test_the_people_table_links_to_the_users_export_with_its_selection(admin_client, upstream):
    upstream.get(PLAN_URL, json=load_fixture("plan_detail.json"))
    expect_plan_people(upstream, [], [person_record(1, "Joanne Stefani", api_id=JOANNE_ID)])
    query = "q=joanne+s&department=442%3A1&page=1&per_page=25"
    html = admin_client.get(f"/plans/{PLAN_ID}/participation/?{query}").content.decode()
    assert f'href="/plans/{PLAN_ID}/users.csv?q=joanne+s&amp;department=442%3A1"' in html


def test_the_users_export_of_a_missing_plan_is_a_404(admin_client, upstream):
    upstream.get(PLAN_URL, json={"detail": "Not found."}, status=404)
    assert admin_client.get(f"/plans/{PLAN_ID}/users.csv").status_code == 404


def test_the_file_name_says_which_plans_are_in_it(admin_client, upstream):
    expect_all(upstream)
    response = admin_client.get("/plans/export.csv?status=active&frequency=Every+4+weeks")
    today = timezone.localdate().strftime("%Y%m%d")
    expected = f'attachment; filename="plans-active-every-4-weeks-{today}.csv"'
    assert response["Content-Disposition"] == expected
