"""The committee report from a small hand-made warehouse: charts, sources, refresh date, published values only."""

import datetime as dt
import hashlib
import re
import zipfile

import duckdb
import pytest
from openpyxl import Workbook

from pipelines.lib.outputs.committee_report import build_report
from pipelines.lib.outputs.report_charts import (
    PALETTE,
    Chart,
    Series,
    overlapping_texts,
    text_boxes,
)
from pipelines.lib.outputs.report_sources import LoadedFile, name_sources, spreadsheet_title

REFRESHED = dt.datetime(2025, 3, 7, 9, 30)
LOADED = dt.datetime(2025, 3, 6, 18, 5)
UNPUBLISHED = 98765.4  # in marts.indicator_values only: suppressed, must never reach the report
WORKBOOK_TITLE = "Local authority inspection outcomes as at 31 March 2025"

JUDGEMENTS = [  # inspection_id, framework, published, service area, judgement area, grade label, rank, file, row
    ("865-SLAC-2009", "SLAC", dt.date(2009, 9, 1), "Safeguarding", "Overall effectiveness", "Good", 2, "csv", 1),
    ("865-SLAC-2012", "SLAC", dt.date(2012, 4, 24), "Safeguarding", "Overall effectiveness", "Inadequate", 4, "csv", 2),
    (
        "865-SLAC-2012",
        "SLAC",
        dt.date(2012, 4, 24),
        "Safeguarding",
        "Capacity for improvement",
        "Adequate",
        3,
        "csv",
        3,
    ),
    (
        "865-SLAC-2012",
        "SLAC",
        dt.date(2012, 4, 24),
        "Looked after children",
        "Overall effectiveness",
        "Adequate",
        3,
        "csv",
        4,
    ),
    (
        "865-SLAC-2012",
        "SLAC",
        dt.date(2012, 4, 24),
        "Looked after children",
        "Economic well-being",
        "Good",
        2,
        "csv",
        5,
    ),
    (
        "865-SIF-2015",
        "SIF",
        dt.date(2015, 6, 2),
        "Overall",
        "Overall effectiveness",
        "Requires improvement",
        3,
        "csv",
        6,
    ),
    ("865-SIF-2015", "SIF", dt.date(2015, 6, 2), "LSCB", "Overall effectiveness", "Inadequate", 4, "csv", 7),
    ("865-SIF-2015", "SIF", dt.date(2015, 6, 2), "Children looked after", "Adoption performance", "Good", 2, "csv", 8),
    ("865-ILACS-2019", "ILACS", dt.date(2019, 7, 22), "Overall", "Overall effectiveness", "Good", 2, "xlsx", 262),
    (
        "865-ILACS-2019",
        "ILACS",
        dt.date(2019, 7, 22),
        "Care leavers",
        "The experiences and progress of care leavers",
        "Good",
        2,
        "xlsx",
        262,
    ),
]

OVERALL = [  # marts.inspection_overall_judgements as the warehouse gives it for JUDGEMENTS: inspection_id,
    # framework, published, grade label, rank, file (SLAC 2012: the worse of its two; SIF 2015: not the LSCB's)
    ("865-SLAC-2009", "SLAC", dt.date(2009, 9, 1), "Good", 2, "csv"),
    ("865-SLAC-2012", "SLAC", dt.date(2012, 4, 24), "Inadequate", 4, "csv"),
    ("865-SIF-2015", "SIF", dt.date(2015, 6, 2), "Requires improvement", 3, "csv"),
    ("865-ILACS-2019", "ILACS", dt.date(2019, 7, 22), "Good", 2, "xlsx"),
]


