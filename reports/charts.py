"""Server-rendered SVG charts for the report pages (issue 5, point 5): a horizontal bar per row, drawn
from a table's own numbers — no JavaScript, no library, the same on a school's closed network."""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe

from .tables import Table

BAR, GAP, LABEL_WIDTH, WIDTH = 18, 6, 190, 640


COLOURS = ["#2e7d4f", "#3b6db3", "#d9a21b", "#c2452d", "#8a8a8a", "#6b4fa0"]


def bar_chart(table: Table) -> SafeString:
    """The table's ``chart`` as an inline SVG (empty when there is nothing to draw): one bar per row, or
    with ``"values": [column, …]`` one stacked bar per row with a legend."""
    if table.chart.get("values"):
        return _stacked(table)
    spec = table.chart
    rows = [r for r in table.rows if r.emphasis != "total"]
    points = [(str(r.cells[spec["label"]]), r.cells[spec["value"]]) for r in rows]
    points = [(label, float(value)) for label, value in points if isinstance(value, int | float)]
    if not points:
        return mark_safe("")
    top = float(spec.get("max") or max(v for _label, v in points) or 1)
    plot = WIDTH - LABEL_WIDTH - 60
    height = len(points) * (BAR + GAP) + GAP
    title = escape(spec.get("title", table.title))
    parts = [
        f'<svg class="chart" role="img" aria-label="{title}" viewBox="0 0 {WIDTH} {height + 24}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg"><title>{title}</title>'
        f'<text x="0" y="14" class="chart-title">{title}</text>'
    ]
    for n, (label, value) in enumerate(points):
        y = 24 + GAP + n * (BAR + GAP)
        width = max(0.0, min(1.0, value / top)) * plot
        shown = f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR - 5}" text-anchor="end">{escape(label[:32])}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR}" rx="2"></rect>'
            f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + BAR - 5}">{shown}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped


def _stacked(table: Table) -> SafeString:
    spec = table.chart
    columns = spec["values"]
    rows = [r for r in table.rows if r.emphasis != "total"]
    points = [
        (
            str(r.cells[spec["label"]]),
            [float(r.cells[i]) if isinstance(r.cells[i], int | float) else 0.0 for i in columns],
        )
        for r in rows
    ]
    top = max((sum(values) for _label, values in points), default=0)
    if not top:
        return mark_safe("")
    plot = WIDTH - LABEL_WIDTH - 60
    height = len(points) * (BAR + GAP) + GAP
    title = escape(spec.get("title", table.title))
    legend = "".join(
        f'<rect x="{LABEL_WIDTH + n * 70}" y="4" width="10" height="10" fill="{COLOURS[n % len(COLOURS)]}"></rect>'
        f'<text x="{LABEL_WIDTH + n * 70 + 14}" y="13">{escape(table.columns[i])}</text>'
        for n, i in enumerate(columns)
    )
    parts = [
        f'<svg class="chart" role="img" aria-label="{title}" viewBox="0 0 {WIDTH} {height + 40}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg"><title>{title}</title>'
        f'<text x="0" y="13" class="chart-title">{title}</text>{legend}'
    ]
    for n, (label, values) in enumerate(points):
        y = 40 + GAP + n * (BAR + GAP)
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR - 5}" text-anchor="end">{escape(label[:32])}</text>')
        x = float(LABEL_WIDTH)
        for k, value in enumerate(values):
            width = value / top * plot
            if width > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{BAR}" fill="{COLOURS[k % len(COLOURS)]}">'
                    f"<title>{escape(table.columns[columns[k]])}: {value:g}</title></rect>"
                )
            x += width
        parts.append(f'<text x="{x + 4:.1f}" y="{y + BAR - 5}">{sum(values):g}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped
