"""The committee report: one self-contained HTML page for the home LA, from published figures only.

Every number comes from ``marts.published_indicator_values`` and ``marts.published_indicator_benchmarks``
(after statistical disclosure control: a suppressed figure shows as ``c``); the Ofsted judgements come from
``marts.inspection_judgements`` (Ofsted's published judgements) and each inspection's overall grade from
``marts.inspection_overall_judgements`` (the warehouse's one definition of the grade that stands for the LA).
No child-level table is read. Charts are drawn by matplotlib as inline SVG (``report_charts``); every chart
and table names its sources by publication and date (``report_sources``, from what was loaded). The page has
no scripts, fonts, images or styles from elsewhere, so it opens on a laptop offline and prints as it shows.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import duckdb

from pipelines.lib.outputs.report_charts import PALETTE, Chart, Series, format_number
from pipelines.lib.outputs.report_sources import loaded_files, name_sources

ENGLAND = "E92000001"
GRADE_TICKS = {1.0: "Outstanding", 2.0: "Good", 3.0: "Adequate / Requires improvement", 4.0: "Inadequate"}
GRADE_WORDS = {1: "Outstanding", 2: "Good", 3: "Adequate / Requires improvement (to be good)", 4: "Inadequate"}
FRAMEWORK_STYLE = {"SLAC": ("#7030a0", "s"), "CP": ("#bf8f00", "D"), "SIF": ("#c55a11", "^"), "ILACS": ("#1f4e79", "o")}
# the frameworks whose latest inspection the record of main findings gives (issue 16): the full inspections of the
# LA's children's services, not the CP or TLAC thematic inspections
FINDINGS_FRAMEWORKS = ("SLAC", "SIF", "ILACS")
RAG_COLOURS = {"green": "#2e7d32", "amber": "#ef6c00", "red": "#c62828"}
ADOPTION = [
    ("adoption_a1_days", "A1"),
    ("adoption_a2_days", "A2"),
    ("adoption_a10_days", "A10"),
    ("adoption_a3_pct", "A3"),
]
SCHOOLS = ["absence_persistent_rate", "absence_persistent_rate_15pct", "exclusions_suspension_rate"]
AUDIT_GRADES = ["case_audits_good_or_better_pct", "case_audits_inadequate_pct"]
AUDIT_ACTIONS = ["case_audit_actions_on_time_pct"]


@dataclass
class Report:
    """The rendered page and what is in it."""

    home_la: str
    la_name: str
    refreshed: dt.datetime
    region_name: str
    charts: list[Chart]
    summary: list[dict]
    html: str = ""
    sections: list[tuple[str, str, list[Chart]]] = field(default_factory=list)
    findings: list[list[str]] = field(default_factory=list)  # record of main findings, header row first
    findings_source: str = ""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence | None = None) -> list[dict]:
    cursor = con.execute(sql, list(params or []))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def unit_label(unit: str | None, domain: str | None = "") -> str:
    """The unit a value is in, as the page prints it."""
    if unit == "rate per 100":
        return "per 100 pupils" if "school" in (domain or "").lower() else "per 100"
    return {"%": "%", "days": "days", "count": "number", "grade": "grade"}.get(unit or "", unit or "")


def _cell(value: float | None, status: str | None, unit: str | None = None) -> str:
    """A figure as the tables show it (its unit in the column heading; '%' written): the value, or its
    status symbol ('c' suppressed), or blank."""
    if value is None:
        return status or ""
    text = format_number(round(value, 2))
    return text + ("%" if unit == "%" else "")


class ReportData:
    """Published figures for the home LA and its comparators, read once from the warehouse."""

    def __init__(self, con: duckdb.DuckDBPyConnection, home_la: str):
        self.home_la = home_la
        self.catalogue = {r["indicator_code"]: r for r in _rows(con, "select * from marts.indicator_catalogue")}
        la = _rows(
            con, "select la_name, region_code, region_name from marts.dim_local_authority where la_code = ?", [home_la]
        )
        self.la_name = la[0]["la_name"] if la else home_la
        self.region_code = la[0]["region_code"] if la else None
        self.region_name = (la[0]["region_name"] if la else None) or "Region"
        self.values = _rows(
            con,
            """
            select indicator_code, area_code, geography_level, la_code, time_period, period_label, breakdown,
                   value, status_symbol, source_file
            from marts.published_indicator_values
            where breakdown = 'Total' and (la_code = ? or area_code = ? or area_code = ?)
            order by indicator_code, time_period""",
            [home_la, ENGLAND, self.region_code or ""],
        )
        self.benchmarks = _rows(
            con,
            """
            select * from marts.published_indicator_benchmarks
            where la_code = ? and breakdown = 'Total'
            order by indicator_code, time_period""",
            [home_la],
        )
        self.judgements = _rows(
            con,
            """
            select * from marts.inspection_judgements where la_code = ?
            order by publication_date, inspection_id, source_row_number""",
            [home_la],
        )
        self.overall = _rows(
            con,
            """
            select * from marts.inspection_overall_judgements where la_code = ?
            order by publication_date, inspection_id""",
            [home_la],
        )
        self.files = loaded_files(con)

    def series(self, code: str, area: str) -> dict[int, dict]:
        """time_period -> row, for the home LA ('home'), England or the region."""
        out = {}
        for row in self.values:
            if row["indicator_code"] != code:
                continue
            if (
                (area == "home" and row["la_code"] == self.home_la and row["geography_level"] == "local_authority")
                or (area == "england" and row["area_code"] == ENGLAND)
                or (area == "region" and row["area_code"] == self.region_code)
            ):
                out[row["time_period"]] = row
        return out

    def bench(self, code: str) -> dict[int, dict]:
        return {r["time_period"]: r for r in self.benchmarks if r["indicator_code"] == code}

    def periods(self, codes: Sequence[str]) -> list[tuple[int, str]]:
        """(time_period, label) with a home LA row for any of the codes, in order."""
        seen = {}
        for row in self.values:
            if row["indicator_code"] in codes and row["la_code"] == self.home_la:
                seen[row["time_period"]] = row["period_label"]
        return sorted(seen.items())

    def sources(self, rows: Sequence[dict], codes: Sequence[str]) -> list[str]:
        """The publications behind the rows drawn, by title and date (never folder or table names)."""
        out: list[str] = []
        for code in dict.fromkeys(codes):
            source = (self.catalogue.get(code) or {}).get("source") or ""
            mine = [
                r
                if "time_period" in r
                else {
                    **r,
                    "time_period": int(f"{r['publication_date']:%Y%m}"),
                    "period_label": f"{r['publication_date']:%B %Y}",
                }
                for r in rows
                if r.get("indicator_code", code) == code
            ]
            out += [name for name in name_sources(mine, source, self.files) if name not in out]
        return out


def _val(row: dict | None) -> float | None:
    return None if row is None else row["value"]


def caption(sources: Sequence[str], refreshed: dt.datetime, published: bool = True) -> str:
    """The chart's or table's source line and its refresh date (on a line of its own)."""
    text = "Source: " + ("; ".join(sources) or "no figures loaded") + "."
    if published:
        text += " Published figures, after disclosure control (c: suppressed)."
    return f"{text}\nRefreshed {refreshed:%d %B %Y}."


def _drawn(*series: dict[int, dict]) -> list[dict]:
    return [row for rows in series for row in rows.values()]


def inspections(data: ReportData) -> list[dict]:
    """One row per inspection of the home LA: framework, dates, and its overall effectiveness grade, as the
    warehouse publishes it (``marts.inspection_overall_judgements``: the grade is never worked out here)."""
    return sorted(
        ({**row, "grade_rank": row["overall_grade_rank"]} for row in data.overall),
        key=lambda r: (r["publication_date"], r["inspection_id"]),
    )


def ofsted_chart(data: ReportData, refreshed: dt.datetime) -> Chart:
    """Each inspection's overall effectiveness as a point, one series per framework: no line joins grades
    given under different frameworks (their scales and standards differ)."""
    found = inspections(data)
    frameworks = list(dict.fromkeys(r["framework"] for r in found))
    xs = [r["publication_date"].year + (r["publication_date"].timetuple().tm_yday - 0.5) / 366 for r in found]
    series = []
    for framework in frameworks:
        colour, marker = FRAMEWORK_STYLE.get(framework, (PALETTE["third"], "v"))
        series.append(
            Series(
                framework,
                [float(r["grade_rank"]) if r["framework"] == framework else None for r in found],
                colour=colour,
                marker=marker,
                line=False,
            )
        )
    years = range(int(min(xs)) if xs else 2009, (int(max(xs)) + 2) if xs else 2026)
    step = max(1, len(years) // 8)
    chart = Chart(
        key="ofsted",
        title=f"Ofsted overall effectiveness, {data.la_name}, every inspection",
        x_labels=[f"{r['publication_date']:%Y-%m}" for r in found],
        x_values=xs,
        x_tick_labels={float(y): str(y) for y in list(years)[::step]},
        series=series,
        y_ticks=GRADE_TICKS,
        y_range=(0.6, 4.4),
        invert_y=True,
        y_label="grade (published)",
        caption=caption(data.sources(found, ["ofsted_overall_grade_rank"]), refreshed, published=False),
        note="One point per inspection, dated by publication; one marker per framework, not joined: SLAC "
        "(2009-12, grade 3 Adequate; the worse of its two overall judgements), CP (2012-13), SIF (2013-17, "
        "Requires improvement), ILACS (from 2018, Requires improvement to be good).",
    )
    chart.table = [["Published", "Framework", "Inspection", "Overall effectiveness (grade)"]] + [
        [
            f"{r['publication_date']:%d %B %Y}",
            r["framework"],
            r.get("inspection_type") or "",
            GRADE_WORDS.get(r["grade_rank"], ""),
        ]
        for r in found
    ]
    return chart


def _findings_order(row: dict) -> tuple:
    """Judgements in the order Ofsted prints them: by the source's row, overall effectiveness first, then the
    whole-service judgements; then ``judgement_order`` where the mart gives one (the column order of Ofsted's
    workbook), else by service and judgement area."""
    judgement = (row.get("judgement_area") or "").lower()
    return (
        row.get("source_row_number") or 0,
        judgement != "overall effectiveness",
        (row.get("service_area") or "") != "Overall",
        row.get("judgement_order") or 0,
        row.get("service_area") or "",
        judgement,
    )


def main_findings(data: ReportData, refreshed: dt.datetime) -> tuple[list[list[str]], str]:
    """The record of main findings of the home LA's latest SLAC, SIF and ILACS inspections: every judgement
    area and its grade as Ofsted published it, and the table's source line."""
    latest: dict[str, str] = {}
    for row in data.judgements:
        if row.get("grade_label") and row["framework"] in FINDINGS_FRAMEWORKS:
            latest[row["framework"]] = row["inspection_id"]  # ordered by publication date: the last wins
    rows = [r for r in data.judgements if r["inspection_id"] in latest.values() and r.get("grade_label")]
    table = [["Inspection", "Service area", "Judgement", "Grade"]]
    for inspection_id in sorted(
        set(latest.values()), key=lambda i: min(r["publication_date"] for r in rows if r["inspection_id"] == i)
    ):
        mine = sorted((r for r in rows if r["inspection_id"] == inspection_id), key=_findings_order)
        first = mine[0]
        heading = f"{first['framework']}, published {first['publication_date']:%d %B %Y}"
        for row in mine:
            table.append([heading, row.get("service_area") or "", row["judgement_area"], row["grade_label"]])
            heading = ""
    return table, caption(data.sources(rows, ["ofsted_overall_grade_rank"]), refreshed, published=False)