def write_workbook(path, title: str | None = WORKBOOK_TITLE) -> str:
    book = Workbook()
    book.properties.title = title
    book.active["A1"] = "Cover"
    book.save(path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_warehouse(con: duckdb.DuckDBPyConnection, folder=None, empty: bool = False) -> dict[str, str]:
    """The marts the report reads, and the load log of the files behind them; returns the file paths."""
    files = {
        "xlsx": str(folder / "outcomes.xlsx") if folder else "/nowhere/outcomes.xlsx",
        "csv": "/landing/ofsted/judgement_records.csv",
        "ees": "/landing/school_exclusions/exclusions.csv",
        "audits": "/landing/case_audits/audits.csv",
        "scorecards": "/landing/adoption/scorecards.csv",
    }
    sha = write_workbook(folder / "outcomes.xlsx") if folder else None
    con.execute("create schema marts")
    con.execute("create schema quality")
    con.execute(
        "create table quality.load_log (run_id varchar, file_path varchar, sha256 varchar, source varchar, "
        "status varchar, loaded_at timestamp)"
    )
    for key, source in (
        ("xlsx", "ofsted"),
        ("csv", "ofsted"),
        ("ees", "school_exclusions"),
        ("audits", "case_audits"),
        ("scorecards", "adoption_scorecards"),
    ):
        con.execute(
            "insert into quality.load_log values ('r1', ?, ?, ?, 'loaded', ?)",
            [files[key], sha if key == "xlsx" else "0" * 64, source, LOADED],
        )
    con.execute("""create table marts.indicator_catalogue as select * from (values
        ('ofsted_overall_grade_rank', 'Ofsted overall effectiveness grade', 'Inspection', 'grade', 'lower is better',
         'd', 'Ofsted, Inspection outcomes and reports'),
        ('adoption_a1_days', 'Adoption scorecard A1: days', 'Adoption', 'days', 'lower is better',
         'd', 'DfE, Adoption scorecards; SSDA903 returns'),
        ('adoption_a3_pct', 'Adoption scorecard A3: pct', 'Adoption', '%', 'higher is better',
         'd', 'DfE, Adoption scorecards; SSDA903 returns'),
        ('exclusions_suspension_rate', 'Suspension rate', 'School exclusions', 'rate per 100', 'lower is better',
         'd', 'DfE, Suspensions and permanent exclusions in England'),
        ('case_audits_good_or_better_pct', 'Good or better', 'Case audits', '%', 'higher is better',
         'd', 'Case-file audits of the LA'),
        ('case_audits_inadequate_pct', 'Inadequate', 'Case audits', '%', 'lower is better',
         'd', 'Case-file audits of the LA'),
        ('case_audit_actions_on_time_pct', 'Actions on time', 'Case audits', '%', 'higher is better',
         'd', 'Case-file audits of the LA')
        ) as t(indicator_code, title, domain, unit, polarity, definition, source)""")
    con.execute("""create table marts.dim_local_authority as select * from (values
        ('865', 'Wiltshire', 'E12000009', 'South West')) as t(la_code, la_name, region_code, region_name)""")
    con.execute("""create table marts.inspection_judgements (la_code varchar, inspection_id varchar, framework varchar,
        inspection_type varchar, inspection_start_date date, inspection_end_date date, publication_date date,
        service_area varchar, judgement_area varchar, grade_label varchar, grade_rank integer, source_file varchar,
        source_row_number integer)""")
    con.execute("""create table marts.inspection_overall_judgements (la_code varchar, inspection_id varchar,
        framework varchar, inspection_type varchar, inspection_start_date date, publication_date date,
        overall_grade_label varchar, overall_grade_rank integer, source_file varchar)""")
    columns = (
        "indicator_code varchar, area_code varchar, geography_level varchar, la_code varchar, "
        "time_period integer, period_label varchar, breakdown varchar, value double, status_symbol varchar, "
        "source_file varchar"
    )
    con.execute(f"create table marts.published_indicator_values ({columns})")
    con.execute(f"create table marts.indicator_values ({columns})")
    con.execute("""create table marts.published_indicator_benchmarks (indicator_code varchar, la_code varchar,
        time_period integer, breakdown varchar, value double, england_value double, region_value double,
        sn_mean double, sn_median double, sn_count integer, sn_model varchar, rank integer, rank_of integer,
        quartile_band varchar, threshold double, rag varchar, la_name varchar, region_code varchar,
        period_label varchar, title varchar, unit varchar, polarity varchar, status_symbol varchar,
        threshold_verified boolean)""")
    if empty:
        return files
    for inspection_id, framework, published, service, area, label, rank, file, row_number in JUDGEMENTS:
        con.execute(
            "insert into marts.inspection_judgements values ('865', ?, ?, 'type', ?, null, ?, ?, ?, ?, ?, ?, ?)",
            [inspection_id, framework, published, published, service, area, label, rank, files[file], row_number],
        )
    for inspection_id, framework, published, label, rank, file in OVERALL:
        con.execute(
            "insert into marts.inspection_overall_judgements values ('865', ?, ?, 'type', ?, ?, ?, ?, ?)",
            [inspection_id, framework, published, published, label, rank, files[file]],
        )
    rows = [
        (
            "adoption_a1_days",
            "865",
            "local_authority",
            "865",
            2011,
            "2008-11",
            601.0,
            None,
            "SSDA903 returns of 865, 2009 to 2011",
        ),
        (
            "adoption_a1_days",
            "865",
            "local_authority",
            "865",
            2012,
            "2009-12",
            587.0,
            None,
            "SSDA903 returns of 865, 2010 to 2012",
        ),
        ("adoption_a1_days", "E92000001", "national", None, 2011, "2008-11", 638.0, None, files["scorecards"]),
        ("adoption_a1_days", "E92000001", "national", None, 2012, "2009-12", 625.0, None, files["scorecards"]),
        (
            "adoption_a3_pct",
            "865",
            "local_authority",
            "865",
            2011,
            "2008-11",
            60.8,
            None,
            "SSDA903 returns of 865, 2009 to 2011",
        ),
        ("exclusions_suspension_rate", "865", "local_authority", "865", 201516, "2015/16", 3.5, None, files["ees"]),
        ("exclusions_suspension_rate", "865", "local_authority", "865", 201617, "2016/17", None, "c", files["ees"]),
        ("exclusions_suspension_rate", "E92000001", "national", None, 201516, "2015/16", 4.29, None, files["ees"]),
        ("exclusions_suspension_rate", "E12000009", "regional", None, 201516, "2015/16", 4.52, None, files["ees"]),
        (
            "case_audits_good_or_better_pct",
            "865",
            "local_authority",
            "865",
            201204,
            "2012-04",
            14.1,
            None,
            files["audits"],
        ),
        ("case_audits_inadequate_pct", "865", "local_authority", "865", 201204, "2012-04", None, "c", files["audits"]),
        (
            "case_audit_actions_on_time_pct",
            "865",
            "local_authority",
            "865",
            201204,
            "2012-04",
            36.4,
            None,
            files["audits"],
        ),
    ]
    for code, area, level, la, tp, label, value, status, source_file in rows:
        con.execute(
            "insert into marts.published_indicator_values values (?, ?, ?, ?, ?, ?, 'Total', ?, ?, ?)",
            [code, area, level, la, tp, label, value, status, source_file],
        )
        con.execute(
            "insert into marts.indicator_values values (?, ?, ?, ?, ?, ?, 'Total', ?, ?, ?)",
            [code, area, level, la, tp, label, UNPUBLISHED if status == "c" else value, None, source_file],
        )
    con.execute("""insert into marts.published_indicator_benchmarks
        (indicator_code, la_code, time_period, breakdown, value, england_value, region_value, sn_mean, sn_median,
         sn_count, sn_model, rank, rank_of, quartile_band, threshold, rag, period_label, title, unit, polarity)
        values
        ('adoption_a1_days', '865', 2011, 'Total', 601, 638, null, 591, 591, 1, '2021', 2, 4, 'B', 639, 'green',
         '2008-11', 'Adoption scorecard A1: days', 'days', 'lower is better'),
        ('adoption_a1_days', '865', 2012, 'Total', 587, 625, null, 578, 578, 1, '2021', 2, 4, 'B', 547, 'red',
         '2009-12', 'Adoption scorecard A1: days', 'days', 'lower is better'),
        ('exclusions_suspension_rate', '865', 201516, 'Total', 3.5, 4.29, 4.52, 3.8122, 3.55, 9, '2021', 5, 11, 'B',
         null, null, '2015/16', 'Suspension rate', 'rate per 100', 'lower is better')""")
    return files


@pytest.fixture()
def report(tmp_path):
    con = duckdb.connect()
    make_warehouse(con, tmp_path)
    yield build_report(con, "865", REFRESHED)
    con.close()


def chart(report, key):
    return next(c for c in report.charts if c.key == key)


def test_the_report_has_its_charts_each_naming_source_and_refresh_date(report):
    keys = [c.key for c in report.charts]
    assert keys[:5] == ["ofsted", "adoption_a1", "adoption_a2", "adoption_a10", "adoption_a3"]
    assert "schools_exclusions_suspension_rate" in keys and {"audit_grades", "audit_actions"} <= set(keys)
    assert "schools_absence_persistent_rate" not in keys  # no figures for the LA: no empty chart
    for c in report.charts:
        svg = c.svg()
        assert svg.startswith("<svg") and f"<title>{c.title.split(':')[0]}" in svg
        assert "Source:" in svg and "Refreshed 07 March 2025" in svg
    assert report.html.count("<svg") == len(report.charts)


def test_sources_are_named_by_publication_and_date_never_by_folder_or_table(report, tmp_path):
    ofsted = chart(report, "ofsted").caption
    # the workbook by its own title (its document properties), with the catalogue's publisher and the load date
    assert f"Ofsted, {WORKBOOK_TITLE} (loaded 06 March 2025)" in ofsted
    # a CSV has no title: the catalogue's publication, and the inspections its rows cover
    assert "Ofsted, Inspection outcomes and reports, September 2009 to June 2015" in ofsted
    a1 = chart(report, "adoption_a1").caption
    assert "DfE, Adoption scorecards, 2008-11 to 2009-12" in a1  # England: the published scorecards
    assert "SSDA903 returns of 865, 2008-09 to 2011-12" in a1  # the LA's own: computed from its returns
    assert (
        "DfE, Suspensions and permanent exclusions in England, 2015/16 to 2016/17"
        in chart(report, "schools_exclusions_suspension_rate").caption
    )
    for text in [c.caption for c in report.charts] + [report.findings_source]:
        assert "/landing/" not in text and "marts." not in text and "raw/" not in text and "outcomes.xlsx" not in text
        assert text.endswith("Refreshed 07 March 2025.")


def test_a_workbook_changed_since_it_was_loaded_is_named_by_its_file(tmp_path):
    con = duckdb.connect()
    make_warehouse(con, tmp_path)
    write_workbook(tmp_path / "outcomes.xlsx", title="Something else entirely")  # not the file that was loaded
    report = build_report(con, "865", REFRESHED)
    con.close()
    caption = chart(report, "ofsted").caption
    assert "Something else" not in caption and "Ofsted, outcomes (loaded 06 March 2025)" in caption


def test_the_page_is_self_contained(report):
    html = report.html.lower()
    for forbidden in ("<script", "<link", "@import", " src=", "<img", "@font-face", "<image"):
        assert forbidden not in html, forbidden
    # references only to the page's own SVG definitions (markers, clip paths), never to anything elsewhere
    assert re.findall(r"href=\"([^\"]*)\"", html) and all(
        h.startswith("#") for h in re.findall(r"href=\"([^\"]*)\"", html)
    )
    assert all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", html))
    # the only URLs are XML namespaces, which are names, not something fetched
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }


