"""The committee report from a small hand-made warehouse: charts, sources, refresh date, published values only."""

import datetime as dt
import re

import duckdb
import pytest

from pipelines.lib.committee_report import build_report
from pipelines.lib.report_charts import Chart, Series, line_chart, nice_ticks

REFRESHED = dt.datetime(2025, 3, 7, 9, 30)
UNPUBLISHED = 98765.4  # in marts.indicator_values only: suppressed, must never reach the report


def make_warehouse(con: duckdb.DuckDBPyConnection, empty: bool = False) -> None:
    con.execute("create schema marts")
    con.execute("""create table marts.indicator_catalogue as select * from (values
        ('ofsted_overall_grade_rank', 'Ofsted overall effectiveness grade', 'Inspection', 'grade', 'lower is better', 'd', 'Ofsted src'),
        ('adoption_a1_days', 'Adoption scorecard A1: days', 'Adoption', 'days', 'lower is better', 'd', 'SSDA903 src'),
        ('adoption_a3_pct', 'Adoption scorecard A3: pct', 'Adoption', '%', 'higher is better', 'd', 'SSDA903 src'),
        ('exclusions_suspension_rate', 'Suspension rate', 'School exclusions', 'rate per 100', 'lower is better', 'd', 'DfE src'),
        ('case_audits_good_or_better_pct', 'Good or better', 'Case audits', '%', 'higher is better', 'd', 'Audit src'),
        ('case_audits_inadequate_pct', 'Inadequate', 'Case audits', '%', 'lower is better', 'd', 'Audit src'),
        ('case_audit_actions_on_time_pct', 'Actions on time', 'Case audits', '%', 'higher is better', 'd', 'Audit src')
        ) as t(indicator_code, title, domain, unit, polarity, definition, source)""")
    con.execute("""create table marts.dim_local_authority as select * from (values
        ('865', 'Wiltshire', 'E12000009', 'South West')) as t(la_code, la_name, region_code, region_name)""")
    con.execute("""create table marts.inspection_judgements as select * from (values
        ('865', 'SLAC', date '2012-04-24', 'Overall effectiveness'),
        ('865', 'ILACS', date '2019-07-22', 'Overall effectiveness')) as t(la_code, framework, publication_date, judgement_area)""")
    columns = ("indicator_code varchar, area_code varchar, geography_level varchar, la_code varchar, "
               "time_period integer, period_label varchar, breakdown varchar, value double, status_symbol varchar")
    con.execute(f"create table marts.published_indicator_values ({columns})")
    con.execute(f"create table marts.indicator_values ({columns})")
    con.execute("""create table marts.published_indicator_benchmarks (indicator_code varchar, la_code varchar,
        time_period integer, breakdown varchar, value double, england_value double, region_value double,
        sn_mean double, sn_median double, sn_count integer, sn_model varchar, rank integer, rank_of integer,
        quartile_band varchar, threshold double, rag varchar, la_name varchar, region_code varchar,
        period_label varchar, title varchar, unit varchar, polarity varchar, status_symbol varchar,
        threshold_verified boolean)""")
    if empty:
        return
    rows = [
        ("ofsted_overall_grade_rank", "865", "local_authority", "865", 201204, "2012-04", 4.0, None),
        ("ofsted_overall_grade_rank", "865", "local_authority", "865", 201907, "2019-07", 2.0, None),
        ("adoption_a1_days", "865", "local_authority", "865", 2011, "2008-11", 601.0, None),
        ("adoption_a1_days", "865", "local_authority", "865", 2012, "2009-12", 587.0, None),
        ("adoption_a1_days", "E92000001", "national", None, 2011, "2008-11", 638.0, None),
        ("adoption_a1_days", "E92000001", "national", None, 2012, "2009-12", 625.0, None),
        ("adoption_a3_pct", "865", "local_authority", "865", 2011, "2008-11", 60.8, None),
        ("exclusions_suspension_rate", "865", "local_authority", "865", 201516, "2015/16", 3.5, None),
        ("exclusions_suspension_rate", "865", "local_authority", "865", 201617, "2016/17", None, "c"),
        ("exclusions_suspension_rate", "E92000001", "national", None, 201516, "2015/16", 4.29, None),
        ("exclusions_suspension_rate", "E12000009", "regional", None, 201516, "2015/16", 4.52, None),
        ("case_audits_good_or_better_pct", "865", "local_authority", "865", 201204, "2012-04", 14.1, None),
        ("case_audits_inadequate_pct", "865", "local_authority", "865", 201204, "2012-04", None, "c"),
        ("case_audit_actions_on_time_pct", "865", "local_authority", "865", 201204, "2012-04", 36.4, None),
    ]
    for row in rows:
        code, area, level, la, tp, label, value, status = row
        con.execute("insert into marts.published_indicator_values values (?, ?, ?, ?, ?, ?, 'Total', ?, ?)",
                    [code, area, level, la, tp, label, value, status])
        con.execute("insert into marts.indicator_values values (?, ?, ?, ?, ?, ?, 'Total', ?, ?)",
                    [code, area, level, la, tp, label, UNPUBLISHED if status == "c" else value, None])
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