def adoption_charts(data: ReportData, refreshed: dt.datetime) -> list[Chart]:
    charts = []
    for code, short in ADOPTION:
        home, england, bench = data.series(code, "home"), data.series(code, "england"), data.bench(code)
        periods = sorted(set(home) | set(england))
        labels = [(home.get(tp) or england.get(tp))["period_label"] for tp in periods]
        entry = data.catalogue.get(code) or {}
        unit = unit_label(entry.get("unit"), entry.get("domain"))
        series = [
            Series(
                data.la_name,
                [_val(home.get(tp)) for tp in periods],
                colour=PALETTE["home"],
                marker_colours=[RAG_COLOURS.get((bench.get(tp) or {}).get("rag")) for tp in periods],
            ),
            Series("England", [_val(england.get(tp)) for tp in periods], colour=PALETTE["england"], dash="dashed"),
        ]
        thresholds = [(bench.get(tp) or {}).get("threshold") for tp in periods]
        if any(t is not None for t in thresholds):
            series.append(
                Series(
                    "Threshold",
                    thresholds,
                    colour=PALETTE["threshold"],
                    dash="fine",
                    width=1.5,
                    markers=False,
                    step=True,
                )
            )
        chart = Chart(
            key=f"adoption_{short.lower()}",
            title=entry.get("title", code).replace("Adoption scorecard ", ""),
            x_labels=labels,
            series=series,
            y_label="average days" if unit == "days" else "% of children adopted",
            caption=caption(data.sources(_drawn(home, england), [code]), refreshed),
            note=(
                "Three-year periods (April to March). Markers: green meets the threshold, red does not."
                if len(series) == 3
                else "Three-year periods (April to March). A3 has no target: its threshold "
                "(months) defines the percentage."
            ),
        )
        chart.table = [["Period", f"{data.la_name} ({unit})", f"England ({unit})", f"Threshold ({unit})", "RAG"]] + [
            [
                lab,
                _cell(_val(home.get(tp)), (home.get(tp) or {}).get("status_symbol")),
                _cell(_val(england.get(tp)), (england.get(tp) or {}).get("status_symbol")),
                _cell((bench.get(tp) or {}).get("threshold"), None),
                (bench.get(tp) or {}).get("rag") or "",
            ]
            for tp, lab in zip(periods, labels)
        ]
        charts.append(chart)
    return charts


