"""Charts as inline SVG, drawn in plain Python (no plotting library, no scripts, no fonts to fetch).

A chart is a title, an x axis (categories such as periods, or numbers such as years), series of values
(None leaves a gap), optional step lines (thresholds), and a caption naming the source and the refresh
date. ``line_chart`` returns the SVG text; it opens in any browser, offline, and can be embedded in HTML
directly or as a ``data:image/svg+xml`` image (the Dagster UI's metadata).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

FONT = "font-family=\"Arial, Helvetica, sans-serif\""
PALETTE = {
    "home": "#1f4e79",
    "england": "#595959",
    "region": "#c55a11",
    "neighbours": "#548235",
    "threshold": "#c00000",
    "second": "#7030a0",
    "third": "#bf8f00",
}


@dataclass
class Series:
    """One line: a value per x position (None = no value: the line breaks)."""

    name: str
    values: Sequence[float | None]
    colour: str = PALETTE["home"]
    dash: str | None = None          # SVG stroke-dasharray, e.g. "6 4"
    width: float = 2.5
    markers: bool = True
    step: bool = False               # drawn as a step (a threshold that changes between periods)
    marker_colours: Sequence[str | None] | None = None  # per point, e.g. RAG colours
    labels: Sequence[str | None] | None = None          # per point text drawn beside the marker


@dataclass
class Chart:
    """A chart ready to draw, and what it says in words (for the report's tables and the metadata)."""

    key: str
    title: str
    x_labels: Sequence[str]
    series: list[Series]
    y_label: str = ""
    caption: str = ""
    x_values: Sequence[float] | None = None   # numeric x positions; default 0..n-1 (categories)
    y_ticks: dict[float, str] | None = None   # fixed y ticks with labels (e.g. Ofsted grades)
    y_range: tuple[float, float] | None = None
    invert_y: bool = False
    note: str = ""
    x_tick_labels: dict[float, str] | None = None
    left_margin: int = 64
    table: list[list[str]] = field(default_factory=list)  # header row first

    def svg(self) -> str:
        return line_chart(self)

    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg().encode("utf-8")).decode("ascii")


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 times a power of ten apart)."""
    if high < low:
        low, high = high, low
    if high == low:
        high, low = high + 1, low - 1
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def format_number(value: float) -> str:
    """A tick or point label: no trailing zeros, thousands separated."""
    if abs(value - round(value)) < 1e-9:
        return f"{int(round(value)):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, text: str, size: int = 12, anchor: str = "start", colour: str = "#222",
          weight: str = "normal", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" {FONT} font-size="{size}" text-anchor="{anchor}" '
            f'fill="{colour}" font-weight="{weight}"{extra}>{escape(text)}</text>')


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines


def line_chart(chart: Chart, width: int = 760, plot_height: int = 230) -> str:
    """The chart as a standalone SVG document."""
    n = len(chart.x_labels)
    xs = list(chart.x_values) if chart.x_values is not None else list(range(n))
    values = [v for s in chart.series for v in s.values if v is not None]
    legend_rows = math.ceil(len(chart.series) / 4) if chart.series else 0
    caption_lines = _wrap(chart.caption, 120) + (_wrap(chart.note, 120) if chart.note else [])
    title_lines = _wrap(chart.title, 80) or [""]
    head = 18 * (len(title_lines) - 1)
    top = 34 + head + 18 * legend_rows
    left, right = chart.left_margin, 24
    bottom_axis = 44
    height = top + plot_height + bottom_axis + 16 * len(caption_lines) + 8
    plot_w = width - left - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="t-{escape(chart.key)}">',
        f'<title id="t-{escape(chart.key)}">{escape(chart.title)}</title>',
        f'<desc>{escape(chart.caption)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    parts += [_text(left, 20 + 18 * i, line, size=15, weight="bold") for i, line in enumerate(title_lines)]
    # legend
    for i, series in enumerate(chart.series):
        lx = left + (i % 4) * 170
        ly = 38 + head + 18 * (i // 4)
        dash = f' stroke-dasharray="{series.dash}"' if series.dash else ""
        parts.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 22}" y2="{ly - 4}" stroke="{series.colour}" '
                     f'stroke-width="{series.width}"{dash}/>')
        parts.append(_text(lx + 28, ly, series.name, size=11))
    if not values or not xs:
        parts.append(_text(left + plot_w / 2, top + plot_height / 2, "No published values to show",
                           size=13, anchor="middle", colour="#777"))
        lo, hi = 0.0, 1.0
        ticks: list[float] = []
    elif chart.y_ticks:
        ticks = sorted(chart.y_ticks)
        lo, hi = chart.y_range or (min(ticks), max(ticks))
    else:
        lo, hi = chart.y_range or (min(values), max(values))
        if chart.y_range is None:
            pad = (hi - lo) * 0.1 or abs(hi) * 0.1 or 1
            lo, hi = lo - pad, hi + pad
            if min(values) >= 0 and lo < 0:
                lo = 0.0
        ticks = nice_ticks(lo, hi)
        lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0, 1)
    if x_hi == x_lo:
        x_lo, x_hi = x_lo - 1, x_hi + 1
    x_pad = (x_hi - x_lo) * 0.04

    def px(x: float) -> float:
        return left + (x - x_lo + x_pad) / (x_hi - x_lo + 2 * x_pad) * plot_w

    def py(y: float) -> float:
        frac = (y - lo) / (hi - lo) if hi != lo else 0.5
        if chart.invert_y:
            frac = 1 - frac
        return top + plot_height - frac * plot_height

    # axes and grid
    parts.append(f'<line x1="{left}" y1="{top + plot_height}" x2="{left + plot_w}" y2="{top + plot_height}" '
                 'stroke="#999"/>')
    for tick in ticks:
        y = py(tick)
        label = chart.y_ticks[tick] if chart.y_ticks else format_number(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        parts.append(_text(left - 6, y + 4, label, size=11, anchor="end", colour="#444"))
    if chart.y_label:
        parts.append(_text(14, top + plot_height / 2, chart.y_label, size=11, anchor="middle", colour="#444",
                           extra=f' transform="rotate(-90 14 {top + plot_height / 2:.1f})"'))
    if chart.x_tick_labels:
        x_ticks = sorted(chart.x_tick_labels.items())
    else:
        every = max(1, math.ceil(n / 12))
        x_ticks = [(xs[i], chart.x_labels[i]) for i in range(0, n, every)]
    for x, label in x_ticks:
        parts.append(f'<line x1="{px(x):.1f}" y1="{top + plot_height}" x2="{px(x):.1f}" '
                     f'y2="{top + plot_height + 4}" stroke="#999"/>')
        parts.append(_text(px(x), top + plot_height + 18, label, size=11, anchor="middle", colour="#444"))
    # series
    for series in chart.series:
        dash = f' stroke-dasharray="{series.dash}"' if series.dash else ""
        runs: list[list[tuple[float, float]]] = [[]]
        for x, v in zip(xs, series.values):
            if v is None:
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append((x, v))
        for run in runs:
            if len(run) < 2 and not series.step:
                continue
            points: list[tuple[float, float]] = []
            for i, (x, v) in enumerate(run):
                if series.step and i > 0:
                    mid = (run[i - 1][0] + x) / 2
                    points += [(px(mid), py(run[i - 1][1])), (px(mid), py(v))]
                points.append((px(x), py(v)))
            if series.step and run:
                half = 0.5 if chart.x_values is None else 0
                points = [(px(run[0][0] - half), py(run[0][1]))] + points + [(px(run[-1][0] + half), py(run[-1][1]))]
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{series.colour}" '
                         f'stroke-width="{series.width}" stroke-linejoin="round"{dash}/>')
        if series.markers:
            for i, (x, v) in enumerate(zip(xs, series.values)):
                if v is None:
                    continue
                colour = (series.marker_colours[i] if series.marker_colours and series.marker_colours[i]
                          else series.colour)
                label_i = chart.x_labels[i] if i < len(chart.x_labels) else ""
                parts.append(f'<circle cx="{px(x):.1f}" cy="{py(v):.1f}" r="4" fill="{colour}" '
                             f'stroke="#fff" stroke-width="1"><title>{escape(series.name)} {escape(label_i)}: '
                             f'{escape(format_number(v))}</title></circle>')
                if series.labels and series.labels[i]:
                    near_right = px(x) > left + plot_w * 0.7
                    parts.append(_text(px(x) + (-7 if near_right else 7), py(v) - 8, series.labels[i], size=11,
                                       anchor="end" if near_right else "start", colour="#222"))
    # caption
    for i, line in enumerate(caption_lines):
        parts.append(_text(left, top + plot_height + bottom_axis + 4 + 16 * i, line, size=11, colour="#555"))
    parts.append("</svg>")
    return "\n".join(parts)