@pytest.fixture()
def report():
    con = duckdb.connect()
    make_warehouse(con)
    yield build_report(con, "865", REFRESHED)
    con.close()


def test_the_report_has_its_charts_each_naming_source_and_refresh_date(report):
    keys = [c.key for c in report.charts]
    assert keys[:5] == ["ofsted", "adoption_a1", "adoption_a2", "adoption_a10", "adoption_a3"]
    assert "schools_exclusions_suspension_rate" in keys and {"audit_grades", "audit_actions"} <= set(keys)
    assert "schools_absence_persistent_rate" not in keys  # no figures for the LA: no empty chart
    for chart in report.charts:
        svg = chart.svg()
        assert svg.startswith("<svg") and chart.title.split(":")[0] in svg
        assert "Source:" in svg and "Refreshed 07 March 2025" in svg
    assert report.html.count("<svg") == len(report.charts)


def test_the_page_is_self_contained(report):
    html = report.html.lower()
    for forbidden in ("<script", "<link", "@import", "url(", " src=", "href=", "<img", "@font-face"):
        assert forbidden not in html, forbidden
    # the only URL is the SVG namespace, which is a name, not something fetched
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) <= {"http://www.w3.org/2000/svg"}


def test_the_report_uses_published_values_only(report):
    assert "98765" not in report.html and "98,765" not in report.html
    susp = next(c for c in report.charts if c.key == "schools_exclusions_suspension_rate")
    assert ["2016/17", "c"] == susp.table[2][:2]  # suppressed: 'c', a gap in the line
    assert susp.series[0].values == [3.5, None]
    grades = next(c for c in report.charts if c.key == "audit_grades")
    assert grades.table[1] == ["2012-04", "14.1", "c"]


def test_adoption_chart_shows_threshold_and_rag(report):
    a1 = next(c for c in report.charts if c.key == "adoption_a1")
    assert [s.name for s in a1.series] == ["Wiltshire", "England", "Threshold"]
    assert a1.series[2].values == [639, 547] and a1.series[0].marker_colours == ["#2e7d32", "#c62828"]
    assert a1.table[1] == ["2008-11", "601", "638", "639", "green"]


def test_summary_has_the_latest_figure_of_each_indicator(report):
    by = {r["indicator"]: r for r in report.summary}
    assert by["Suspension rate"]["period"] == "2015/16"  # 2016/17 has no benchmark row here
    assert by["Adoption scorecard A1: days"]["rank"] == "2 of 4" and by["Adoption scorecard A1: days"]["rag"] == "red"


def test_an_empty_warehouse_still_gives_a_page():
    con = duckdb.connect()
    make_warehouse(con, empty=True)
    report = build_report(con, "865", REFRESHED)
    con.close()
    assert "No published values to show" in report.html
    assert report.html.count("<svg") == len(report.charts) >= 7


def test_nice_ticks_cover_the_range():
    assert nice_ticks(3.9, 5.6) == [3.5, 4.0, 4.5, 5.0, 5.5, 6.0]
    assert nice_ticks(0, 100) == [0, 25, 50, 75, 100]
    ticks = nice_ticks(401, 652)
    assert ticks[0] <= 401 and ticks[-1] >= 652


def test_a_gap_breaks_the_line_and_text_is_escaped():
    svg = line_chart(Chart(key="k", title="A & <B>", x_labels=["a", "b", "c", "d"],
                           series=[Series("s", [1, 2, None, 4])], caption="Source: x"))
    assert "A &amp; &lt;B&gt;" in svg
    assert svg.count("<polyline") == 1  # a-b drawn; d alone is a marker only
    assert svg.count("<circle") == 3
