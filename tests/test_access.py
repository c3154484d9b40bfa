"""Who may see what: plans need `plans.view_plans`; only login, logout, single sign-on's
two steps, static files and the health checks are open; the admin is for staff and uses
the dashboard's login."""

import re
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.urls import URLPattern, URLResolver, get_resolver

from tests.helpers import PLAN_ID, PLANS_URL, plan_page

# Views anyone may reach. Static files are served by WhiteNoise, outside the URL conf.
OPEN_VIEWS = {
    "login",
    "logout",
    "oidc_authentication_init",
    "oidc_authentication_callback",
    "healthz",
    "readyz",
}
# A sample value for each kind of URL parameter, to turn every pattern into a real path.
SAMPLES = ("1", "auth", "x", "auth/user", "0123456789abcdef0123456789abcdef")


def _fill(regex: str) -> str | None:
    """A path matching `regex` (a resolver's pattern), or None when no sample fits."""
    pattern = re.compile(regex)
    text = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    # Replace each named group with the first sample its own sub-pattern accepts.
    for match in reversed(list(re.finditer(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)", text))):
        sub = re.compile(match.group(2))
        value = next((s for s in SAMPLES if sub.fullmatch(s)), None)
        if value is None:
            return None
        text = text[: match.start()] + value + text[match.end() :]
    text = text.replace("\\", "")
    return text if pattern.match(text) else None


def every_route(resolver=None, prefix="", names=()) -> list[tuple[str, str, URLPattern]]:
    """(path, name, pattern) for every view in the URL conf, however deeply included."""
    resolver = resolver or get_resolver()
    routes = []
    for entry in resolver.url_patterns:
        regex = entry.pattern.regex.pattern
        part = _fill(regex)
        assert part is not None, f"no sample path fits {regex!r}: add one to SAMPLES"
        if isinstance(entry, URLResolver):
            ns = (*names, entry.namespace) if entry.namespace else names
            routes += every_route(entry, prefix + part, ns)
        else:
            name = ":".join((*names, entry.name)) if entry.name else ""
            routes.append(("/" + prefix + part, name, entry))
    return routes


ROUTES = every_route()
GUARDED = [(path, name) for path, name, _ in ROUTES if name not in OPEN_VIEWS]


def test_the_walk_finds_every_kind_of_view():
    names = {name for _, name, _ in ROUTES}
    assert {"plans:list", "plans:detail", "login", "logout", "healthz", "readyz"} <= names
    assert any(name.startswith("admin:") for name in names)


@pytest.fixture
def no_permission_client(client, django_user_model):
    user = django_user_model.objects.create_user(username="sam", password="not-used-123")
    client.force_login(user)
    return client


def _is_login_page(response) -> bool:
    return response.status_code == 200 and 'action="/accounts/login/"' in response.content.decode()


@pytest.mark.parametrize(("path", "name"), GUARDED)
def test_every_other_view_sends_strangers_to_log_in(client, path, name):
    response = client.get(path, follow=True)
    assert _is_login_page(response), f"{path} ({name or 'unnamed'}) is open without a login"


@pytest.mark.parametrize(("path", "name"), GUARDED)
def test_every_other_view_refuses_a_user_without_the_permission(no_permission_client, path, name):
    response = no_permission_client.get(path, follow=True)
    if path.startswith("/admin/"):
        # The admin is for staff only and sends others back to the (shared) login form.
        assert _is_login_page(response), f"{path} ({name}) is open to a non-staff user"
    else:
        assert response.status_code == 403, f"{path} ({name or 'unnamed'}) is open to any user"


def test_the_403_page_says_whom_to_ask(no_permission_client):
    response = no_permission_client.get("/plans/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "HR admins" in page and "sam" in page
    assert "Traceback" not in page


def test_members_of_hr_admins_see_plans(client, django_user_model, upstream):
    upstream.get(PLANS_URL, json=plan_page(3, 0, 3))
    user = django_user_model.objects.create_user(username="ines", password="not-used-123")
    user.groups.add(Group.objects.get(name="HR admins"))
    client.force_login(user)
    assert client.get("/plans/").status_code == 200


def test_superusers_see_plans(client, django_user_model, upstream):
    upstream.get(PLANS_URL, json=plan_page(3, 0, 3))
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "x"))
    assert client.get("/plans/").status_code == 200


def test_a_plan_page_reads_an_hr_admins_permissions_once(
    client, django_user_model, upstream, django_assert_num_queries
):
    upstream.get(PLANS_URL, json=plan_page(3, 0, 3))
    user = django_user_model.objects.create_user(username="ines", password="not-used-123")
    user.groups.add(Group.objects.get(name="HR admins"))
    client.force_login(user)
    # The session, the user, then Django's ModelBackend: their own and their groups'
    # permissions, read once for the page.
    with django_assert_num_queries(4):
        assert client.get("/plans/").status_code == 200


@pytest.mark.django_db
def test_view_plans_comes_from_hr_admins_or_a_direct_grant_to_active_users(django_user_model):
    hr_admins = Group.objects.get(name="HR admins")
    other_group = Group.objects.create(name="Auditors")
    other_group.permissions.add(Permission.objects.get(codename="view_group"))
    view_plans = Permission.objects.get(codename="view_plans")

    def user(name, *, groups=(), perms=(), **flags):
        made = django_user_model.objects.create_user(username=name, password="x", **flags)
        made.groups.add(*groups)
        made.user_permissions.add(*perms)
        return made

    expected = {
        user("plain"): False,
        user("member", groups=[hr_admins]): True,
        user("two-groups", groups=[hr_admins, other_group]): True,
        user("other-group", groups=[other_group]): False,
        user("direct", perms=[view_plans]): True,
        user("inactive-member", groups=[hr_admins], is_active=False): False,
        user("root", is_superuser=True): True,
        user("inactive-root", is_superuser=True, is_active=False): False,
    }
    for someone, allowed in expected.items():
        assert someone.has_perm("plans.view_plans") == allowed, someone.username


def test_staff_without_the_permission_get_the_admin_but_not_plans(client, django_user_model):
    staff = django_user_model.objects.create_user(username="it", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    assert client.get("/plans/").status_code == 403


def test_the_admin_login_is_the_dashboards_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"


def test_grant_access_adds_a_user_to_hr_admins_and_revoke_removes_them(django_user_model):
    user = django_user_model.objects.create_user(username="nina", password="x")
    out = StringIO()
    call_command("grant_access", "nina", stdout=out)
    assert "nina can now see conversation plans" in out.getvalue()
    assert django_user_model.objects.get(pk=user.pk).has_perm("plans.view_plans")

    call_command("grant_access", "nina", "--revoke", stdout=out)
    assert not django_user_model.objects.get(pk=user.pk).has_perm("plans.view_plans")


@pytest.mark.django_db
def test_grant_access_names_an_unknown_user():
    with pytest.raises(CommandError, match="No user 'ghost'"):
        call_command("grant_access", "ghost")


@pytest.mark.parametrize(
    "path", ["/plans/", "/plans/export.csv", f"/plans/{PLAN_ID}/", f"/plans/{PLAN_ID}/panels/"]
)
def test_plan_pages_refuse_other_methods_with_a_page(admin_client, upstream, path):
    response = admin_client.post(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert "This page can only be viewed" in response.content.decode()
    assert len(upstream.calls) == 0