def test_the_report_uses_published_values_only(report):
    assert "98765" not in report.html and "98,765" not in report.html
    susp = chart(report, "schools_exclusions_suspension_rate")
    assert susp.table[2][:2] == ["2016/17", "c"]  # suppressed: 'c', a gap in the line
    assert susp.series[0].values == [3.5, None]
    grades = chart(report, "audit_grades")
    assert grades.table[1] == ["2012-04", "14.1", "c"]


def test_adoption_chart_shows_threshold_and_rag(report):
    a1 = chart(report, "adoption_a1")
    assert [s.name for s in a1.series] == ["Wiltshire", "England", "Threshold"]
    assert a1.series[2].values == [639, 547] and a1.series[0].marker_colours == ["#2e7d32", "#c62828"]
    assert a1.table[1] == ["2008-11", "601", "638", "639", "green"]


def test_ofsted_judgements_are_points_per_framework_never_joined(report):
    ofsted = chart(report, "ofsted")
    assert [s.name for s in ofsted.series] == ["SLAC", "SIF", "ILACS"]
    # SLAC 2012: the worse of Inadequate (safeguarding) and Adequate; SIF 2015: the LSCB review's Inadequate is not
    # the LA's grade
    assert [s.values for s in ofsted.series] == [
        [2.0, 4.0, None, None],
        [None, None, 3.0, None],
        [None, None, None, 2.0],
    ]
    lines = ofsted.figure().axes[0].get_lines()
    assert len(lines) == 3 and all(line.get_linestyle() == "None" for line in lines)
    assert [row[:2] for row in ofsted.table[1:]] == [
        ["01 September 2009", "SLAC"],
        ["24 April 2012", "SLAC"],
        ["02 June 2015", "SIF"],
        ["22 July 2019", "ILACS"],
    ]


