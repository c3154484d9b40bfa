"""templates/: every page in Jinja2, with Django's tags and filters (dashboard/jinja_env.py)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))


def render(source: str, **context: object) -> str:
    return engines["jinja2"].from_string(source).render(context)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_every_template_compiles_in_jinja2(path):
    name = path.relative_to(Path(settings.BASE_DIR, "templates")).as_posix()
    assert engines["jinja2"].get_template(name)


def test_a_page_template_is_found_without_asking_the_django_engine():
    # The first engine answers: no TemplateDoesNotExist from the other on the way.
    assert settings.TEMPLATES[0]["BACKEND"] == "django.template.backends.jinja2.Jinja2"
    assert "{% load" not in "".join(path.read_text() for path in TEMPLATES)


def test_a_missing_value_and_its_attributes_show_as_nothing():
    source = (
        "[{{ missing }}][{{ missing.name }}][{% if missing.user.is_authenticated %}x{% endif %}]"
    )
    assert render(source) == "[][][]"


def test_values_are_escaped():
    assert render("{{ name }}", name="<b>Tom & Jerry</b>") == "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"


def test_dates_show_in_the_current_time_zone_as_in_django_templates():
    moment = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)
    with timezone.override("Europe/Helsinki"):
        assert render("{{ moment|date('j M Y H:i T') }}", moment=moment) == "16 Jan 2026 01:30 EET"
    assert render("{{ nothing|date('c') }}", nothing=None) == ""


def test_url_static_and_querystring():
    request = RequestFactory().get("/plans/?status=active&refresh=0")
    html = render(
        "{{ url('plans:detail', 'a:b') }} {{ static('css/dashboard.css') }} "
        "{{ querystring(request, 'refresh', 1) }}",
        request=request,
    )
    assert html == "/plans/a:b/ /static/css/dashboard.css ?status=active&amp;refresh=1"


def test_filters_behave_as_djangos():
    assert render("{{ 1234567|intcomma }} plan{{ 1|pluralize }}, plan{{ 2|pluralize }}") == (
        "1,234,567 plan, plans"
    )
    assert render("{{ 2|pluralize('that filter,those filters') }}") == "those filters"
    assert render("{{ back|urlencode('') }} {{ back|urlencode }}", back="?a=1/b") == (
        "%3Fa%3D1%2Fb %3Fa%3D1/b"
    )


@pytest.mark.django_db
def test_the_admin_keeps_its_django_templates(client, django_user_model):
    boss = django_user_model.objects.create_superuser("boss", "boss@example.com", "a-long-password")
    client.force_login(boss)
    for path in ("/admin/", "/admin/auth/user/", f"/admin/auth/user/{boss.pk}/change/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Django administration" in response.content.decode(), path
