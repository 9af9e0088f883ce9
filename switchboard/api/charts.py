"""Inline SVG charts rendered on the server: no CDN, no script, readable without either.

Every number is escaped and every chart scales to its box (`viewBox`, width 100%), so
the same markup serves a desktop and a phone. Each bar and point has a <title>, which
browsers show on hover and screen readers read.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

W, H = 560, 200
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 12, 26


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value * 100:.0f}%"
    if unit == "$":
        return f"${value:.4f}" if value < 1 else f"${value:,.2f}"
    if unit == "ms":
        return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"
    return f"{value:,.0f}"


def _frame(days: Sequence[str], top: float, unit: str, title: str) -> list[str]:
    plot_h = H - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}"'
        ' preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{W - RIGHT}" y2="{TOP + plot_h}" class="axis"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" class="tick" text-anchor="end">'
        f"{escape(_fmt(top, unit))}</text>",
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" class="tick" text-anchor="end">0</text>',
    ]
    step = max(1, len(days) // 7)
    slot = (W - LEFT - RIGHT) / max(1, len(days))
    for i, day in enumerate(days):
        if i % step == 0:
            x = LEFT + slot * (i + 0.5)
            parts.append(
                f'<text x="{x:.1f}" y="{H - 8}" class="tick" text-anchor="middle">'
                f"{escape(day[5:])}</text>"
            )
    return parts


def bar_chart(
    title: str,
    days: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float]]],
    unit: str = "",
) -> str:
    """Stacked bars per day; `series` is (name, css colour class, values per day)."""
    totals = [sum(values[i] for _, _, values in series) for i in range(len(days))]
    top = max(totals, default=0) or 1
    plot_h = H - TOP - BOTTOM
    slot = (W - LEFT - RIGHT) / max(1, len(days))
    parts = _frame(days, top, unit, title)
    for i, day in enumerate(days):
        base = float(TOP + plot_h)
        for name, css, values in series:
            height = plot_h * values[i] / top
            if height <= 0:
                continue
            base -= height
            parts.append(
                f'<rect x="{LEFT + slot * i + slot * 0.15:.1f}" y="{base:.1f}" '
                f'width="{slot * 0.7:.1f}" height="{height:.1f}" class="{css}">'
                f"<title>{escape(day)} {escape(name)}: {escape(_fmt(values[i], unit))}</title></rect>"
            )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, days: Sequence[str], values: Sequence[float | None], unit: str) -> str:
    """A line over the days that have a value (gaps stay gaps), with a dot per day."""
    top = max((v for v in values if v is not None), default=0) or 1
    if unit == "%":
        top = 1.0
    plot_h = H - TOP - BOTTOM
    slot = (W - LEFT - RIGHT) / max(1, len(days))
    parts = _frame(days, top, unit, title)
    segment: list[str] = []
    segments: list[list[str]] = [segment]
    for i, value in enumerate(values):
        if value is None:
            segment = []
            segments.append(segment)
            continue
        x, y = LEFT + slot * (i + 0.5), TOP + plot_h * (1 - value / top)
        segment.append(f"{x:.1f},{y:.1f}")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="dot"><title>{escape(days[i])}: '
            f"{escape(_fmt(value, unit))}</title></circle>"
        )
    for points in segments:
        if len(points) > 1:
            parts.append(f'<polyline points="{" ".join(points)}" class="line"/>')
    parts.append("</svg>")
    return "".join(parts)
