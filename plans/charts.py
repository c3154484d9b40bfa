"""The overview's bar charts, ready to draw: labels, counts, links and bar lengths.

templates/plans/overview.html draws each bar as a small SVG whose `viewBox` is 100
units wide, so a bar's length is an SVG attribute (the CSP allows no inline style) and
the SVG stretches to any screen width. Colours come from CSS classes
(static/css/dashboard.css), so light and dark mode both work.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from plans.api.results import Overview, PlanCount, TemplateConversations
from plans.filters import ONE_OFF
from plans.labels import ONE_OFF_LABEL, STATUS_LABELS

# A bar for a count above zero is never drawn thinner than this (SVG units of 100).
MIN_BAR = 0.75


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: `url` is the plan list it stands for ("" when no filter selects it)."""

    label: str
    count: int
    url: str
    length: str  # SVG units of 100
    tone: str  # the CSS class suffix of its colour


@dataclass(frozen=True, slots=True)
class ProgressBar:
    """A template's conversations: completed then in progress, end to end."""

    label: str
    url: str
    final: int
    draft: int
    total: int
    percent_final: int
    final_length: str
    draft_length: str


@dataclass(frozen=True, slots=True)
class OverviewCharts:
    plan_total: int
    active: int
    draft: int
    template_count: int
    by_status: tuple[Bar, ...]
    by_template: tuple[Bar, ...]
    by_frequency: tuple[Bar, ...]
    conversations: tuple[ProgressBar, ...]
    conversations_final: int
    conversations_draft: int


def _length(count: int, largest: int) -> str:
    if not count or not largest:
        return "0"
    return f"{max(100 * count / largest, MIN_BAR):.2f}"


def _list_url(root: str, **params: str) -> str:
    return f"{root}?{urlencode(params)}"


def _bars(counts: list[tuple[str, int, str, str]]) -> tuple[Bar, ...]:
    """Bars of (label, count, url, tone), scaled so the largest count fills the width."""
    largest = max((count for _, count, _, _ in counts), default=0)
    return tuple(
        Bar(label=label, count=count, url=url, length=_length(count, largest), tone=tone)
        for label, count, url, tone in counts
    )


def _status_bar(root: str, count: PlanCount) -> tuple[str, int, str, str]:
    if count.value in STATUS_LABELS:
        url = _list_url(root, status=count.value)
        return STATUS_LABELS[count.value], count.plans, url, count.value
    # A status the list's filter does not offer: shown, but no list selects it.
    return count.value or "No status", count.plans, "", "other"


def _frequency_bar(root: str, count: PlanCount) -> tuple[str, int, str, str]:
    if not count.value:
        return ONE_OFF_LABEL, count.plans, _list_url(root, frequency=ONE_OFF), "frequency"
    return count.value, count.plans, _list_url(root, frequency=count.value), "frequency"


def _progress(root: str, template: TemplateConversations) -> ProgressBar:
    final_length = _length(template.final, template.total)
    return ProgressBar(
        label=template.template_name,
        url=_list_url(root, template_name=template.template_name),
        final=template.final,
        draft=template.draft,
        total=template.total,
        percent_final=template.percent_final,
        final_length=final_length,
        draft_length=f"{100 - float(final_length):.2f}" if template.draft else "0",
    )


def overview_charts(overview: Overview) -> OverviewCharts:
    root = reverse("plans:list")
    template_bars = [
        (count.value, count.plans, _list_url(root, template_name=count.value), "template")
        for count in overview.by_template
    ]
    if overview.other_template_plans:
        # No filter selects "every template but these", so this bar links nowhere.
        template_bars.append(("Other templates", overview.other_template_plans, "", "other"))
    statuses = {count.value: count.plans for count in overview.by_status}
    return OverviewCharts(
        plan_total=overview.plan_total,
        active=statuses.get("active", 0),
        draft=statuses.get("draft", 0),
        template_count=len(overview.by_template) + overview.other_template_count,
        by_status=_bars([_status_bar(root, count) for count in overview.by_status]),
        by_template=_bars(template_bars),
        by_frequency=_bars([_frequency_bar(root, count) for count in overview.by_frequency]),
        conversations=tuple(_progress(root, t) for t in overview.conversations),
        conversations_final=sum(t.final for t in overview.conversations),
        conversations_draft=sum(t.draft for t in overview.conversations),
    )
