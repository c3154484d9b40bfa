import pytest

from tests.conftest import PLAN_ID, PLAN_URL, expect_extras, load_fixture

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
    expect_extras(upstream)

    response = admin_client.get(f"/plans/{PLAN_ID}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1" in html and "Engagement survey" in html
    assert "One-off (not recurring)" in html  # frequency null
    assert "580:55a31458-d71a-4962-841a-048439073239" in html
    assert '<a href="mailto:jstefani@test.com">jstefani@test.com</a>' in html
    assert "Senior Developers" in html
    assert "1 user<" in html and "1 department<" in html
    assert 'href="/plans/"' in html
    # The plan, its template, the draft count and the one page of final conversations.
    assert len(upstream.calls) == 4


def test_the_percent_encoded_id_works_too(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail())
    expect_extras(upstream)
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


def test_thousands_of_users_are_paged_and_counted(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail(assigned_users=many_users(3000)))
    expect_extras(upstream)

    html = admin_client.get(f"/plans/{PLAN_ID}/?users_page=2").content.decode()

    assert "3,000 users" in html
    assert "User 0050" in html and "User 0099" in html
    assert "User 0049" not in html and "User 0100" not in html
    assert 'href="?users_page=3"' in html


def test_an_empty_plan_says_so(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail(assigned_users=[], assigned_departments=[]))
    expect_extras(upstream)
    html = admin_client.get(f"/plans/{PLAN_ID}/").content.decode()
    assert "No users are assigned to this plan." in html
    assert "No departments are assigned to this plan." in html
    assert "0 users" in html


def test_a_users_page_past_the_end_is_a_404(admin_client, upstream):
    upstream.get(PLAN_URL, json=detail())
    assert admin_client.get(f"/plans/{PLAN_ID}/?users_page=9").status_code == 404


def test_a_malformed_users_page_is_a_400(admin_client, upstream):
    assert admin_client.get(f"/plans/{PLAN_ID}/?users_page=abc").status_code == 400


def test_it_escapes_hostile_names_and_emails(admin_client, upstream):
    users = [{"api_id": "1", "name": "<b>Bold</b>", "email": '"><script>x()</script>@evil'}]
    upstream.get(PLAN_URL, json=detail(name="<script>alert(1)</script>", assigned_users=users))
    expect_extras(upstream, plan_name="<script>alert(1)</script>")
    html = admin_client.get(f"/plans/{PLAN_ID}/").content.decode()
    assert "<script>" not in html
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html
    assert 'href="mailto:"' not in html and "mailto:&quot;" not in html


def test_it_requires_the_view_plans_permission(client, django_user_model, upstream):
    client.force_login(django_user_model.objects.create_user("nobody"))
    response = client.get(f"/plans/{PLAN_ID}/")
    assert response.status_code == 403
    assert "HR admins" in response.content.decode()