def test_ofsted_grades_are_the_warehouses_overall_judgements_never_worked_out_again(tmp_path):
    """A safeguarding children partnership's Inadequate (marts.inspection_judgements) is not the LA's grade: the
    report draws marts.inspection_overall_judgements, the one definition, whatever the judgement rows say."""
    con = duckdb.connect()
    make_warehouse(con, tmp_path)
    con.execute(
        "insert into marts.inspection_judgements values ('865', '865-ILACS-2019', 'ILACS', 'type', "
        "date '2019-07-22', null, date '2019-07-22', 'Safeguarding children partnership', "
        "'Overall effectiveness', 'Inadequate', 4, '/x.csv', 263)"
    )
    ofsted = chart(build_report(con, "865", REFRESHED), "ofsted")
    con.close()
    assert [s.values for s in ofsted.series] == [
        [2.0, 4.0, None, None],
        [None, None, 3.0, None],
        [None, None, None, 2.0],
    ]
    assert ofsted.table[-1][-1] == "Good"


def test_record_of_main_findings_has_the_latest_inspection_under_each_framework(report):
    assert report.findings[0] == ["Inspection", "Service area", "Judgement", "Grade"]
    assert report.findings[1:] == [
        ["SLAC, published 24 April 2012", "Safeguarding", "Overall effectiveness", "Inadequate"],
        ["", "Safeguarding", "Capacity for improvement", "Adequate"],
        ["", "Looked after children", "Overall effectiveness", "Adequate"],
        ["", "Looked after children", "Economic well-being", "Good"],
        ["SIF, published 02 June 2015", "Overall", "Overall effectiveness", "Requires improvement"],
        ["", "LSCB", "Overall effectiveness", "Inadequate"],
        ["", "Children looked after", "Adoption performance", "Good"],
        ["ILACS, published 22 July 2019", "Overall", "Overall effectiveness", "Good"],
        ["", "Care leavers", "The experiences and progress of care leavers", "Good"],
    ]
    assert "Record of main findings" in report.html and "Economic well-being" in report.html
    assert "01 September 2009" not in report.findings_source  # the 2009 SLAC is not the latest
    assert f"Ofsted, {WORKBOOK_TITLE}" in report.findings_source


