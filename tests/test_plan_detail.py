import gc
import weakref

import pytest

from plans import services
from tests.helpers import (
    CONVERSATIONS_URL,
    OTHER_PLAN_ID,
    PANELS,
    PLAN_ID,
    PLAN_URL,
    TEMPLATE_URL,
    conversation,
    expect_extras,
    expect_plan_conversations,
    load_fixture,
    plan_conversation,
)

pytestmark = pytest.mark.django_db


def detail(**overrides) -> dict:
    return load_fixture("plan_detail.json") | overrides


def many_users(n: int) -> list[dict]:
    return [
        {"api_id": f"582:{i}", "name": f"User {i:04d}", "email": f"user{i}@example.com"}
        for i in range(n)
    ]


def test_it_works(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail())

    response = admin_client.get(f"/plans/{PLAN_ID}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1" in html and "Engagement survey" in html
    assert "<dt>Frequency</dt><dd>One-off</dd>" in html  # frequency null
    # Ids are for the administrator, behind a disclosure.
    admin = html[html.index("<summary>Details for your administrator</summary>") :]
    assert "580:55a31458-d71a-4962-841a-048439073239" in admin
    assert PLAN_ID in admin
    assert "<code>" not in html
    # Who is in it: a count (the people table loads into the page) and the departments.
    assert "<dt>Assigned</dt><dd>1 person</dd>" in html
    assert "<dt>Departments</dt><dd>Senior Developers</dd>" in html
    assert "jstefani@test.com" not in html
    assert 'href="/plans/"' in html
    # The plan alone: its side panels load from their own page.
    assert len(upstream.calls) == 1
    assert f'hx-get="/plans/{PLAN_ID}/panels/template/" hx-trigger="load"' in html
    assert f'hx-get="/plans/{PLAN_ID}/panels/progress/" hx-trigger="load"' in html
    assert f'<a href="/plans/{PLAN_ID}/panels/">Show the template' in html  # without JS
    assert '<script src="/static/vendor/htmx/htmx.min.js" defer></script>' in html


def test_the_request_lets_go_of_its_client_and_answers_with_the_response(
    admin_client, upstream, monkeypatch
):
    """Not when the garbage collector next gets to the request (see release_client)."""
    upstream.get(PLAN_URL, json=detail(assigned_users=many_users(3000)))
    clients = []
    client_for = services.client_for

    def recording_client_for(request):
        clients.append(weakref.ref(client := client_for(request)))
        return client

    monkeypatch.setattr(services, "client_for", recording_client_for)
    gc.disable()
    try:
        response = admin_client.get(f"/plans/{PLAN_ID}/")
        assert response.status_code == 200
        assert "Data as of" in response.content.decode()  # the client was there to render
        assert len(clients) == 1
        assert clients[0]() is None, "the client outlived its response"
    finally:
        gc.enable()


def test_the_percent_encoded_id_works_too(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail())
    response = admin_client.get("/plans/580%3A58f96337-f9c3-4ea0-88ed-7ad612670078/")
    assert response.status_code == 200


def test_it_handles_missing_plan(admin_client, upstream):
    upstream.get(PLAN_URL, json={"detail": "Not found."}, status=404)
    response = admin_client.get(f"/plans/{PLAN_ID}/")
    assert response.status_code == 404
    assert "There is no plan with that id." in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/plans/a..b/", "/plans/%2E%2E/", "/plans/a%20b/", f"/plans/{'x' * 5000}/"]
)
def test_impossible_ids_are_404_without_an_upstream_call(admin_client, upstream, path):
    response = admin_client.get(path)
    assert response.status_code == 404
    assert len(upstream.calls) == 0


def test_the_page_counts_its_people_and_hands_its_query_to_the_people_table(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail(assigned_users=many_users(3000)))
    query = (
        "state=not_started&q=ann&department=442%3A1&manager=582%3A9&sort=-date&page=2&per_page=25"
    )

    html = admin_client.get(f"/plans/{PLAN_ID}/?{query}").content.decode()

    assert "<dt>Assigned</dt><dd>3,000 people</dd>" in html
    assert "User 0001" not in html  # the people come with the people table
    assert f'hx-get="/plans/{PLAN_ID}/participation/?{query.replace("&", "&amp;")}"' in html
    assert len(upstream.calls) == 1


