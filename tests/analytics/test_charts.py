"""Server-rendered SVG charts: valid markup, escaped labels, and no bar or point for a hidden count."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bot.analytics import charts
from bot.analytics import suppression as sup

SVG = "{http://www.w3.org/2000/svg}"


def test_a_suppressed_row_gets_its_text_but_no_bar():
    svg = charts.bar_chart(
        [("ON", sup.count(13, 5)), ("PE", sup.count(3, 5)), ("QC", sup.hidden())], "Workers"
    )
    root = ET.fromstring(svg)
    assert len(root.findall(f"{SVG}rect")) == 1
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "<5" in texts and "x" in texts and "13" in texts
    assert "3" not in texts


def test_labels_are_escaped():
    svg = charts.bar_chart([("<script>alert(1)</script>", sup.count(7, 5))], 'a "title" & more')
    ET.fromstring(svg)
    assert "<script>" not in svg


def test_a_trend_breaks_where_a_month_is_suppressed():
    series = [
        ("2026-07", sup.count(9, 5)),
        ("2026-08", sup.count(12, 5)),
        ("2026-09", sup.count(2, 5)),
        ("2026-10", sup.count(14, 5)),
    ]
    root = ET.fromstring(charts.line_chart(series, "Workers reached"))
    assert len(root.findall(f"{SVG}circle")) == 3
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 1 and len(lines[0].get("points").split()) == 2, (
        "no line drawn across the gap"
    )
