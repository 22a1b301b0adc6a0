"""End to end, one refresh of the whole sample: benchmarks, disclosure control, the committee report (also in
headless Chromium), the benchmarks workbook and the dbt docs.

The benchmarks are checked row by row against an independent re-computation in Python from
marts.indicator_values; the published values against the disclosure rules, including that no suppressed
figure can be worked out by subtraction; the report and workbook for child identifiers.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shutil
import statistics
import subprocess
import zipfile
from collections import defaultdict
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from openpyxl import load_workbook

from pipelines.cli import run_refresh
from pipelines.defs.reports import DOCS_KEY, REPORT_KEY, WORKBOOK_KEY
from pipelines.lib.outputs.committee_report import build_report
from pipelines.lib.outputs.report_charts import overlapping_texts
from tests.conftest import REPO_ROOT, copy_sample

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=10000",
]
SOURCES = ("ofsted", "case_audits", "school_absence", "school_exclusions", "ssda903", "adoption_scorecards")


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """The whole sample refreshed once (home LA 865); yields (data folder, Dagster instance)."""
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("indicators")
    raw, data = root / "raw", root / "data"
    copy_sample(raw, *SOURCES)  # with the sample's manifest: its child-level files need no key
    mp.setenv("CSW_RAW_DIR", str(raw))
    mp.setenv("CSW_DATA_DIR", str(data))
    mp.setenv("CSW_HOME_LA", "865")
    mp.delenv("DAGSTER_HOME", raising=False)
    mp.delenv("CSW_PSEUDONYM_KEY", raising=False)
    instance = dg.DagsterInstance.ephemeral()
    status = run_refresh(instance=instance, full=True)
    assert status == 0, "the sample refresh failed: " + "\n".join(
        p.read_text()[-3000:] for p in sorted((data / "logs").glob("refresh-*.log"))
    )
    yield data, instance
    mp.undo()


@pytest.fixture(scope="module")
def db(refreshed):
    con = duckdb.connect(str(refreshed[0] / "children_services.duckdb"), read_only=True)
    yield con
    con.close()


def rows(con, sql: str, params=None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


@pytest.fixture(scope="module")
def child_keys(db) -> set[str]:
    keys = {
        r[0]
        for r in db.execute(
            "select child_key from marts.case_audits union select child_key from marts.adoption_journeys"
        ).fetchall()
    }
    assert len(keys) > 100
    return keys


# ---------------------------------------------------------------- benchmarks

MIN_LAS_FOR_RANK = 100  # the contract: ranks and quartiles only among at least 100 LAs with a value


def period_end(time_period: int, period_label: str) -> dt.date:
    if time_period < 10000:
        return dt.date(time_period, 3, 31)
    if "/" in period_label:
        return dt.date(time_period // 100 + 1, 8, 31)
    year, month = divmod(time_period, 100)
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def model_for(la: str, end_year: int, models_of: dict[str, set[int]], loaded: set[int]) -> str | None:
    """The model in force (latest no later than the end year, else the earliest loaded), else the LA's nearest."""
    if not models_of.get(la):
        return None
    in_force = max((m for m in loaded if m <= end_year), default=min(loaded))
    return str(min(models_of[la], key=lambda m: (abs(m - in_force), -m)))


def model_shown(model: str | None, end_year: int, loaded: set[int]) -> str | None:
    """sn_model as the table names it: the earliest model, used for a period before every model, says so."""
    if model is not None and all(m > end_year for m in loaded) and int(model) == min(loaded):
        return f"{model} (earliest loaded; none in force for the period)"
    return model


def mapped_value(rows_: list[dict], unit: str, whole: list[bool]):
    """A reorganised LA's figure from the LAs it was reorganised from or into (macros/indicator_benchmarks.sql)."""
    if len(rows_) == 1:
        return rows_[0]["value"] if unit != "count" or all(whole) else None
    if unit in ("count", "grade"):
        return None
    if all(r["numerator"] is not None and r["denominator"] is not None for r in rows_):
        den = sum(r["denominator"] for r in rows_)
        if den > 0:
            return sum(r["numerator"] for r in rows_) / den * (100 if unit in ("%", "rate per 100") else 1)
    return None