def _rank(bench: dict) -> str:
    """'5 of 152', or why there is no rank (the benchmark's rank_note, where the warehouse gives one)."""
    if bench.get("rank"):
        return f"{bench['rank']} of {bench['rank_of']}"
    return bench.get("rank_note") or ""  # rank_note: added to the benchmarks by issue 16 (guarded)


def comparator_chart(data: ReportData, code: str, refreshed: dt.datetime, key: str) -> Chart | None:
    home, england, region, bench = (
        data.series(code, "home"),
        data.series(code, "england"),
        data.series(code, "region"),
        data.bench(code),
    )
    # the years the LA has a figure for (a suppressed one included); none: no chart
    periods = sorted(tp for tp, row in home.items() if row["value"] is not None or row["status_symbol"] == "c")
    if not periods:
        return None
    labels = [home[tp]["period_label"] for tp in periods]
    entry = data.catalogue.get(code) or {}
    unit = unit_label(entry.get("unit"), entry.get("domain"))
    chart = Chart(
        key=key,
        title=f"{entry.get('title', code)}: {data.la_name} and its comparators",
        x_labels=labels,
        series=[
            Series(data.la_name, [_val(home.get(tp)) for tp in periods], colour=PALETTE["home"]),
            Series("England", [_val(england.get(tp)) for tp in periods], colour=PALETTE["england"], dash="dashed"),
            Series(data.region_name, [_val(region.get(tp)) for tp in periods], colour=PALETTE["region"], dash="dotted"),
            Series(
                "Statistical neighbours (mean)",
                [(bench.get(tp) or {}).get("sn_mean") for tp in periods],
                colour=PALETTE["neighbours"],
                dash="dashdot",
            ),
        ],
        y_label=unit if unit != "%" else "% of pupils",
        caption=caption(
            data.sources(
                _drawn(
                    {tp: home[tp] for tp in periods},
                    {tp: england[tp] for tp in periods if tp in england},
                    {tp: region[tp] for tp in periods if tp in region},
                ),
                [code],
            ),
            refreshed,
        ),
        note="All schools (breakdown Total). Neighbours: the DfE statistical neighbours with a published value "
        "(model and count in the table).",
    )
    chart.table = _comparator_table(data, unit, periods, labels, (home, england, region, bench))
    return chart


