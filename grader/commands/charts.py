"""Small charts of a series over time: as text for the terminal, and as an SVG file.

Used by the lag experiment to draw events behind and MillisBehindLatest over time. Plain
standard library, no plotting package.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass
class Series:
    """One named series of (time in seconds, value) points, drawn in one panel."""

    title: str
    unit: str
    points: list[tuple[float, float]]


def text_chart(series: Series, width: int = 60, height: int = 8) -> str:
    """The series as a text chart: a column of ``#`` per time slot up to its value."""
    if not series.points:
        return f"  {series.title}: no data\n"
    end = max(t for t, _ in series.points) or 1.0
    top = max(v for _, v in series.points) or 1.0
    columns = [0.0] * width
    filled = [False] * width
    for t, v in series.points:
        column = min(int(t / end * (width - 1)), width - 1)
        columns[column] = max(columns[column], v) if filled[column] else v
        filled[column] = True
    for column in range(1, width):  # hold the last value between polls
        if not filled[column]:
            columns[column] = columns[column - 1]
    label_width = len(f"{top:g}")
    lines = [f"  {series.title} ({series.unit})"]
    for row in range(height, 0, -1):
        level = top * row / height
        label = f"{top:g}" if row == height else ""
        bar = "".join("#" if value >= level - top / (2 * height) and value > 0 else " " for value in columns)
        lines.append(f"  {label:>{label_width}} |{bar}")
    lines.append(f"  {'0':>{label_width}} +{'-' * width}")
    lines.append(f"  {'':>{label_width}}  0 s{' ' * (width - 8)}{end:.1f} s")
    return "\n".join(lines) + "\n"


def svg_chart(panels: list[Series], title: str, width: int = 720, panel_height: int = 200) -> str:
    """Panels stacked vertically, each a line of its points with axes, labels and its maximum."""
    margin_left, margin_right, margin_top, gap = 70, 20, 40, 60
    height = margin_top + len(panels) * (panel_height + gap)
    plot_width = width - margin_left - margin_right
    opening = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="12">'
    )
    parts = [
        opening,
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
    ]
    end = max((t for s in panels for t, _ in s.points), default=1.0) or 1.0
    for index, series in enumerate(panels):
        top_y = margin_top + index * (panel_height + gap) + 20
        bottom_y = top_y + panel_height
        top = max((v for _, v in series.points), default=1.0) or 1.0

        def x(t: float) -> float:
            return margin_left + t / end * plot_width

        def y(v: float, top: float = top, bottom_y: float = bottom_y) -> float:
            return bottom_y - v / top * panel_height

        parts.append(
            f'<text x="{margin_left}" y="{top_y - 6}" font-size="13">{escape(series.title)} '
            f"({escape(series.unit)})</text>"
        )
        parts.append(
            f'<line x1="{margin_left}" y1="{bottom_y}" x2="{margin_left + plot_width}" y2="{bottom_y}" stroke="black"/>'
        )
        parts.append(f'<line x1="{margin_left}" y1="{top_y}" x2="{margin_left}" y2="{bottom_y}" stroke="black"/>')
        for fraction in (0.0, 0.5, 1.0):
            value = top * fraction
            parts.append(f'<text x="{margin_left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value:g}</text>')
            parts.append(
                f'<line x1="{margin_left}" y1="{y(value):.1f}" x2="{margin_left + plot_width}" y2="{y(value):.1f}" '
                'stroke="#ddd"/>'
            )
        for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
            t = end * fraction
            parts.append(f'<text x="{x(t):.1f}" y="{bottom_y + 16}" text-anchor="middle">{t:.1f} s</text>')
        if series.points:
            path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in series.points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="#1f77b4" stroke-width="2"/>')
            parts += [f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="2.5" fill="#1f77b4"/>' for t, v in series.points]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