def expected_benchmarks(con) -> dict[tuple, dict]:
    """The benchmark statistics re-computed in plain Python from indicator_values and the dimensions."""
    catalogue = {r["indicator_code"]: r for r in rows(con, "select * from marts.indicator_catalogue")}
    region_of = dict(con.execute("select la_code, region_code from marts.dim_local_authority").fetchall())
    neighbours = defaultdict(list)
    models_of: dict[str, set[int]] = defaultdict(set)
    for la, nb, model in con.execute(
        "select la_code, neighbour_la_code, sn_model from marts.dim_statistical_neighbours"
    ).fetchall():
        neighbours[(la, model)].append(nb)
        models_of[la].add(int(model[:4]))
    loaded = {m for ms in models_of.values() for m in ms}
    edges = defaultdict(list)  # target LA -> (source LA, change date, target before the change, whole area)
    for p, s, change, whole in con.execute(
        "select predecessor_la_code, successor_la_code, change_date, whole_area from marts.la_successions "
        "where stands_for_successor"
    ).fetchall():
        edges[s].append((p, change, True, whole))
        edges[p].append((s, change, False, whole))
    values = rows(con, "select * from marts.indicator_values")
    area_value = {(v["indicator_code"], v["area_code"], v["time_period"], v["breakdown"]): v["value"] for v in values}
    la_values = [v for v in values if v["geography_level"] == "local_authority"]
    la_row = {(v["indicator_code"], v["la_code"], v["time_period"], v["breakdown"]): v for v in la_values}
    by_cell = defaultdict(list)
    for v in la_values:
        if v["value"] is not None:
            by_cell[(v["indicator_code"], v["time_period"], v["breakdown"])].append(v["value"])

    def neighbour_figure(code, nb, tp, bd, end):
        """(source key, value) of one neighbour: its own row, else its reorganised predecessors' / successors'."""
        own = la_row.get((code, nb, tp, bd))
        if own is not None:
            return nb, own["value"]
        if catalogue[code]["unit"] == "grade" or catalogue[code]["domain"] == "Inspection":
            return None, None  # an LA's own judgement is never another's
        found = [
            (src, whole)
            for src, change, before, whole in edges.get(nb, [])
            if (end < change) == before and (code, src, tp, bd) in la_row
        ]
        if not found:
            return None, None
        sources = sorted(src for src, _ in found)
        value = mapped_value(
            [la_row[(code, src, tp, bd)] for src in sources], catalogue[code]["unit"], [whole for _, whole in found]
        )
        return "+".join(sources), value

    out = {}
    for v in la_values:
        code, la, tp, bd, value = v["indicator_code"], v["la_code"], v["time_period"], v["breakdown"], v["value"]
        end = period_end(tp, v["period_label"])
        model = model_for(la, end.year, models_of, loaded)
        figures = {}
        for nb in neighbours.get((la, model), []):
            key, figure = neighbour_figure(code, nb, tp, bd, end)
            if key is not None and figure is not None and la not in key.split("+"):
                figures[key] = figure
        nvals = list(figures.values())
        cell = by_cell[(code, tp, bd)]
        entry = catalogue[code]
        rank = None
        rankable = (
            entry["unit"] != "count"
            and not entry["not_ranked_because"]
            and entry["polarity"] != "no polarity"
            and len(cell) >= MIN_LAS_FOR_RANK
        )
        if value is not None and rankable:
            better = [x for x in cell if (x < value if entry["polarity"] == "lower is better" else x > value)]
            rank = len(better) + 1
        band = "ABCD"[math.ceil(4 * rank / len(cell)) - 1] if rank else None
        out[(code, la, tp, bd)] = {
            "england_value": area_value.get((code, "E92000001", tp, bd)),
            "region_value": area_value.get((code, region_of.get(la), tp, bd)),
            "sn_mean": sum(nvals) / len(nvals) if nvals else None,  # the table rounds to 4 decimals
            "sn_median": statistics.median(nvals) if nvals else None,
            "sn_count": len(nvals),
            "sn_model": model_shown(model, end.year, loaded),
            "rank": rank,
            "rank_of": len(cell),
            "quartile_band": band,
        }
    return out


