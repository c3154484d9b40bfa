"""The Jinja2 environment of the tables' templates (templates/jinja2/).

The tables render in Jinja2, Django's other built-in template engine, because a table
is most of a list page's time in the Django template language (bench/README.md).
Every other template stays in the Django template language.
"""

from typing import Any

from django.http import HttpRequest
from django_tables2.templatetags.django_tables2 import render_attrs, table_page_range
from jinja2 import Environment


def querystring(request: HttpRequest, key: str, value: object) -> str:
    """The request's query string with `key` set to `value`, as Django's {% querystring %}.

    Written here because that tag needs a template context, and the key is a table's
    prefixed parameter ("users_page"), which a keyword argument cannot name.
    """
    params = request.GET.copy()
    params[key] = str(value)
    return f"?{params.urlencode()}"


def environment(**options: Any) -> Environment:
    # Django's backend asks for autoescaping already; a table must never be without it.
    options.pop("autoescape", None)
    env = Environment(autoescape=True, **options)
    # django-tables2's own template tags where they are plain functions.
    env.globals.update(
        querystring=querystring, render_attrs=render_attrs, table_page_range=table_page_range
    )
    return env
