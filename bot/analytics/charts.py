"""Charts as inline SVG drawn on the server: no JavaScript, nothing fetched, printable in a PDF.

Pure. A suppressed cell has no number, so it is drawn as its text ("<5", "x") with no bar or
point: a chart can never show more than the table beside it. Colours are presentation
attributes, not inline styles, so the portal's Content-Security-Policy allows them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from xml.sax.saxutils import escape

from bot.analytics.suppression import Cell

BAR = "#2f6f8f"
MUTED = "#4b5563"  # 7.6:1 on white (the grey it replaced was 4.8:1, under 4.5:1 on tinted panels)
GRID = "#d1d5db"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _nice_max(value: float) -> int:
    """The axis' top: four whole-number steps (counts are drawn on 0, 1, 2, 3, 4, never quarters)."""
    for step in (
        1,
        2,
        5,
        10,
        20,
        25,
        50,
        100,
        200,
        250,
        500,
        1000,
        2000,
        2500,
        5000,
        10000,
        20000,
        25000,
        50000,
        100000,
    ):
        if value <= step * 4:
            return step * 4
    return math.ceil(value / 4) * 4


def bar_chart(
    rows: Sequence[tuple[str, Cell]],
    title: str,
    *,
    width: int = 560,
    limit: int = 15,
    no_data: str = "No data",
    figure: Callable[[Cell], str] | None = None,
) -> str:
    """Horizontal bars, one per row, largest first as given; ``figure`` writes a value in the
    reader's language (``labels.Words.figure``; the cell's own text by default)."""
    figure = figure or _text
    rows = list(rows)[:limit]
    label_w, row_h, top = 170, 24, 28
    height = top + row_h * max(len(rows), 1) + 8
    scale_max = _nice_max(max((c.number or 0 for _, c in rows), default=0))
    plot_w = width - label_w - 60
    parts = [
        _open(width, height, title),
        f'<text x="0" y="16" {FONT} font-weight="600">{escape(title)}</text>',
    ]
    if not rows:
        parts.append(f'<text x="0" y="{top + 14}" {FONT} fill="{MUTED}">{escape(no_data)}</text>')
    for i, (label, cell) in enumerate(rows):
        y = top + i * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" {FONT} text-anchor="end">{escape(_clip(label))}</text>'
        )
        if cell.number is not None:
            w = plot_w * (cell.number / scale_max)
            parts.append(
                f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{BAR}"/>'
            )
            parts.append(
                f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" {FONT}>{escape(figure(cell))}</text>'
            )
        else:
            parts.append(
                f'<text x="{label_w + 6}" y="{y + 15}" {FONT} fill="{MUTED}">{escape(cell.text)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    series: Sequence[tuple[str, Cell]],
    title: str,
    *,
    width: int = 560,
    height: int = 200,
    month_label: Callable[[str], str] | None = None,
    figure: Callable[[Cell], str] | None = None,
) -> str:
    """A monthly trend: a point per shown month, a gap (and the cell's text) where it is suppressed;
    ``month_label`` names a month on the axis ("Oct 26" by default), ``figure`` writes a value."""
    month_label, figure = month_label or _short, figure or _text
    left, right, top, bottom = 44, 28, 28, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    scale_max = _nice_max(max((c.number or 0 for _, c in series), default=0))
    n = max(len(series) - 1, 1)
    parts = [
        _open(width, height, title),
        f'<text x="0" y="16" {FONT} font-weight="600">{escape(title)}</text>',
    ]
    for tick in range(5):
        value = scale_max * tick // 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" {FONT} text-anchor="end" fill="{MUTED}">'
            f"{escape(figure(Cell(str(value), value)))}</text>"
        )
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, (month, cell) in enumerate(series):
        x = left + plot_w * i / n
        parts.append(
            f'<text x="{x:.1f}" y="{height - 10}" {FONT} text-anchor="middle" fill="{MUTED}">'
            f"{escape(month_label(month))}</text>"
        )
        if cell.number is None:
            if segment:
                segments.append(segment)
            segment = []
            parts.append(
                f'<text x="{x:.1f}" y="{top + plot_h - 4}" {FONT} text-anchor="middle" '
                f'fill="{MUTED}">{escape(cell.text)}</text>'
            )
            continue
        y = top + plot_h - plot_h * cell.number / scale_max
        segment.append(f"{x:.1f},{y:.1f}")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{BAR}"><title>{escape(month)}: '
            f"{escape(figure(cell))}</title></circle>"
        )
    if segment:
        segments.append(segment)
    for points in segments:
        if len(points) > 1:
            parts.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{BAR}" stroke-width="2"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}">'
    )


def _clip(label: str, size: int = 26) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


def _text(cell: Cell) -> str:
    return cell.text


def _short(month: str) -> str:
    return datetime.strptime(month, "%Y-%m").strftime("%b %y")