def test_every_benchmark_matches_an_independent_computation(db):
    expected = expected_benchmarks(db)
    got = rows(db, "select * from marts.indicator_benchmarks")
    assert len(got) == len(expected) > 1000
    mismatches = []
    for row in got:
        want = expected[(row["indicator_code"], row["la_code"], row["time_period"], row["breakdown"])]
        for column, value in want.items():
            have = row[column]
            tolerance = 0.00005 + 1e-9 if column in ("sn_mean", "sn_median") else 1e-9
            same = (
                (have == value)
                if not isinstance(value, float)
                else (have is not None and abs(have - value) <= tolerance)
            )
            if not same:
                mismatches.append((row["indicator_code"], row["la_code"], row["time_period"], column, have, value))
    assert not mismatches, mismatches[:10]


@pytest.mark.parametrize("table", ["indicator_benchmarks", "published_indicator_benchmarks"])
def test_benchmarks_are_stored_in_la_order_for_one_la_queries(db, table):
    stored = [r[0] for r in db.execute(f"select la_code from marts.{table}").fetchall()]  # storage order
    assert len(set(stored)) > 100 and stored == sorted(stored)


def test_wiltshire_suspension_rate_2016_17_benchmarks(db):
    row = rows(
        db,
        "select * from marts.indicator_benchmarks where indicator_code = 'exclusions_suspension_rate' "
        "and la_code = '865' and time_period = 201617 and breakdown = 'Total'",
    )[0]
    assert (row["value"], row["england_value"], row["region_value"]) == (4.15, 4.76, 5.14)
    # all ten 2021-model neighbours: Dorset 838 (created 2019) from the Dorset county 835 of 2016/17; the
    # 2021 model because no older one is loaded; ranked among the 152 LAs with a figure (the sample holds all;
    # 150 after disclosure control, in published_indicator_benchmarks: 64th)
    assert (row["sn_count"], row["sn_model"], row["sn_mapping"]) == (
        10,
        "2021 (earliest loaded; none in force for the period)",
        "838 from 835",
    )
    assert row["sn_model_note"] == "no model for 2017 is loaded: the earliest, 2021, is used"
    assert (row["rank"], row["rank_of"], row["quartile_band"], row["rank_note"]) == (66, 152, "B", None)


def test_no_rank_for_counts_or_among_fewer_than_100_las(db):
    ranked = rows(
        db,
        """
        select b.indicator_code, b.unit, min(b.rank_of) as fewest
        from marts.indicator_benchmarks as b
        where b.rank is not null
        group by all""",
    )
    assert ranked and all(r["unit"] != "count" and r["fewest"] >= 100 for r in ranked), ranked
    unranked = rows(db, "select distinct rank_note from marts.indicator_benchmarks where rank is null")
    assert all(r["rank_note"] for r in unranked)
    # the rates of every LA in the sample are ranked; the home LA's own audits never are (one LA)
    codes = {r["indicator_code"] for r in ranked}
    assert {"exclusions_suspension_rate", "absence_overall_rate", "ofsted_overall_grade_rank"} <= codes
    assert not codes & {"case_audits_good_or_better_pct", "exclusions_permanent", "ofsted_good_or_better_pct"}


def test_ofsted_grades_compared_in_force_at_31_march(db):
    """Wiltshire's ILACS Outstanding (published December 2023) is in force at 31 March 2024 and 2025,
    ranked among every LA with a grade then; its Good of 2019 at 31 March 2020-2023."""
    got = {
        r["time_period"]: r
        for r in rows(
            db,
            """
        select * from marts.indicator_benchmarks
        where indicator_code = 'ofsted_overall_grade_rank' and la_code = '865'""",
        )
    }
    assert got[2024]["value"] == 1 and got[2025]["value"] == 1 and got[2023]["value"] == 2
    assert got[2025]["rank"] == 1 and got[2025]["rank_of"] >= 150
    share = rows(
        db,
        """
        select * from marts.indicator_values
        where indicator_code = 'ofsted_good_or_better_pct' and area_code = 'E92000001' and time_period = 2025""",
    )[0]
    assert share["value"] == round(share["numerator"] / share["denominator"] * 100, 1) and share["denominator"] >= 150