def test_an_empty_plan_says_so(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail(assigned_users=[], assigned_departments=[]))
    html = admin_client.get(f"/plans/{PLAN_ID}/").content.decode()
    assert "<dt>Assigned</dt><dd>0 people</dd>" in html
    assert "<dt>Departments</dt><dd>none assigned</dd>" in html


def test_a_long_list_of_departments_shows_eight_and_the_rest_behind_more(admin_client, upstream):
    departments = [{"api_id": f"442:{n}", "name": f"Team {n:02d}"} for n in range(12)]
    upstream.get(PLAN_URL, json=detail(assigned_departments=departments))
    html = admin_client.get(f"/plans/{PLAN_ID}/").content.decode()
    shown = html[html.index("<dt>Departments</dt>") : html.index("<details")]
    assert "Team 00, Team 01" in shown and "Team 07" in shown and "Team 08" not in shown
    assert "<summary>and 4 more</summary>Team 08, Team 09, Team 10, Team 11</details>" in html


@pytest.mark.parametrize(
    "query", ["page=abc", "per_page=7", "state=done", "sort=age", "department=a%00b"]
)
def test_a_malformed_people_query_is_a_400_without_upstream_calls(admin_client, upstream, query):
    assert admin_client.get(f"/plans/{PLAN_ID}/?{query}").status_code == 400
    assert len(upstream.calls) == 0


def test_it_escapes_hostile_names(admin_client, upstream):
    departments = [{"api_id": "1", "name": "<b>Bold</b>"}]
    upstream.get(
        PLAN_URL,
        json=detail(name="<script>alert(1)</script>", assigned_departments=departments),
    )
    html = admin_client.get(f"/plans/{PLAN_ID}/").content.decode()
    assert "<script>alert" not in html
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html


def test_it_requires_the_view_plans_permission(client, django_user_model, upstream):
    client.force_login(django_user_model.objects.create_user("nobody"))
    response = client.get(f"/plans/{PLAN_ID}/")
    assert response.status_code == 403
    assert "HR admins" in response.content.decode()


@pytest.mark.parametrize("query", ["q=" + "x" * 201, "q=a%00b"])
def test_a_bad_search_is_a_400_without_upstream_calls(admin_client, upstream, query):
    assert admin_client.get(f"/plans/{PLAN_ID}/?{query}").status_code == 400
    assert len(upstream.calls) == 0


# --- Template details and progress: the side panels, a page of their own -------------------


def test_the_panels_page_shows_the_template_and_the_plans_progress(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail())
    finals = [
        conversation(1, completed="2026-03-02T10:00:00Z"),
        conversation(2, completed="2026-05-17T08:30:00Z"),
        conversation(3, completed="2026-04-01T12:00:00Z"),
    ]
    expect_extras(upstream, drafts=1, finals=finals)

    html = admin_client.get(PANELS).content.decode()

    panel = html[html.index('id="template-heading"') :]
    assert "Engagement Survey" in panel and ">active<" in panel
    assert '<time datetime="2024-03-14T09:26:00+00:00">14 Mar 2024</time>' in panel
    assert '<time datetime="2025-01-20T16:05:00+00:00">20 Jan 2025</time>' in panel
    # Conversations, in words: the plan's completion is its people's (the people table).
    assert "<progress" not in html and "%" not in panel.split("</section>")[1]
    assert "3 of 4 conversations completed, every round counted" in html
    assert '<time datetime="2026-05-17T08:30:00+00:00">17 May 2026</time>' in html
    assert "style=" not in html  # the CSP forbids inline styles
    # The plan, its template and the one page of the plan's conversations.
    assert len(upstream.calls) == 3


def test_progress_counts_the_plans_own_conversations_not_another_plans_of_the_same_name(
    admin_client, upstream
):
    upstream.get(PLAN_URL, json=detail())
    upstream.get(TEMPLATE_URL, json=load_fixture("template_detail.json"))
    expect_plan_conversations(
        upstream,
        [
            plan_conversation(1, status="final", updated="2026-02-01T00:00:00Z"),
            plan_conversation(2, status="draft"),
            plan_conversation(3, status="deleted"),
            # The API filters conversations by plan name alone: these are another plan's.
            plan_conversation(
                4, status="final", updated="2026-06-01T00:00:00Z", plan_api_id=OTHER_PLAN_ID
            ),
            plan_conversation(5, status="draft", plan_api_id=OTHER_PLAN_ID),
        ],
    )

    html = admin_client.get(PANELS).content.decode()

    assert "1 of 2 conversations completed, every round counted" in html
    assert '<time datetime="2026-02-01T00:00:00+00:00">1 Feb 2026</time>' in html