def _comparator_table(data: ReportData, unit: str, periods: list, labels: list[str], serieses: tuple) -> list[list]:
    """The comparator chart's table: a row per year, the LA, England, region, neighbours, rank and quartile."""
    home, england, region, bench = serieses
    return [
        [
            "Year",
            f"{data.la_name} ({unit})",
            f"England ({unit})",
            f"{data.region_name} ({unit})",
            f"Neighbours mean ({unit}; n, model)",
            "Rank (of LAs)",
            "Quartile",
        ]
    ] + [
        [
            lab,
            _cell(_val(home.get(tp)), (home.get(tp) or {}).get("status_symbol")),
            _cell(_val(england.get(tp)), (england.get(tp) or {}).get("status_symbol")),
            _cell(_val(region.get(tp)), (region.get(tp) or {}).get("status_symbol")),
            (
                f"{_cell((bench.get(tp) or {}).get('sn_mean'), None)} "
                f"({(bench.get(tp) or {}).get('sn_count', 0)}, {(bench.get(tp) or {}).get('sn_model') or '-'})"
            ),
            _rank(bench.get(tp) or {}),
            (bench.get(tp) or {}).get("quartile_band") or "",
        ]
        for tp, lab in zip(periods, labels)
    ]


def monthly_chart(data: ReportData, codes: Sequence[str], key: str, title: str, refreshed: dt.datetime) -> Chart:
    periods = data.periods(codes)
    colours = [PALETTE["home"], PALETTE["threshold"], PALETTE["neighbours"]]
    series, columns = [], []
    for code, colour in zip(codes, colours):
        home = data.series(code, "home")
        name = (data.catalogue.get(code) or {}).get("title", code)
        series.append(Series(name, [_val(home.get(tp)) for tp, _ in periods], colour=colour))
        columns.append(home)
    drawn = [row for col in columns for row in col.values()]
    chart = Chart(
        key=key,
        title=f"{title}, {data.la_name}, by month",
        x_labels=[lab for _, lab in periods],
        series=series,
        y_label="% of audits" if key == "audit_grades" else "% of actions due",
        y_range=(0, 100),
        caption=caption(data.sources(drawn, codes), refreshed),
        note="All teams (breakdown Total); the benchmarks workbook has them by team.",
    )
    chart.table = [["Month"] + [f"{s.name} (%)" for s in series]] + [
        [lab] + [_cell(_val(col.get(tp)), (col.get(tp) or {}).get("status_symbol")) for col in columns]
        for tp, lab in periods
    ]
    return chart