def test_latest_inspection_outcomes_of_current_las_only(db):
    former = db.execute("""
        select count(*) from marts.latest_inspection_outcomes as l
        inner join marts.dim_local_authority as d using (la_code) where not d.is_current""").fetchone()[0]
    assert former == 0
    assert db.execute("select count(*) from marts.latest_inspection_outcomes").fetchone()[0] >= 150


def test_every_missing_value_has_a_status_symbol(db):
    for table in ("indicator_values", "published_indicator_values", "indicator_benchmarks"):
        missing = db.execute(f"select count(*) from marts.{table} where value is null and status_symbol is null")
        assert missing.fetchone()[0] == 0, table


def test_adoption_rag_agrees_with_the_scorecard(db):
    disagree = db.execute("""
        select b.indicator_code, b.time_period, b.rag, s.meets_threshold
        from marts.indicator_benchmarks as b
        inner join marts.adoption_scorecard as s
            on s.la_code = b.la_code and s.period_end_year = b.time_period
            and s.scorecard_code = upper(split_part(b.indicator_code, '_', 2))
        where b.indicator_code like 'adoption_%'
            and coalesce(b.rag, '-')
                != case when s.meets_threshold then 'green' when not s.meets_threshold then 'red' else '-' end
        """).fetchall()
    assert not disagree
    assert (
        db.execute(
            "select count(*) from marts.indicator_benchmarks where rag is not null and la_code = '865'"
        ).fetchone()[0]
        == 14 * 3
    )


# ---------------------------------------------------------------- disclosure control


def family(breakdown: str) -> str | None:
    if breakdown == "Total":
        return None
    return "; ".join(pair.split("=", 1)[0] for pair in breakdown.split("; "))


def test_published_values_hide_small_numbers(db):
    units = dict(db.execute("select indicator_code, unit from marts.indicator_catalogue").fetchall())
    # Ofsted's indicators count LAs from published judgements, never people: no disclosure rule applies
    for row in rows(
        db,
        "select * from marts.published_indicator_values where value is not null and "
        "indicator_code not in (select indicator_code from marts.indicator_catalogue "
        "where domain = 'Inspection')",
    ):
        unit = units[row["indicator_code"]]
        if unit == "count":
            assert not 1 <= row["value"] <= 5, row
        elif unit in ("%", "rate per 100"):
            assert not (row["numerator"] is not None and row["numerator"] <= 5), row
            assert not (row["denominator"] is not None and row["denominator"] <= 10), row
        elif unit == "days":
            assert not (row["denominator"] is not None and row["denominator"] <= 10), row
    leaked = db.execute(
        "select count(*) from marts.published_indicator_values where status_symbol = 'c' and "
        "(value is not null or numerator is not null or denominator is not null)"
    ).fetchone()[0]
    assert leaked == 0


def test_published_values_are_the_warehouse_values_or_suppressed(db):
    changed = db.execute("""
        select count(*) from marts.published_indicator_values as p
        inner join marts.indicator_values as v using (indicator_code, area_code, time_period, breakdown)
        where p.value is not null and p.value is distinct from v.value""").fetchone()[0]
    assert changed == 0
    counts = db.execute(
        "select (select count(*) from marts.indicator_values), (select count(*) from marts.published_indicator_values)"
    ).fetchone()
    assert counts[0] == counts[1]


def test_no_suppressed_value_can_be_recovered_by_subtraction(db):
    """For each indicator x area x period and breakdown family: value, numerator and denominator of a suppressed
    cell are not (Total - the published parts) - there are never exactly one unknown in the sum."""
    cells = defaultdict(dict)
    for row in rows(db, "select * from marts.published_indicator_values"):
        cells[(row["indicator_code"], row["area_code"], row["time_period"])][row["breakdown"]] = row
    recoverable, families = [], 0
    for key, by_breakdown in cells.items():
        total = by_breakdown.get("Total")
        if total is None:
            continue
        parts = defaultdict(list)
        for breakdown, row in by_breakdown.items():
            if family(breakdown):
                parts[family(breakdown)].append(row)
        for fam, members in parts.items():
            families += 1
            for column in ("value", "numerator", "denominator"):
                unknown = [r for r in members if r["status_symbol"] == "c" and r[column] is None]
                total_unknown = total["status_symbol"] == "c" and total[column] is None
                if (
                    len(unknown) + total_unknown == 1
                    and all(r[column] is not None for r in members if r not in unknown)
                    and (total[column] is not None or total_unknown)
                ):
                    recoverable.append((key, fam, column, [r["breakdown"] for r in unknown] or ["Total"]))
    assert families > 50
    assert not recoverable, recoverable[:10]