def test_the_panels_page_without_javascript_holds_the_panels_and_leads_back(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail())
    expect_extras(upstream)

    html = admin_client.get(PANELS).content.decode()

    inside = html[html.index('<div class="plan-panels-page"') : html.index("</main>")]
    assert 'id="template-heading"' in inside and 'id="progress-heading"' in inside
    assert f'<a href="/plans/{PLAN_ID}/" class="link-secondary">← Engagement survey</a>' in html
    assert "<title>Engagement survey · template and progress · " in html


def test_htmx_gets_each_panel_alone_with_the_footers_data_time(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail())
    expect_extras(upstream)

    for panel in ("template", "progress"):
        response = admin_client.get(f"{PANELS}{panel}/", headers={"HX-Request": "true"})

        html = response.content.decode()
        assert html.lstrip().startswith(f'<section class="card h-100" id="{panel}-panel"')
        assert "<html" not in html and "<nav" not in html
        assert f'id="{panel}-heading"' in html
        assert "<time hidden data-panels-as-of datetime=" in html
        assert "HX-Request" in response["Vary"]


def test_without_javascript_each_panel_is_a_page_of_its_own(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail())
    expect_plan_conversations(upstream, [])

    html = admin_client.get(f"{PANELS}progress/").content.decode()

    assert 'id="progress-heading"' in html and 'id="template-heading"' not in html
    assert "<title>Engagement survey · template and progress · " in html


def test_a_refreshed_plan_page_asks_its_parts_to_come_fresh(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail())

    response = admin_client.get(f"/plans/{PLAN_ID}/?refresh=1&q=jo")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'hx-get="/plans/{PLAN_ID}/panels/template/?refresh=1"' in html
    assert f'hx-get="/plans/{PLAN_ID}/panels/progress/?refresh=1"' in html
    assert f'hx-get="/plans/{PLAN_ID}/participation/?q=jo&amp;refresh=1"' in html
    assert len(upstream.calls) == 1
    # Without a Refresh, the parts read the shared cache as usual.
    html = admin_client.get(f"/plans/{PLAN_ID}/").content.decode()
    assert f'hx-get="/plans/{PLAN_ID}/panels/template/"' in html


def test_a_refreshed_panel_bypasses_the_shared_cache(admin_client, upstream, settings):
    settings.PE365_CACHE_TTL = 300
    upstream.get(PLAN_URL, json=detail())
    upstream.get(TEMPLATE_URL, json=load_fixture("template_detail.json"))
    headers = {"HX-Request": "true"}
    admin_client.get(f"{PANELS}template/", headers=headers)
    admin_client.get(f"{PANELS}template/", headers=headers)
    assert len(upstream.calls) == 2  # the plan and the template, then from the cache

    response = admin_client.get(f"{PANELS}template/?refresh=1", headers=headers)

    assert response.status_code == 200
    assert 'id="template-heading"' in response.content.decode()
    assert len(upstream.calls) == 4


def test_the_panels_page_escapes_a_hostile_plan_name(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail(name="<script>alert(1)</script>"))
    expect_extras(upstream, plan_name="<script>alert(1)</script>")
    html = admin_client.get(PANELS).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; · template and progress" in html


def test_a_plan_without_conversations_says_so(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail())
    expect_extras(upstream, drafts=0, finals=[])
    html = admin_client.get(PANELS).content.decode()
    assert "This plan has not generated any conversations yet." in html
    assert "<progress" not in html


def test_a_failing_template_call_is_the_error_in_its_panels_place_and_progress_still_shows(
    admin_client, upstream
):
    upstream.get(PLAN_URL, json=detail())
    expect_extras(upstream, status=500, template={"detail": "A server error occurred."})
    headers = {"HX-Request": "true"}

    failed = admin_client.get(f"{PANELS}template/", headers=headers)
    progress = admin_client.get(f"{PANELS}progress/", headers=headers)

    assert failed.status_code == 503
    html = failed.content.decode()
    assert html.lstrip().startswith('<div class="alert alert-warning small upstream-error"')
    assert "<html" not in html and "Error 503." in html
    assert progress.status_code == 200
    assert "1 of 5 conversations completed, every round counted" in progress.content.decode()


