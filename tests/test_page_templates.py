"""templates/: every page in the Django template language, escaped, dates in the current zone."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.template.loader import get_template
from django.utils import timezone

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))


def render(source: str, **context: object) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_every_template_compiles(path):
    name = path.relative_to(Path(settings.BASE_DIR, "templates")).as_posix()
    assert get_template(name)


def test_the_django_template_language_is_the_one_engine():
    assert [engine["BACKEND"] for engine in settings.TEMPLATES] == [
        "django.template.backends.django.DjangoTemplates"
    ]


@pytest.mark.parametrize(
    "name", ["plans/plan_list.html#results", "plans/plan_list.html#template-options"]
)
def test_a_pages_fragments_are_partials_of_its_template(name):
    assert get_template(name)


def test_values_are_escaped():
    assert render("{{ x }}", x="<b>&") == "&lt;b&gt;&amp;"
    assert render('<a title="{{ x }}">', x='"><script>') == '<a title="&quot;&gt;&lt;script&gt;">'


def test_dates_show_in_the_current_time_zone():
    when = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    with timezone.override("Europe/Paris"):
        assert render('{{ when|date:"H:i T" }}', when=when) == "09:00 CET"
        assert render('{{ when|date:"c" }}', when=when) == "2026-01-05T09:00:00+01:00"


def test_partials_static_and_humanize_need_no_load():
    html = render(
        "{% partialdef p inline %}{{ n|intcomma }}{% endpartialdef %}{% static 'css/x.css' %}",
        n=12345,
    )
    assert html == "12,345/static/css/x.css"
