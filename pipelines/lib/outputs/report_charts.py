"""Charts drawn by matplotlib's SVG backend, as inline SVG (no scripts, no fonts or images to fetch).

A chart is a title, an x axis (categories such as periods, or numbers such as years), series of values
(None leaves a gap), optional step lines (thresholds) or points without a line (one series per Ofsted
framework), and a caption naming the sources and the refresh date. matplotlib lays out the title, legend,
axes and caption (constrained layout; the legend gets as many columns as fit), so no two texts overlap
(``text_boxes`` measures them; the tests check). Text stays text (``svg.fonttype = 'none'``) in DejaVu Sans,
the font matplotlib ships and measures with; the output is deterministic (fixed hash salt, no date).
``Chart.svg`` returns the SVG element for embedding in HTML; ``Chart.data_uri`` the same as an image for the
Dagster UI's metadata.
"""

from __future__ import annotations

import base64
import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

PALETTE = {
    "home": "#1f4e79",
    "england": "#595959",
    "region": "#c55a11",
    "neighbours": "#548235",
    "threshold": "#c00000",
    "second": "#7030a0",
    "third": "#bf8f00",
}
FONT = "DejaVu Sans"
STYLE = {
    "svg.fonttype": "none",  # text stays text: searchable, selectable, small
    "svg.hashsalt": "csw-report",  # stable ids: the same figures give the same SVG
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "font.size": 9.5,
    "text.parse_math": False,  # a '$' in a title is a dollar, not TeX
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#999999",
    "axes.labelcolor": "#444444",
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "legend.frameon": False,
}
WIDTH_IN, PLOT_IN = 7.8, 2.6
DASHES = {"solid": "-", "dashed": (0, (6, 4)), "dotted": (0, (2, 3)), "dashdot": (0, (8, 3, 2, 3)), "fine": (0, (3, 3))}


@dataclass
class Series:
    """One line or set of points: a value per x position (None = no value: the line breaks)."""

    name: str
    values: Sequence[float | None]
    colour: str = PALETTE["home"]
    dash: str = "solid"  # a key of DASHES
    width: float = 2.2
    markers: bool = True
    line: bool = True  # False: points only (values that are not a trend)
    marker: str = "o"
    step: bool = False  # drawn as a step (a threshold that changes between periods)
    marker_colours: Sequence[str | None] | None = None  # per point, e.g. RAG colours


@dataclass
class Chart:
    """A chart ready to draw, and what it says in words (for the report's tables and the metadata)."""

    key: str
    title: str
    x_labels: Sequence[str]
    series: list[Series]
    y_label: str = ""
    caption: str = ""
    x_values: Sequence[float] | None = None  # numeric x positions; default 0..n-1 (categories)
    y_ticks: dict[float, str] | None = None  # fixed y ticks with labels (e.g. Ofsted grades)
    y_range: tuple[float, float] | None = None
    y_from_zero: bool = True  # False: the axis says it does not start at zero
    invert_y: bool = False
    note: str = ""
    x_tick_labels: dict[float, str] | None = None
    table: list[list[str]] = field(default_factory=list)  # header row first

    _svg: str | None = field(default=None, repr=False, compare=False)

    def figure(self) -> Figure:
        """The figure, drawn (its texts where the page shows them)."""
        fig = draw(self)
        fig.canvas.draw()
        return fig

    def svg(self) -> str:
        """The SVG element, with the chart's full title as its accessible name (<title>); drawn once."""
        if self._svg is None:
            svg = figure_svg(draw(self))
            start = svg.index(">") + 1
            self._svg = f"{svg[:start]}\n <title>{escape(self.title)}</title>{svg[start:]}"
        return self._svg

    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg().encode("utf-8")).decode("ascii")


def format_number(value: float) -> str:
    """A table or point figure: no trailing zeros, thousands separated."""
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.fill(part, width) for part in text.split("\n") if part)


def _fit(fig: Figure, artist: Text, text: str, start: int) -> int:
    """Wrap the text (at word boundaries) until it fits the figure's width; returns its number of lines."""
    for width in range(start, 19, -4):
        artist.set_text(_wrap(text, width))
        if artist.get_window_extent().width <= fig.bbox.width * 0.97:
            break
    return artist.get_text().count("\n") + 1 if text else 0


def _x_positions(chart: Chart) -> list[float]:
    return list(chart.x_values) if chart.x_values is not None else list(range(len(chart.x_labels)))


def _plot_series(ax, chart: Chart, series: Series, xs: list[float]) -> None:
    ys = [math.nan if v is None else v for v in series.values]
    style = DASHES.get(series.dash, "-")
    if series.step:
        ax.plot(
            xs,
            ys,
            drawstyle="steps-mid",
            color=series.colour,
            linestyle=style,
            linewidth=series.width,
            label=series.name,
        )
        return
    ax.plot(
        xs,
        ys,
        color=series.colour,
        linestyle=style if series.line else "none",
        linewidth=series.width,
        marker=series.marker if series.markers else None,
        markersize=6 if series.line else 8,
        markeredgecolor="white",
        markeredgewidth=0.8,
        label=series.name,
    )
    if series.markers and series.marker_colours:
        points = [(x, y, c) for x, y, c in zip(xs, ys, series.marker_colours) if c and not math.isnan(y)]
        if points:
            ax.scatter(
                [p[0] for p in points],
                [p[1] for p in points],
                c=[p[2] for p in points],
                s=40,
                zorder=3,
                edgecolors="white",
                linewidths=0.8,
            )