def test_record_of_main_findings_leaves_out_cp_and_tlac_inspections(tmp_path):
    """Issue 16: the latest SLAC, SIF and ILACS judgements; a later CP or TLAC inspection is not among them."""
    con = duckdb.connect()
    make_warehouse(con, tmp_path)
    for inspection_id, framework, published in (
        ("865-CP-2013", "CP", "2013-01-15"),
        ("865-TLAC-2013", "TLAC", "2013-03-20"),
    ):
        con.execute(
            "insert into marts.inspection_judgements values ('865', ?, ?, 'type', ?, null, ?, 'Overall', "
            "'Overall effectiveness', 'Adequate', 3, '/x.csv', 300)",
            [inspection_id, framework, published, published],
        )
    findings = build_report(con, "865", REFRESHED).findings
    con.close()
    assert [row[0].split(",")[0] for row in findings[1:] if row[0]] == ["SLAC", "SIF", "ILACS"]
    assert "15 January 2013" not in str(findings) and "20 March 2013" not in str(findings)


def test_summary_has_the_latest_figure_of_each_indicator_with_its_unit(report):
    by = {r["indicator"]: r for r in report.summary}
    assert by["Suspension rate"]["period"] == "2015/16"  # 2016/17 has no benchmark row here
    assert by["Suspension rate"]["unit"] == "per 100 pupils"
    assert by["Adoption scorecard A1: days"]["rank"] == "2 of 4" and by["Adoption scorecard A1: days"]["rag"] == "red"
    assert by["Adoption scorecard A1: days"]["unit"] == "days"
    assert all(r["unit"] for r in report.summary)