def test_a_failing_progress_call_is_the_error_in_its_panels_place_and_the_template_still_shows(
    admin_client, upstream
):
    upstream.get(PLAN_URL, json=detail())
    upstream.get(TEMPLATE_URL, json=load_fixture("template_detail.json"))
    upstream.get(CONVERSATIONS_URL, status=403, json={"detail": "Permission denied."})
    headers = {"HX-Request": "true"}

    failed = admin_client.get(f"{PANELS}progress/", headers=headers)
    template = admin_client.get(f"{PANELS}template/", headers=headers)

    assert failed.status_code == 502
    assert 'role="alert" data-status="502"' in failed.content.decode()
    assert "Engagement Survey" in template.content.decode()


def test_a_failing_panel_without_javascript_is_the_error_page(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail())
    upstream.get(TEMPLATE_URL, json=load_fixture("template_detail.json"))
    upstream.get(CONVERSATIONS_URL, status=403, json={"detail": "Permission denied."})
    response = admin_client.get(PANELS)
    assert response.status_code == 502
    assert response.templates[0].name == "plans/upstream_error.html"
    assert "<html" in response.content.decode()


def test_a_plan_without_a_template_id_makes_no_template_call(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail(template_api_id=None))
    expect_plan_conversations(upstream, [])
    html = admin_client.get(PANELS).content.decode()
    assert "The plan names no template." in html
    assert len(upstream.calls) == 2  # the plan and its conversations


def test_a_missing_plan_makes_no_secondary_calls(admin_client, upstream):
    upstream.get(PLAN_URL, json={"detail": "Not found."}, status=404)
    response = admin_client.get(PANELS)
    assert response.status_code == 404
    assert "There is no plan with that id." in response.content.decode()
    assert len(upstream.calls) == 1


@pytest.mark.parametrize("path", ["/plans/a..b/panels/", "/plans/%2E%2E/panels/"])
def test_the_panels_of_an_impossible_id_are_404_without_an_upstream_call(
    admin_client, upstream, path
):
    assert admin_client.get(path).status_code == 404
    assert len(upstream.calls) == 0


# --- Sharing and the way back ------------------------------------------------------------------


def test_it_offers_the_clean_shareable_url_and_a_copy_button(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail())
    html = admin_client.get(f"/plans/{PLAN_ID}/?q=jo&back=status%3Ddraft").content.decode()
    assert f'value="http://testserver/plans/{PLAN_ID}/" readonly' in html
    assert 'data-copy-from="share-url"' in html and "hidden>Copy link</button>" in html
    assert '<script src="/static/js/copy-link.js" defer></script>' in html


@pytest.mark.parametrize(
    ("back", "link"),
    [
        (
            "status%3Ddraft%26sort%3D-name%26page%3D2",
            "/plans/?status=draft&amp;sort=-name&amp;page=2",
        ),
        ("name%3Da%2Bb%26evil%3D1%26refresh%3D1", "/plans/?name=a+b"),
        ("%2F%2Fevil.example%2F", "/plans/"),
        ("https%3A%2F%2Fevil.example%2F%3Fname%3Dx", "/plans/"),
        ("x" * 3000, "/plans/"),
    ],
)
def test_back_to_results_only_ever_leads_to_the_list(admin_client, upstream, back, link):
    upstream.get(PLAN_URL, json=detail())
    html = admin_client.get(f"/plans/{PLAN_ID}/?back={back}").content.decode()
    assert f'<a href="{link}" class="link-secondary">' in html
    assert "evil" not in html.split('class="link-secondary">')[0].rsplit("<a", 1)[1]


def test_the_people_table_keeps_the_way_back(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail())
    html = admin_client.get(f"/plans/{PLAN_ID}/?back=status%3Ddraft").content.decode()
    assert "← Back to results" in html
    assert f'hx-get="/plans/{PLAN_ID}/participation/?back=status%3Ddraft"' in html
