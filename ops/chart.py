"""The 30-day usage chart as inline SVG, drawn on the server (no JavaScript, no CDN)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from ops.summary import DayTotal

WIDTH = 760
PANEL_HEIGHT = 110
LEFT = 60  # room for the axis labels
TOP = 18
BOTTOM = 18


def _panel(
    days: Sequence[DayTotal], value: Callable[[DayTotal], int], title: str, colour: str
) -> SafeString:
    top = max((value(d) for d in days), default=0) or 1
    slot = (WIDTH - LEFT - 10) / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        height = PANEL_HEIGHT * value(day) / top
        x = LEFT + index * slot
        y = TOP + PANEL_HEIGHT - height
        bars.append(
            (
                f"{x:.1f}",
                f"{y:.1f}",
                f"{max(slot - 2, 1):.1f}",
                f"{height:.1f}",
                colour,
                f"{day.day:%a %d %b}: {value(day):,}",
            )
        )
    labels = [
        (f"{LEFT + i * slot + slot / 2:.1f}", f"{TOP + PANEL_HEIGHT + 13}", f"{d.day:%d %b}")
        for i, d in enumerate(days)
        if i % 5 == 0 or i == len(days) - 1
    ]
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" '
        'aria-label="{title}" class="ops-chart">'
        '<text x="0" y="12" font-size="12" font-weight="bold">{title}</text>'
        '<text x="{lx}" y="{ty}" font-size="10" text-anchor="end">{top}</text>'
        '<text x="{lx}" y="{by}" font-size="10" text-anchor="end">0</text>'
        '<line x1="{left}" y1="{by}" x2="{right}" y2="{by}" stroke="#888"/>'
        "{bars}{labels}</svg>",
        w=WIDTH,
        h=TOP + PANEL_HEIGHT + BOTTOM,
        title=title,
        lx=LEFT - 6,
        ty=TOP + 8,
        by=TOP + PANEL_HEIGHT,
        left=LEFT,
        right=WIDTH - 10,
        top=f"{top:,}",
        bars=format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
            bars,
        ),
        labels=format_html_join(
            "", '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>', labels
        ),
    )


def usage_chart(days: Sequence[DayTotal]) -> SafeString:
    """Three panels, one above the other: requests, chips cut and errors per day."""
    panels = [
        _panel(days, lambda d: d.requests, "Requests per day", "#4a7fb5"),
        _panel(days, lambda d: d.chips_cut, "Chips cut per day", "#3d8b3d"),
        _panel(days, lambda d: d.errors, "Errors (4xx/5xx) per day", "#c0504d"),
    ]
    return mark_safe("<br>".join(panels))  # noqa: S308 - each panel is built by format_html