def test_every_chart_and_table_says_its_unit(report):
    assert chart(report, "schools_exclusions_suspension_rate").y_label == "per 100 pupils"
    assert chart(report, "schools_exclusions_suspension_rate").table[0][1] == "Wiltshire (per 100 pupils)"
    assert chart(report, "adoption_a1").table[0][1:4] == ["Wiltshire (days)", "England (days)", "Threshold (days)"]
    assert chart(report, "audit_grades").table[0][1:] == ["Good or better (%)", "Inadequate (%)"]
    assert all(c.y_label for c in report.charts)


def test_axes_start_at_zero_for_counts_and_rates(report):
    for c in report.charts:
        ax = c.figure().axes[0]
        if c.y_ticks:  # the Ofsted grade scale: ordinal, not a quantity
            continue
        assert min(ax.get_ylim()) == 0, c.key
    marked = Chart(
        key="k",
        title="t",
        x_labels=["a", "b"],
        series=[Series("s", [400, 500])],
        y_label="days",
        y_range=(350, 550),
        y_from_zero=False,
    )
    assert "axis does not start at 0" in marked.figure().axes[0].get_ylabel()


def test_no_text_overlaps_on_the_report_charts(report):
    for c in report.charts:
        fig = c.figure()
        assert len(text_boxes(fig)) >= 5, c.key
        assert not overlapping_texts(fig), (c.key, overlapping_texts(fig))


@pytest.mark.parametrize("series_count", [1, 4, 9])
def test_legends_and_labels_never_overlap_with_long_titles_and_many_series(series_count):
    long = "Percentage of case-file audits graded good or better, by the team holding the case at the audit date"
    colours = list(PALETTE.values())
    c = Chart(
        key="long",
        title=long + ", in every month since the audits began, " * 2,
        x_labels=[f"{2000 + i}/{(i + 1) % 100:02d}" for i in range(24)],
        series=[
            Series(
                f"{long[: 20 + 9 * i]} {i}",
                [10 + i + (j % 5) if j != 7 else None for j in range(24)],
                colour=colours[i % len(colours)],
            )
            for i in range(series_count)
        ],
        y_label="% of audits, every team, breakdown Total",
        caption="Source: " + "A publication, 2010/11; " * 12 + "\nRefreshed 07 March 2025.",
        note="A note that is also rather long. " * 5,
    )
    fig = c.figure()
    legend = fig.axes[0].get_legend()
    assert len(legend.get_texts()) == series_count
    assert not overlapping_texts(fig), overlapping_texts(fig)


def test_overlapping_texts_are_found():
    """The overlap test itself: a label drawn on top of the title is reported."""
    c = Chart(key="k", title="A title", x_labels=["a", "b"], series=[Series("s", [1, 2])], caption="Source: x")
    fig = c.figure()
    title = fig.texts[0] if fig.texts else fig._suptitle
    fig.text(*fig.transFigure.inverted().transform(title.get_window_extent().p0), "on top of the title")
    assert any("on top of the title" in pair for pair in overlapping_texts(fig))