def summary_rows(data: ReportData) -> list[dict]:
    """The latest published benchmark of each indicator the home LA has (breakdown Total)."""
    latest: dict[str, dict] = {}
    for row in data.benchmarks:  # ordered by time_period: the last with a figure (or suppressed) wins
        if row["value"] is not None or row["status_symbol"] == "c" or row["indicator_code"] not in latest:
            latest[row["indicator_code"]] = row
    out = []
    for code, row in sorted(
        latest.items(), key=lambda kv: ((data.catalogue.get(kv[0]) or {}).get("domain", ""), kv[0])
    ):
        unit, domain = row.get("unit"), (data.catalogue.get(code) or {}).get("domain", "")
        out.append(
            {
                "domain": domain,
                "indicator": row.get("title") or code,
                "unit": unit_label(unit, domain),
                "period": row.get("period_label"),
                "value": (
                    GRADE_TICKS.get(row.get("value"), "")
                    if unit == "grade" and row.get("value") is not None
                    else _cell(row.get("value"), row.get("status_symbol"), unit)
                ),
                "england": _cell(row.get("england_value"), None, unit),
                "region": _cell(row.get("region_value"), None, unit),
                "neighbours": (
                    f"{_cell(row.get('sn_mean'), None, unit)} / "
                    f"{_cell(row.get('sn_median'), None, unit)} ({row.get('sn_count')})"
                    if row.get("sn_count")
                    else ""
                ),
                "rank": _rank(row),
                "band": row.get("quartile_band") or "",
                "threshold": _cell(row.get("threshold"), None, unit),
                "rag": row.get("rag") or "",
                "polarity": row.get("polarity") or "",
            }
        )
    return out


