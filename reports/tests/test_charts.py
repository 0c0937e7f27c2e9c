"""SVG bar charts: whole-number grid lines, escaped text, one bar per value and series."""

from __future__ import annotations

import re

from reports.charts import Series, bar_chart

TICKS = re.compile(r'text-anchor="end" fill="#444">([^<]*)<')


def ticks(values: list[int]) -> list[str]:
    svg = bar_chart("t", [str(i) for i in range(len(values))], [Series("a", values, "#123456")])
    return TICKS.findall(svg)


def test_grid_lines_are_whole_numbers():
    assert ticks([0]) == ["0", "1"]
    assert ticks([3]) == ["0", "1", "2", "3"]
    assert ticks([7, 1]) == ["0", "2", "4", "6", "8"]
    assert ticks([246575]) == ["0", "100\u00a0000", "200\u00a0000", "300\u00a0000"]


def test_texts_are_escaped_and_every_value_has_a_bar():
    svg = bar_chart(
        "<Итоги>",
        ["01.11", "02.11"],
        [Series("Открыто & <b>", [1, 2], "#111"), Series("Закрыто", [0, 3], "#222")],
    )
    assert "<Итоги>" not in svg and 'aria-label="&lt;Итоги&gt;"' in svg
    assert "Открыто &amp; &lt;b&gt;" in svg
    assert len(re.findall(r"<rect [^>]*><title>", svg)) == 4
    assert "<title>02.11 · Закрыто: 3</title>" in svg
