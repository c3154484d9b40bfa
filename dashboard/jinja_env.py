"""The Jinja2 environment of the dashboard's templates (templates/).

The pages render in Jinja2, Django's other built-in template engine: in the Django
template language they were about a quarter of a warm page's time (bench/README.md). The
globals and filters here are the Django tags and filters the templates use, under the
same names and with the same behaviour. Django's backend adds `request`, `csrf_input`
and the context processors' values (settings.TEMPLATES).
"""

from datetime import datetime
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import HttpRequest
from django.template.defaultfilters import date, pluralize, urlencode
from django.templatetags.static import static
from django.urls import reverse
from django.utils.timezone import is_aware, localtime
from django_tables2.templatetags.django_tables2 import render_attrs, table_page_range
from jinja2 import ChainableUndefined, Environment


def querystring(request: HttpRequest, key: str, value: object) -> str:
    """The request's query string with `key` set to `value`, as Django's {% querystring %}.

    Written here because that tag needs a template context, and the key is a table's
    prefixed parameter ("users_page"), which a keyword argument cannot name.
    """
    params = request.GET.copy()
    params[key] = str(value)
    return f"?{params.urlencode()}"


def url(name: str, *args: Any) -> str:
    """{% url name arg … %}."""
    return reverse(name, args=args or None)


def local_date(value: datetime | None, format: str | None = None) -> str:
    """The |date filter, in the current time zone as Django's templates show it."""
    if value is not None and is_aware(value):
        value = localtime(value)
    return date(value, format)


def environment(**options: Any) -> Environment:
    # Django's backend asks for autoescaping already; a page must never be without it.
    options.pop("autoescape", None)
    # As in Django's templates, a missing value (or an attribute of one) shows as nothing.
    options["undefined"] = ChainableUndefined
    env = Environment(autoescape=True, **options)
    env.globals.update(
        querystring=querystring,
        render_attrs=render_attrs,
        table_page_range=table_page_range,
        static=static,
        url=url,
    )
    env.filters.update(date=local_date, intcomma=intcomma, pluralize=pluralize, urlencode=urlencode)
    return env