def test_charts_are_deterministic_text_and_undated():
    def draw():
        return Chart(
            key="k", title="A & <B> $5", x_labels=["a", "b"], series=[Series("s", [1, 2])], caption="Source: x"
        ).svg()

    svg = draw()
    assert svg == draw()
    assert "A &amp; &lt;B&gt; $5" in svg and "DejaVu Sans" in svg and "<dc:date>" not in svg.lower()
    assert '<path d="M 0' in svg and "font-family" in svg  # text is text (svg.fonttype none), not glyph outlines


def test_an_empty_warehouse_still_gives_a_page():
    con = duckdb.connect()
    make_warehouse(con, empty=True)
    report = build_report(con, "865", REFRESHED)
    con.close()
    assert "No published values to show" in report.html and "No graded inspection" in report.html
    assert report.html.count("<svg") == len(report.charts) >= 7


def test_a_gap_breaks_the_line_and_text_is_escaped():
    c = Chart(
        key="k",
        title="A & <B>",
        x_labels=["a", "b", "c", "d"],
        series=[Series("s", [1, 2, None, 4])],
        caption="Source: x",
    )
    line = c.figure().axes[0].get_lines()[0]
    ys = list(line.get_ydata())
    assert ys[:2] == [1, 2] and ys[2] != ys[2] and ys[3] == 4  # NaN: matplotlib breaks the line there
    assert "A &amp; &lt;B&gt;" in c.svg()


def test_main_findings_follow_the_marts_judgement_order_where_it_has_one(tmp_path):
    con = duckdb.connect()
    make_warehouse(con, tmp_path)
    con.execute("alter table marts.inspection_judgements add column judgement_order integer")
    con.execute(
        "insert into marts.inspection_judgements values ('865', '865-ILACS-2019', 'ILACS', 'type', "
        "date '2019-07-22', null, date '2019-07-22', 'Children in care', "
        "'The experiences and progress of children in care', 'Good', 2, ?, 262, 4)",
        ["/x.xlsx"],
    )
    con.execute("update marts.inspection_judgements set judgement_order = 5 where service_area = 'Care leavers'")
    report = build_report(con, "865", REFRESHED)
    con.close()
    ilacs = [
        row[1]
        for row in report.findings
        if row[0].startswith("ILACS") or (row[0] == "" and row[1] in ("Children in care", "Care leavers"))
    ]
    assert ilacs == ["Overall", "Children in care", "Care leavers"]


def test_an_ods_is_named_by_its_title_and_a_csv_by_the_catalogue(tmp_path):
    ods = tmp_path / "Childrens_social_care_in_England_2023_underlying_data.ods"
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr(
            "meta.xml",
            '<office:document-meta xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta>'
            "<dc:title>Local authority inspection outcomes as at 31 March 2025 underlying "
            "data</dc:title></office:meta></office:document-meta>",
        )
    sha = hashlib.sha256(ods.read_bytes()).hexdigest()
    assert spreadsheet_title(LoadedFile(str(ods), "ofsted", sha, LOADED)) == (
        "Local authority inspection outcomes as at 31 March 2025 underlying data"
    )
    with zipfile.ZipFile(ods, "w") as archive:  # a vintage with an empty title: its file name
        archive.writestr("meta.xml", "<dc:title></dc:title>")
    assert spreadsheet_title(LoadedFile(str(ods), "ofsted", None, LOADED)) == (
        "Childrens social care in England 2023 underlying data"
    )
    assert spreadsheet_title(LoadedFile(str(tmp_path / "absence.csv"), "school_absence", None, LOADED)) is None
    rows = [
        {"source_file": "/l/a.csv", "time_period": 201011, "period_label": "2010/11"},
        {"source_file": "/l/b.csv", "time_period": 201617, "period_label": "2016/17"},
    ]
    files = {p: LoadedFile(p, "school_absence", None, LOADED) for p in ("/l/a.csv", "/l/b.csv")}
    assert name_sources(rows, "DfE, Pupil absence in schools in England", files) == [
        "DfE, Pupil absence in schools in England, 2010/11 to 2016/17"
    ]