def _y_axis(ax, chart: Chart, values: list[float]) -> None:
    if chart.y_ticks:
        ax.set_yticks(sorted(chart.y_ticks), [chart.y_ticks[t] for t in sorted(chart.y_ticks)])
        low, high = chart.y_range or (min(chart.y_ticks), max(chart.y_ticks))
        ax.set_ylim(high, low) if chart.invert_y else ax.set_ylim(low, high)
        return
    if chart.y_range:
        ax.set_ylim(*chart.y_range)
    elif chart.y_from_zero:
        ax.set_ylim(0, max(values, default=1) * 1.12 or 1)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: format_number(v)))
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)


def _x_axis(ax, chart: Chart, xs: list[float]) -> None:
    if chart.x_tick_labels:
        ticks = sorted(chart.x_tick_labels.items())
    else:
        every = max(1, math.ceil(len(xs) / 12))
        ticks = [(xs[i], chart.x_labels[i]) for i in range(0, len(xs), every)]
    ax.set_xticks([t for t, _ in ticks], [label for _, label in ticks])
    if xs:
        pad = max((max(xs) - min(xs)) * 0.04, 0.5)
        ax.set_xlim(min(xs) - pad, max(xs) + pad)


def _legend(fig: Figure, ax, chart: Chart) -> int:
    """The legend above the plot, in as many columns as fit the width (matplotlib lays the entries out);
    returns its number of rows."""
    if not chart.series:
        return 0
    for ncol in range(len(chart.series), 0, -1):
        legend = ax.legend(
            loc="lower left",
            bbox_to_anchor=(0, 1.01),
            ncol=ncol,
            borderaxespad=0.2,
            handlelength=2.6,
            columnspacing=1.6,
        )
        if legend.get_window_extent().width <= fig.bbox.width * 0.9 or ncol == 1:
            return math.ceil(len(chart.series) / ncol)
    return len(chart.series)


def draw(chart: Chart) -> Figure:
    """The chart as a matplotlib figure (title, legend, plot, caption), laid out by matplotlib when drawn."""
    with matplotlib.rc_context(STYLE):
        caption = "\n".join(t for t in (chart.note, chart.caption) if t)
        fig = Figure(figsize=(WIDTH_IN, PLOT_IN), layout="constrained")
        FigureCanvasSVG(fig)
        title_lines = _fit(fig, fig.suptitle("", x=0.01, ha="left", fontsize=12.5, fontweight="bold"), chart.title, 90)
        ax = fig.add_subplot()
        xs = _x_positions(chart)
        values = [v for s in chart.series for v in s.values if v is not None]
        for series in chart.series:
            _plot_series(ax, chart, series, xs)
        if not values:
            ax.text(
                0.5,
                0.5,
                "No published values to show",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="#777777",
                fontsize=11,
            )
        _y_axis(ax, chart, values)
        _x_axis(ax, chart, xs)
        label = chart.y_label + ("" if chart.y_from_zero or chart.y_ticks else " (axis does not start at 0)")
        ax.set_ylabel(label)
        caption_lines = _fit(
            fig, fig.supxlabel("", x=0.01, ha="left", fontsize=8.5, color="#555555", linespacing=1.4), caption, 150
        )
        rows = _legend(fig, ax, chart)
        fig.set_size_inches(WIDTH_IN, PLOT_IN + 0.75 + 0.24 * title_lines + 0.22 * rows + 0.16 * caption_lines)
    return fig


def figure_svg(fig: Figure) -> str:
    """The figure as an <svg> element (no XML declaration or DOCTYPE), deterministic."""
    buffer = io.StringIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :].strip()


def text_boxes(fig: Figure) -> list[tuple[str, Bbox]]:
    """Every visible, non-empty text of the drawn figure with its box on the page (display units)."""
    hidden = _undrawn_tick_labels(fig)
    out = []
    for artist in fig.findobj(Text):
        if artist.get_visible() and artist.get_text().strip() and id(artist) not in hidden:
            out.append((artist.get_text(), artist.get_window_extent()))
    return out


def _undrawn_tick_labels(fig: Figure) -> set[int]:
    """Tick labels matplotlib keeps but does not draw (their tick outside the axis limits)."""
    hidden = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            span = (high - low) * 1e-6
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - span <= tick.get_loc() <= high + span:
                    hidden |= {id(tick.label1), id(tick.label2)}
    return hidden


def overlapping_texts(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap, and texts that run off the figure (paired with 'figure edge')."""
    boxes = text_boxes(fig)
    bad = [
        (a, "figure edge")
        for a, box in boxes
        if not fig.bbox.contains(box.x0, box.y0) or not fig.bbox.contains(box.x1, box.y1)
    ]
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            if box_a.overlaps(box_b):
                bad.append((a, b))
    return bad
