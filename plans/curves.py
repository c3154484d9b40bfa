"""The rounds page's chart: the current round's completion curve beside the previous
round's, as SVG coordinates ready to draw, and the days its data table lists.

templates/plans/plan_rounds.html draws it in a `viewBox` of WIDTH × HEIGHT units that
stretches to the screen's width; colours come from CSS classes (static/css/dashboard.css),
so light and dark mode both work and the CSP needs no inline style.
"""

from __future__ import annotations

from dataclasses import dataclass

from plans.rounds import Comparison, CurvePoint

WIDTH, HEIGHT = 560, 260
# Room for the axes' labels, at the font size phones need (dashboard.css .rounds-axis).
LEFT, RIGHT, TOP, BOTTOM = 74, 16, 14, 52
PERCENT_TICKS = (0, 25, 50, 75, 100)
# Day steps the x axis labels by: the first that gives at most MAX_DAY_TICKS intervals.
DAY_STEPS = (1, 7, 14, 28, 56, 91, 182, 365, 730)
MAX_DAY_TICKS = 7


@dataclass(frozen=True, slots=True)
class Tick:
    at: str  # x (day ticks) or y (percent ticks), in SVG units
    label: str


@dataclass(frozen=True, slots=True)
class CurveChart:
    width: int
    height: int
    left: int
    right: int  # x of the plot's right edge
    top: int
    bottom: int  # y of the plot's bottom edge
    current: str  # the polyline's points: "x,y x,y …"
    previous: str  # "" without a previous round
    percent_ticks: tuple[Tick, ...]
    day_ticks: tuple[Tick, ...]
    marker: tuple[str, str] | None  # today on the current curve, when the chart reaches it
    percent_label_x: int
    day_label_y: int
    axis_title: tuple[str, str]  # where "Days since the round started" goes
    table: tuple[CurvePoint, ...]  # the data table's rows: the labelled days, and today


def _step(span: int) -> int:
    return next((step for step in DAY_STEPS if span / step <= MAX_DAY_TICKS), DAY_STEPS[-1])


def curve_chart(comparison: Comparison) -> CurveChart:
    span = max(comparison.horizon, 1)
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM

    def x(day: int) -> float:
        return LEFT + (right - LEFT) * day / span

    def y(percent: int) -> float:
        return bottom - (bottom - TOP) * percent / 100

    def line(values: list[tuple[int, int]]) -> str:
        return " ".join(f"{x(day):.1f},{y(percent):.1f}" for day, percent in values)

    points = comparison.points
    step = _step(span)
    labelled = list(range(0, comparison.horizon + 1, step))
    # The table ends on the chart's last day; the axis only where labels have room.
    days = labelled if labelled[-1] == comparison.horizon else [*labelled, comparison.horizon]
    marker = None
    if comparison.day <= comparison.horizon:
        today = points[comparison.day]
        marker = (f"{x(today.day):.1f}", f"{y(today.current):.1f}")
    return CurveChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=right,
        top=TOP,
        bottom=bottom,
        current=line([(p.day, p.current) for p in points]),
        previous=line([(p.day, p.previous) for p in points if p.previous is not None]),
        percent_ticks=tuple(Tick(f"{y(p):.1f}", f"{p} %") for p in PERCENT_TICKS),
        day_ticks=tuple(Tick(f"{x(d):.1f}", str(d)) for d in labelled),
        marker=marker,
        percent_label_x=LEFT - 8,
        day_label_y=bottom + 22,
        axis_title=(f"{(LEFT + right) / 2:.1f}", f"{HEIGHT - 4}"),
        table=tuple(points[d] for d in days),
    )
