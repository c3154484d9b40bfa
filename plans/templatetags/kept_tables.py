"""`{% render_kept_table table %}`: `{% render_table %}` whose HTML is kept in the shared
cache while it would come out the same (hand-written: django-tables2 keeps nothing, and
Django's `{% cache %}` tag neither derives its key from the rows nor survives a failing
cache backend).

Kept because drawing the rows is most of a warm view: the warm 25-row plan list takes
43 ms with django-tables2 drawing it (target 25 ms), the people table with its two team
tables about 85 ms (target 25 ms).
"""

import hashlib
from typing import Any

from django import template
from django.conf import settings
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe

from plans.api import caching, clock
from plans.tables import DashboardTable

register = template.Library()


def kept_key(table: DashboardTable, query: str) -> str:
    """What a table's HTML depends on: its class, the query its links keep, its rows on
    this page, their count, and whatever else the table says it is drawn from."""
    page = getattr(table, "page", None)
    records = [row.record for row in page.object_list] if page else list(table.data)
    count = table.paginator.count if page else len(records)
    state = (type(table).__name__, query, count, records, table.drawn_from())
    return "table-html:" + hashlib.sha256(repr(state).encode()).hexdigest()


@register.simple_tag(takes_context=True)
def render_kept_table(context: Context, table: DashboardTable) -> SafeString:
    request: Any = context["request"]
    if not settings.PE365_CACHE_TTL:
        return table.as_html(request)
    key = kept_key(table, request.GET.urlencode())
    kept = caching.shared_get(key)
    if kept is not None:
        return mark_safe(kept[1])  # noqa: S308 (django-tables2's own HTML, kept as drawn)
    html = table.as_html(request)
    caching.shared_set(key, (clock.now(), str(html)), settings.PE365_CACHE_TTL)
    return mark_safe(html)  # noqa: S308
