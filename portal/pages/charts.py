"""Bar charts drawn on the server as inline SVG: no JavaScript, works offline. This module works
out the geometry and the words; `templates/portal/_bar_chart.html` draws it. Every chart carries a
one-sentence summary and its numbers as a table, for people who do not see the picture."""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 28  # room for the axis labels
ROW_HEIGHT = 30  # horizontal charts: one row per bar


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str  # CSS class that colours it
    title: str  # what a pointer hovering the bar is told


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"  # SVG text-anchor: start, middle or end


@dataclass(frozen=True)
class Chart:
    title: str
    summary: str  # the text alternative, one sentence
    width: int
    height: int
    bars: list[Bar]
    gridlines: list[Label]  # a horizontal line across the plot, and its value, at y
    labels: list[Label]  # category names along the axis
    legend: list[tuple[str, str]]  # (series class, name)
    columns: list[str]  # the table of numbers
    rows: list[list[str]]
    plot_left: float = LEFT
    plot_right: float = WIDTH - RIGHT

    @property
    def empty(self) -> bool:
        return not any(bar.height > 0 or bar.width > 0 for bar in self.bars)


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ at or above `value`, so gridlines fall on round numbers."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def column_chart(
    *,
    title: str,
    categories: list[str],
    series: list[tuple[str, str, list[float]]],
    value_words,
    summary: str,
    least_top: float = 0,
) -> Chart:
    """Vertical bars, one group per category with one bar per series (class, name, values).
    `value_words` turns a number into words for titles and the table; `least_top` keeps the axis
    from zooming in below it (4 keeps counts on whole-number gridlines)."""
    top = nice_ceiling(max([least_top, *(v for _, _, values in series for v in values)]))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_width / max(len(categories), 1)
    bar_width = group * 0.8 / len(series)
    bars = []
    for index, category in enumerate(categories):
        for offset, (css, name, values) in enumerate(series):
            height = plot_height * values[index] / top
            x = LEFT + index * group + group * 0.1 + offset * bar_width
            y = TOP + plot_height - height
            hover = f"{category}: {name.lower()} {value_words(values[index])}"
            bars.append(Bar(round(x, 1), round(y, 1), round(bar_width, 1), round(height, 1), css, hover))
    gridlines = [
        Label(LEFT - 6, round(TOP + plot_height * (1 - step / 4), 1), _short(top * step / 4), "end")
        for step in range(5)
    ]
    labels = [Label(round(LEFT + (i + 0.5) * group, 1), HEIGHT - 8, category) for i, category in enumerate(categories)]
    rows = [
        [category, *(value_words(values[index]) for _, _, values in series)]
        for index, category in enumerate(categories)
    ]
    return Chart(
        title=title,
        summary=summary,
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        gridlines=gridlines,
        labels=labels,
        legend=[(css, name) for css, name, _ in series],
        columns=["", *(name for _, name, _ in series)],
        rows=rows,
    )


def bar_chart(*, title: str, items: list[tuple[str, float, str]], summary: str, css: str) -> Chart:
    """Horizontal bars from 0 to 1 (shares), one row per (name, share, words)."""
    label_width = 180
    plot_width = WIDTH - label_width - 60
    height = TOP + ROW_HEIGHT * max(len(items), 1)
    bars, labels = [], []
    for index, (name, share, words) in enumerate(items):
        y = TOP + index * ROW_HEIGHT
        length = round(plot_width * share, 1)
        bars.append(Bar(label_width, y + 6, length, ROW_HEIGHT - 12, css, f"{name}: {words}"))
        labels.append(Label(label_width - 8, y + ROW_HEIGHT / 2 + 4, name, "end"))
        labels.append(Label(label_width + length + 6, y + ROW_HEIGHT / 2 + 4, words, "start"))
    return Chart(
        title=title,
        summary=summary,
        width=WIDTH,
        height=height,
        bars=bars,
        gridlines=[],
        labels=labels,
        legend=[],
        columns=["", "Share"],
        rows=[[name, words] for name, _, words in items],
    )


def _short(value: float) -> str:
    """Axis numbers: 1500 → "1.5k"."""
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"
