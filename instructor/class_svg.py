"""Charts of the class report: inline SVG bar charts, each drawn next to the table of its data.

Nothing here loads anything: the SVG is part of the page. Bars are dark blue on white (contrast
above 8:1) and every bar carries its count as text, so no figure is told by colour alone.
"""

from __future__ import annotations

from grader.text_safety import html_text

BAR = "#1f4e79"
INK = "#1a1a1a"


def bar_chart(title: str, labels: list[str], values: list[int], caption_id: str, width: int = 420) -> str:
    """A vertical bar chart as inline SVG, labelled by ``caption_id`` (the figure's caption)."""
    height, top, bottom, left = 190, 18, 42, 8
    count = max(1, len(values))
    slot = (width - left * 2) / count
    peak = max([*values, 1])
    plot = height - top - bottom
    parts = [
        (
            f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-labelledby="{caption_id}" xmlns="http://www.w3.org/2000/svg">'
        ),
        f"<title>{html_text(title)}</title>",
        f'<line x1="{left}" y1="{top + plot}" x2="{width - left}" y2="{top + plot}" stroke="{INK}" stroke-width="1"/>',
    ]
    for index, (label, value) in enumerate(zip(labels, values)):
        x = left + index * slot
        bar_height = plot * value / peak
        y = top + plot - bar_height
        centre = x + slot / 2
        parts.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar_height:.1f}" '
            f'fill="{BAR}"/>'
        )
        parts.append(
            f'<text x="{centre:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="12" fill="{INK}">{value}</text>'
        )
        parts.append(
            f'<text x="{centre:.1f}" y="{top + plot + 16:.1f}" text-anchor="middle" font-size="11" '
            f'fill="{INK}">{html_text(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def table(headers: list[str], rows: list[list[str]], caption: str = "", numeric_from: int = 1) -> str:
    """An HTML table with header cells: the first column heads each row (already escaped cells)."""
    head = "".join(f'<th scope="col">{h}</th>' for h in headers)
    body = []
    for row in rows:
        cells = [f'<th scope="row">{row[0]}</th>'] + [
            f'<td class="num">{cell}</td>' if i >= numeric_from else f"<td>{cell}</td>"
            for i, cell in enumerate(row[1:], start=1)
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption_html = f"<caption>{caption}</caption>" if caption else ""
    return f"<table>{caption_html}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def figure(
    chart_id: str, title: str, labels: list[str], values: list[int], headers: list[str], width: int = 420
) -> str:
    """A chart and its data table side by side, under one caption."""
    rows = [[html_text(label), str(value)] for label, value in zip(labels, values)]
    return (
        f'<figure class="pair"><figcaption id="{chart_id}">{html_text(title)}</figcaption>'
        f'<div class="side">{bar_chart(title, labels, values, chart_id, width)}'
        f"{table([html_text(h) for h in headers], rows)}</div></figure>"
    )