def test_sample_case_audit_suppression_by_hand(db):
    """April 2012, audits finding a CP plan needed: North 4 and West 2 are suppressed; South 7, Children in care
    0 and the Total 13 are published; 13 - 7 - 0 = 6 is North and West together, neither alone."""
    got = dict(
        db.execute(
            "select breakdown, coalesce(cast(value as varchar), status_symbol) "
            "from marts.published_indicator_values where indicator_code = 'case_audits_cp_plan_needed' "
            "and time_period = 201204"
        ).fetchall()
    )
    assert got == {
        "Total": "13.0",
        "team=Children in care": "0.0",
        "team=North locality": "c",
        "team=South locality": "7.0",
        "team=West locality": "c",
    }


def test_a_count_suppressed_hides_its_linked_rates(db):
    bad = db.execute("""
        select c.indicator_code, r.indicator_code, c.area_code, c.time_period, c.breakdown
        from marts.published_indicator_values as c
        inner join marts.published_indicator_values as r
            using (area_code, time_period, breakdown)
        where c.breakdown != 'Total' and c.status_symbol = 'c' and c.value is null and r.value is not null
            and (c.indicator_code, r.indicator_code) in (
                ('exclusions_permanent', 'exclusions_permanent_rate'),
                ('exclusions_suspensions', 'exclusions_suspension_rate'),
                ('case_audits_completed', 'case_audits_good_or_better_pct'),
                ('case_audits_completed', 'case_audits_inadequate_pct'))""").fetchall()
    assert not bad


# ---------------------------------------------------------------- report, workbook, docs


def report_path(data: Path) -> Path:
    return data / "reports" / "committee_report_865.html"


def test_report_is_written_and_linked_in_the_asset_metadata(refreshed):
    data, instance = refreshed
    html = report_path(data).read_text(encoding="utf-8")
    event = instance.get_latest_materialization_event(REPORT_KEY)
    metadata = event.asset_materialization.metadata
    assert metadata["path"].value == str(report_path(data))
    assert metadata["url"].value == report_path(data).as_uri()
    images = metadata["chart_images"].value
    assert images.count("](data:image/svg+xml;base64,") == metadata["charts"].value == html.count("<svg") >= 9
    assert "Wiltshire" in metadata["latest_position"].value
    assert instance.get_latest_materialization_event(WORKBOOK_KEY) is not None


def test_report_charts_name_source_and_refresh_date(refreshed):
    html = report_path(refreshed[0]).read_text(encoding="utf-8")
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) >= 9
    for svg in svgs:
        assert "Source: " in svg and re.search(r"Refreshed \d{2} \w+ \d{4}", svg), svg[:200]
    for title in (
        "Ofsted overall effectiveness",
        "A1: average days",
        "Persistent absence rate (10% threshold)",
        "Suspension rate",
        "Case-file audit grades",
        "Audit actions completed on time",
    ):
        assert title in html
    assert "<script" not in html.lower() and "<link" not in html.lower() and " src=" not in html.lower()


def test_report_sources_are_publications_and_dates_from_what_was_loaded(refreshed):
    html = report_path(refreshed[0]).read_text(encoding="utf-8")
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.DOTALL)
    # the workbook by its own title; the LA's adoption figures by the years of the returns they were computed from
    for source in (
        "Ofsted, Local authority inspection outcomes as at 31 March 2025",
        "SSDA903 returns of 865, 2008-09 to 2023-24",
        "DfE, Pupil absence in schools in England, 2010/11 to",
        "DfE, Suspensions and permanent exclusions in England",
    ):
        assert source in html, source
    for svg in svgs:
        assert "raw/" not in svg and "marts." not in svg and "/tmp" not in svg and ".csv" not in svg, svg[:300]


