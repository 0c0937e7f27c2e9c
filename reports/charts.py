"""Server-rendered SVG bar charts: no script, no external asset, readable in print.

Bars carry a ``<title>`` (hover text) and the chart an ``aria-label``; colours are fill
attributes (kept by printers with ``print-color-adjust: exact``) and the legend names each series.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 900, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 34, 40
MAX_LABELS = 16


@dataclass(frozen=True)
class Series:
    label: str
    values: list[int]
    color: str


def nice_ceiling(value: float) -> int:
    """``value`` rounded up to 1, 2 or 5 × 10ⁿ (at least 1): the step between grid lines."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return int(step * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def bar_chart(title: str, labels: list[str], series: list[Series]) -> SafeString:
    """Grouped bars, one group per label, one bar per series."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = nice_ceiling(max((v for s in series for v in s.values), default=0) / 4)
    ticks = max(1, math.ceil(max((v for s in series for v in s.values), default=0) / step))
    top = step * ticks
    band = plot_w / max(len(labels), 1)
    bar = band * 0.8 / max(len(series), 1)
    every = math.ceil(len(labels) / MAX_LABELS) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" font-family="system-ui, sans-serif" '
        f'font-size="12">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in range(ticks + 1):
        value = step * tick
        y = TOP + plot_h - plot_h * tick / ticks
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d0d4da" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">'
            f"{_number(value)}</text>"
        )
    for index, label in enumerate(labels):
        x0 = LEFT + band * index + band * 0.1
        for number, item in enumerate(series):
            value = item.values[index]
            h = plot_h * value / top
            x = x0 + bar * number
            parts.append(
                f'<rect x="{x:.2f}" y="{TOP + plot_h - h:.2f}" width="{max(bar - 0.5, 0.5):.2f}" '
                f'height="{h:.2f}" fill="{item.color}"><title>{escape(label)} · '
                f"{escape(item.label)}: {value}</title></rect>"
            )
        if index % every == 0:
            cx = LEFT + band * index + band / 2
            parts.append(
                f'<text x="{cx:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                f'fill="#444">{escape(label)}</text>'
            )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        f'stroke="#555" stroke-width="1"/>'
    )
    x = LEFT
    for item in series:
        parts.append(
            f'<rect x="{x}" y="8" width="14" height="14" fill="{item.color}"/>'
            f'<text x="{x + 20}" y="20" fill="#222">{escape(item.label)}</text>'
        )
        x += 28 + 8 * len(item.label)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _number(value: int) -> str:
    """``300 000``: digits grouped by a no-break space, as Russian text does."""
    return f"{value:,}".replace(",", "\u00a0")