CSS = """
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; color: #222; margin: 24px auto;
  max-width: 1000px; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 2px solid #1f4e79; }
.meta { color: #555; } figure { margin: 16px 0 24px 0; } figure svg { width: 100%; max-width: 820px; height: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
table.summary td:nth-child(2) { min-width: 13em; }
table.summary td:nth-child(4), table.summary td:nth-child(9) { white-space: nowrap; }
th, td { border: 1px solid #ccc; padding: 3px 6px; }
th { background: #f0f4f8; text-align: left; } td.num { text-align: right; }
.rag-green { background: #c8e6c9; } .rag-red { background: #ffcdd2; } .rag-amber { background: #ffe0b2; }
details summary { cursor: pointer; color: #1f4e79; } .note { font-size: 13px; color: #444; }
.source { font-size: 12px; color: #555; white-space: pre-line; } table.findings td:first-child { font-weight: bold; }
@media print { details { display: block; } h2 { page-break-before: auto; } figure { page-break-inside: avoid; } }
"""


def _table(rows: list[list[str]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{escape(str(h))}</th>" for h in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _findings(report: Report) -> str:
    """The record of main findings as a table, with its source line."""
    if len(report.findings) < 2:
        return '<p class="note">No graded inspection of the LA has been loaded.</p>'
    table = _table(report.findings).replace("<table>", '<table class="findings">', 1)
    return (
        f"<h3>Record of main findings: {escape(report.la_name)}, latest SLAC, SIF and ILACS inspections</h3>"
        f"{table}"
        f'<p class="source">{escape(report.findings_source)}</p>'
    )


def _figure(chart: Chart) -> str:
    return (
        f'<figure class="chart" id="chart-{escape(chart.key)}" data-chart="{escape(chart.key)}">'
        f"{chart.svg()}"
        f"<details><summary>Figures behind the chart</summary>{_table(chart.table)}</details></figure>"
    )


def _summary_rows(report: Report) -> tuple[list[str], list[str]]:
    """The summary table's header cells and its rows as HTML, one per indicator, the RAG cell coloured."""
    summary_head = [
        "Domain",
        "Indicator (polarity)",
        "Unit",
        "Period",
        report.la_name,
        "England",
        report.region_name,
        "Neighbours mean / median (n)",
        "Rank",
        "Quartile",
        "Threshold",
        "RAG",
    ]
    summary_body = []
    for row in report.summary:
        rag = row["rag"]
        indicator = f"{row['indicator']} ({row['polarity']})" if row["polarity"] else row["indicator"]
        cells = [
            row["domain"],
            indicator,
            row["unit"],
            row["period"],
            row["value"],
            row["england"],
            row["region"],
            row["neighbours"],
            row["rank"],
            row["band"],
            row["threshold"],
            rag,
        ]
        summary_body.append(
            "<tr>"
            + "".join(
                f'<td class="{"rag-" + rag if i == 11 and rag else ""}">{escape(str(c))}</td>'
                for i, c in enumerate(cells)
            )
            + "</tr>"
        )
    return summary_head, summary_body


def render_html(report: Report) -> str:
    summary_head, summary_body = _summary_rows(report)
    sections = []
    for title, intro, charts in report.sections:
        sections.append(
            f'<h2>{escape(title)}</h2><p class="note">{escape(intro)}</p>'
            + "".join(_figure(c) for c in charts)
            + (_findings(report) if charts and charts[0].key == "ofsted" else "")
        )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Children's services performance report: {escape(report.la_name)}</title>
<style>{CSS}</style>
</head>
<body>
<h1>Children's services performance: {escape(report.la_name)} ({escape(report.home_la)})</h1>
<p class="meta">Refreshed {report.refreshed:%d %B %Y %H:%M}. Figures are the warehouse's published figures after
statistical disclosure control: <b>c</b> marks a figure suppressed because it concerns few children (counts of
1 to 5, rates over 10 or fewer, and figures that would let them be worked out). Charts leave a gap there.</p>
<h2>Latest position</h2>
<p class="note">Each indicator's latest period (all schools, teams or children: breakdown Total). Rank: 1 is
best by the indicator's polarity, ties share the lower rank; quartile A is the best quarter of LAs, D the worst;
neighbours: the DfE statistical neighbours with a published value (the model in force for the period, named
in each chart's table). Where there is no rank, the reason is given. RAG: green meets the threshold, red does
not. Each figure is in the unit of its Unit column.</p>
<table class="summary"><thead><tr>{"".join(f"<th>{escape(h)}</th>" for h in summary_head)}</tr></thead>
<tbody>{"".join(summary_body)}</tbody></table>
{"".join(sections)}
<h2>About these figures</h2>
<p class="note">Definitions of every indicator: marts.indicator_catalogue in the published warehouse, and the
dbt docs. Benchmarks: marts.published_indicator_benchmarks. The same benchmarks for Excel: the benchmarks
workbook beside this report. This page uses no child-level data.</p>
</body>
</html>
"""


def build_report(con: duckdb.DuckDBPyConnection, home_la: str, refreshed: dt.datetime) -> Report:
    """Read the published figures and lay out the report (charts, summary, HTML)."""
    data = ReportData(con, home_la)
    ofsted = [ofsted_chart(data, refreshed)]
    adoption = adoption_charts(data, refreshed)
    schools = [c for c in (comparator_chart(data, code, refreshed, f"schools_{code}") for code in SCHOOLS) if c]
    audits = [
        monthly_chart(data, AUDIT_GRADES, "audit_grades", "Case-file audit grades", refreshed),
        monthly_chart(data, AUDIT_ACTIONS, "audit_actions", "Audit actions completed on time", refreshed),
    ]
    report = Report(
        home_la=home_la,
        la_name=data.la_name,
        refreshed=refreshed,
        region_name=data.region_name,
        charts=ofsted + adoption + schools + audits,
        summary=summary_rows(data),
    )
    report.findings, report.findings_source = main_findings(data, refreshed)
    report.sections = [
        (
            "Ofsted inspections",
            "Overall effectiveness of every inspection of the LA's children's services, "
            "dated by publication, one marker per framework (SLAC, CP, SIF, ILACS): grades under different "
            "frameworks are not a trend, so no line joins them. Below, the record of main findings of the latest "
            "SLAC, SIF and ILACS inspections.",
            ofsted,
        ),
        (
            "Adoption scorecard",
            "A1, A2 and A10 (average days, lower is better) against the threshold of the "
            "period and England; A3 (higher is better) against England.",
            adoption,
        ),
        (
            "School attendance and suspensions",
            "Persistent absence and suspension rates against England, the "
            "region and the statistical neighbours, by academic year.",
            schools,
        ),
        ("Case-file audits", "Audit grades and actions completed on time, by month.", audits),
    ]
    report.html = render_html(report)
    return report


def write_report(
    work_db: Path, home_la: str, out_dir: Path, refreshed: dt.datetime | None = None
) -> tuple[Report, Path]:
    """Build the report from the warehouse (opened read-only) and write it atomically to out_dir."""
    refreshed = refreshed or dt.datetime.now()
    con = duckdb.connect(str(work_db), read_only=True)
    try:
        report = build_report(con, home_la, refreshed)
    finally:
        con.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"committee_report_{home_la}.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(report.html, encoding="utf-8")
    os.replace(tmp, path)
    return report, path