def test_report_record_of_main_findings_and_ofsted_points(refreshed):
    con = duckdb.connect(str(refreshed[0] / "work" / "children_services.duckdb"), read_only=True)
    try:
        report = build_report(con, "865", dt.datetime(2026, 1, 5, 8, 0))
        overall = con.execute("""select framework, overall_grade_rank from marts.inspection_overall_judgements
            where la_code = '865' order by publication_date, inspection_id""").fetchall()
    finally:
        con.close()
    findings = {(row[2], row[3]) for row in report.findings[1:]}
    # the sample's SLAC 2012 sub-judgements (judgement records) and its latest ILACS (the workbook)
    assert {
        ("Making a positive contribution", "Outstanding"),
        ("Capacity for improvement", "Adequate"),
        ("The experiences and progress of care leavers", "Outstanding"),
    } <= findings
    assert [r[0] for r in report.findings[1:] if r[0]] == [
        "SLAC, published 24 April 2012",
        "ILACS, published 12 December 2023",
    ]
    ofsted = next(c for c in report.charts if c.key == "ofsted")
    assert [s.name for s in ofsted.series] == ["SLAC", "ILACS"] and not any(s.line for s in ofsted.series)
    # each point is the warehouse's overall grade of the inspection (marts.inspection_overall_judgements)
    assert overall and [
        (s.name, v) for i in range(len(overall)) for s in ofsted.series if (v := s.values[i]) is not None
    ] == [(f, float(g)) for f, g in overall]
    for chart in report.charts:  # the real report's charts: no text drawn over another, none off the figure
        assert not overlapping_texts(chart.figure()), chart.key


def test_no_child_level_data_in_the_report_or_workbook(refreshed, child_keys):
    data = refreshed[0]
    html = report_path(data).read_text(encoding="utf-8")
    with zipfile.ZipFile(data / "reports" / "benchmarks_865.xlsx") as archive:
        xlsx = "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    for text in (html, xlsx):
        assert not [k for k in child_keys if k in text]
    assert "child_key" not in html


def test_workbook_holds_the_published_benchmarks_without_formulas(refreshed, db):
    book = load_workbook(refreshed[0] / "reports" / "benchmarks_865.xlsx")
    assert book.sheetnames == ["Benchmarks", "Indicators", "About"]
    sheet = book["Benchmarks"]
    expected = db.execute("select count(*) from marts.published_indicator_benchmarks where la_code = '865'").fetchone()[
        0
    ]
    assert sheet.max_row - 1 == expected > 100
    assert not [c.coordinate for ws in book.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    header = [c.value for c in sheet[1]]
    assert {"Value", "England", "Region", "Neighbours mean", "Rank", "Quartile band", "RAG"} <= set(header)


def test_dbt_docs_are_generated_into_the_data_folder(refreshed):
    data, instance = refreshed
    index = data / "dbt_docs" / "index.html"
    text = index.read_text(encoding="utf-8")
    for name in (
        "published_indicator_benchmarks",
        "indicator_catalogue",
        "sn_median",
        "quartile_band",
        "Persistent absence rate (10% threshold)",
    ):
        assert name in text, name
    metadata = instance.get_latest_materialization_event(DOCS_KEY).asset_materialization.metadata
    assert metadata["path"].value == str(index) and metadata["models"].value > 30


# ---------------------------------------------------------------- headless Chromium


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120
    )


def test_report_renders_in_headless_chromium_with_its_charts(refreshed, child_keys, tmp_path):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (make test installs Debian's chromium package when run as root)")
    url = report_path(refreshed[0]).as_uri()
    dom = chromium("--window-size=1100,1400", "--dump-dom", url, profile=tmp_path / "profile").stdout
    assert dom.count("<svg") >= 9 and dom.count('class="chart"') >= 9
    for title in (
        "Ofsted overall effectiveness",
        "Adoption",
        "Suspension rate",
        "Case-file audit grades",
        "Record of main findings",
    ):
        assert title in dom
    assert not [k for k in child_keys if k in dom]
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "committee-report.png"
    shot.unlink(missing_ok=True)
    chromium("--window-size=1100,9000", f"--screenshot={shot}", url, profile=tmp_path / "profile")
    assert shot.exists() and shot.stat().st_size > 50_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
