"""The public DfE statistics fixtures (and their .meta.csv files), read in place, through one refresh.

One module-scoped refresh (ingest, GX checks, dbt build and tests, publication) serves every test here.
The landing folder holds symbolic links to the fixture files, so they are read where they are, and two
files generated here: a pupil referral unit absence file with no school type column (only its title says
what it covers) and a whole-LA file for the same LA, period and term.
"""

from __future__ import annotations

import csv

import duckdb
import pytest

from pipelines.cli import run_refresh
from tests.conftest import fixture_path

pytestmark = [pytest.mark.fixtures, pytest.mark.slow]

FIXTURES = {
    "school_absence": [
        ("ees_absence", "absence_by_term.csv"),
        ("ees_absence", "absence_by_term.meta.csv"),
        ("ees_absence", "absence_la.csv"),
    ],
    "school_exclusions": [
        ("ees_exclusions", "clean_la_data.csv"),
        ("ees_exclusions", "exclusions_by_reason.csv"),
        ("ees_exclusions", "exclusions_by_reason.meta.csv"),
        ("ees_suspensions", "permanent_exclusions_and_suspensions_la.csv"),
    ],
}
SECONDARY = "school_type=State-funded secondary"
TWO_TERMS = "term=Autumn and spring term"
PRU = "school_type=State-funded alternative provision school; " + TWO_TERMS
ABSENCE_HEADER = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
    "old_la_code,new_la_code,la_name,enrolments,sess_possible,sess_overall,sess_overall_percent\n"
)


def two_term_rows(england: float, north_west: float, knowsley: float) -> str:
    return (
        f"201617,Autumn and spring term,National,E92000001,England,,,,,,15000,3000000,360000,{england}\n"
        f"201617,Autumn and spring term,Regional,E92000001,England,E12000002,North West,,,,2000,400000,52000,"
        f"{north_west}\n"
        "201617,Autumn and spring term,Local authority,E92000001,England,E12000002,North West,340,E08000011,"
        f"Knowsley,120,21000,9009,{knowsley}\n"
    )


def write_generated(folder) -> None:
    (folder / "absence_2term_la.csv").write_text(ABSENCE_HEADER + two_term_rows(4.1, 4.4, 5.1))
    (folder / "absence_2term_la_b.csv").write_text(
        "Absence in pupil referral units by local authority: autumn and spring terms 2016/17\n\n"
        + ABSENCE_HEADER
        + two_term_rows(33.0, 35.5, 42.9)
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    files = {source: [fixture_path(folder, name) for folder, name in names] for source, names in FIXTURES.items()}
    root = tmp_path_factory.mktemp("ees")
    raw, data = root / "raw", root / "data"
    for source, paths in files.items():
        (raw / source).mkdir(parents=True)
        for path in paths:
            (raw / source / path.name).symlink_to(path)
    write_generated(raw / "school_absence")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CSW_RAW_DIR", str(raw))
        patch.setenv("CSW_DATA_DIR", str(data))
        patch.delenv("DAGSTER_HOME", raising=False)
        status = run_refresh()
    assert status == 0, "the refresh of the fixtures did not publish"
    con = duckdb.connect(str(data / "children_services.duckdb"), read_only=True)
    yield con
    con.close()


def rows(con, sql: str, params=()) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def value(con, indicator: str, area: str, period: int, breakdown: str):
    found = rows(
        con,
        "select value, status_symbol, source_file from marts.indicator_values where indicator_code = ? "
        "and area_code = ? and time_period = ? and breakdown = ?",
        (indicator, area, period, breakdown),
    )
    assert len(found) == 1, (indicator, area, period, breakdown, found)
    return found[0]


def test_every_file_loads_with_its_quarantine_counted(warehouse):
    log = {
        path.rsplit("/", 1)[-1]: (status, read, loaded, rejected, reason)
        for path, status, read, loaded, rejected, reason in rows(
            warehouse, "select file_path, status, rows_read, rows_loaded, rows_rejected, reason from quality.load_log"
        )
    }
    assert log["absence_by_term.csv"][:4] == ("loaded", 9680, 9680, 0)
    assert log["absence_la.csv"][:4] == ("loaded", 17220, 17220, 0)
    assert "no .meta.csv" in log["absence_la.csv"][4]
    # rows_rejected counts rows of which nothing loaded (clean_la_data: 2 'NULL' names); fractional counts
    # (clean_la_data 7, exclusions_by_reason 3,546) load as published and the load log says how many
    assert log["clean_la_data.csv"][:4] == ("loaded", 7122, 7120, 2)
    assert log["exclusions_by_reason.csv"][:4] == ("loaded", 7004, 7004, 0)
    assert log["permanent_exclusions_and_suspensions_la.csv"][:4] == ("loaded", 2931, 2931, 0)
    assert "7 count cell(s) are not whole numbers" in log["clean_la_data.csv"][4]
    assert "3546 count cell(s) are not whole numbers" in log["exclusions_by_reason.csv"][4]
    quarantined_rows = dict(
        rows(
            warehouse,
            "select regexp_extract(file_path, '[^/]+$'), count(distinct row_number) "
            "from quality.rejected_rows group by 1",
        )
    )
    assert quarantined_rows == {"clean_la_data.csv": 2}
    for meta in ("absence_by_term.meta.csv", "exclusions_by_reason.meta.csv"):
        status, _read, loaded, rejected, reason = log[meta]
        assert (status, loaded, rejected) == ("loaded", 0, 0)
        assert reason.startswith("EES metadata file, not data: used with its data file")
    assert "filters and indicators from exclusions_by_reason.meta.csv" in log["exclusions_by_reason.csv"][4]


def test_wiltshire_and_england_suspension_rates_from_the_pre_ees_series(warehouse):
    for area, period, expected in (("865", 201011, 8.45), ("865", 201112, 6.22), ("E92000001", 201112, 7.8)):
        found, status, source_file = value(warehouse, "exclusions_suspension_rate", area, period, SECONDARY)
        assert (found, status) == (pytest.approx(expected), None)
        assert source_file.endswith("clean_la_data.csv")
    wide = rows(
        warehouse,
        "select exclusions_suspension_rate, period_label, pupils from marts.school_exclusions "
        "where area_code = '865' and time_period = 201011 and breakdown = ?",
        (SECONDARY,),
    )
    assert wide == [(pytest.approx(8.45), "2010/11", 29786.0)]


def test_symbols_become_nulls_with_their_status(warehouse):
    legacy = rows(
        warehouse,
        "select distinct published_symbol, status_symbol, value from marts.school_statistics_long "
        "where source_file like '%clean_la_data.csv' and published_symbol is not null order by 1",
    )
    assert legacy == [(".", "x", None), ("x", "c", None)]
    current = rows(
        warehouse,
        "select distinct published_symbol, status_symbol from marts.school_statistics_long "
        "where source_file like '%absence_la.csv' and published_symbol is not null order by 1",
    )
    assert current == [("c", "c"), ("k", "low"), ("x", "x"), ("z", "z")]
    covid = rows(
        warehouse,
        "select distinct status_symbol from marts.indicator_values "
        "where indicator_code = 'absence_overall_rate' and time_period = 201920",
    )
    assert covid == [("x",)]


def test_every_name_of_the_pre_ees_series_maps_to_a_code_or_is_quarantined(warehouse):
    path = fixture_path("ees_exclusions", "clean_la_data.csv")
    with path.open(newline="", encoding="utf-8") as fh:
        names = {(r["level"], r["la_name"]): n for n, r in enumerate(csv.DictReader(fh), start=2)}
    mapped = dict(
        rows(
            warehouse,
            "select distinct published_area_name, area_code from marts.school_statistics_long "
            "where source_file like '%clean_la_data.csv'",
        )
    )
    quarantined = {
        (row, column): reason
        for row, column, reason in rows(
            warehouse,
            "select row_number, column_name, reason from quality.rejected_rows "
            "where file_path like '%clean_la_data.csv'",
        )
    }
    for (level, name), row_number in names.items():
        if name in mapped:
            continue
        assert (row_number, "la_name") in quarantined, (level, name)
        assert quarantined[(row_number, "la_name")]
    assert {n for _l, n in names} - set(mapped) == {"NULL"}
    assert mapped["Bristol City of"] == "801" and mapped["St. Helens"] == "342"
    assert mapped["Isles Of Scilly"] == "420" and mapped["Bedfordshire (Pre LGR 2009)"] == "820"
    assert mapped["Yorkshire and the Humber"] == "E12000003" and mapped["Inner London"] == "E13000001"
    every_row = {
        r
        for (r,) in rows(
            warehouse,
            "select distinct source_row_number from marts.school_statistics_long "
            "where source_file like '%clean_la_data.csv'",
        )
    }
    every_row |= {r for r, _c in quarantined}
    assert every_row == set(range(2, 7124))


def test_ees_fixtures_keep_their_term_and_social_care_group_breakdowns(warehouse):
    terms = rows(
        warehouse,
        "select distinct breakdown from marts.indicator_values "
        "where indicator_code = 'absence_overall_rate' and area_code = '865' "
        "and time_period = 201617 and breakdown like '%State-funded primary%' order by 1",
    )
    assert [b for (b,) in terms] == [
        "school_type=State-funded primary",
        "school_type=State-funded primary; term=Autumn term",
        "school_type=State-funded primary; term=Spring term",
        "school_type=State-funded primary; term=Summer term",
    ]
    groups = {
        b
        for (b,) in rows(
            warehouse,
            "select distinct breakdown from marts.school_absence where area_code = '865' and time_period = 202425",
        )
    }
    assert "absence_terms=six half terms; social_care_group=CLA 12 months at 31 March" in groups
    assert (
        "absence_terms=six half terms; school_type=State-funded secondary; social_care_group=CINO at 31 March"
    ) in groups
    persistent = rows(
        warehouse,
        "select count(*) from marts.indicator_values where "
        "indicator_code = 'absence_persistent_rate' and breakdown like '%social_care_group%'",
    )
    assert persistent[0][0] > 10000


def test_benchmarks_rank_only_rates_among_at_least_100_las(warehouse):
    """DfE's real files hold every LA: rates are ranked among them, counts never, and thin cells not at all."""
    ranked = rows(
        warehouse, "select distinct unit, min(rank_of) over () from marts.indicator_benchmarks where rank is not null"
    )
    assert ranked and {unit for unit, _ in ranked} <= {"%", "rate per 100"} and ranked[0][1] >= 100
    counts = rows(
        warehouse,
        "select count(*), count(rank), min(rank_note) from marts.indicator_benchmarks "
        "where unit = 'count' and value is not null",
    )
    assert counts[0][0] > 1000 and counts[0][1] == 0
    assert counts[0][2] == "not ranked: a count, which measures the size of an LA"
    thin = rows(
        warehouse,
        "select count(*) from marts.indicator_benchmarks where rank_of < 100 and value is not null "
        "and (rank is not null or rank_note not like 'not ranked: %')",
    )
    assert thin[0][0] == 0


def test_wiltshire_neighbour_dorset_mapped_from_the_county_before_2019(warehouse):
    """Wiltshire's 2021-model neighbour Dorset (838, from April 2019) is the Dorset county (835) in 2016/17."""
    (row,) = rows(
        warehouse,
        """
        select sn_count, sn_model, sn_mapping, sn_model_note, rank is not null
        from marts.indicator_benchmarks
        where la_code = '865' and indicator_code = 'exclusions_suspension_rate' and time_period = 201617
        and breakdown = 'Total'""",
    )
    assert row == (
        10,
        "2021 (earliest loaded; none in force for the period)",
        "838 from 835",
        "no model for 2017 is loaded: the earliest, 2021, is used",
        True,
    )


def test_regions_do_not_double_count_london(warehouse):
    flags = dict(
        rows(
            warehouse,
            "select source_file like '%absence_la.csv', bool_or(in_regional_sum) "
            "from marts.school_statistics_long where is_london_subregion group by 1",
        )
    )
    assert flags == {True: False, False: True}  # E13 rows count only where the file has no London row


def test_las_that_no_longer_exist_keep_their_codes(warehouse):
    found = {
        code
        for (code,) in rows(
            warehouse,
            "select distinct la_code from marts.school_statistics_long "
            "where la_code in ('820', '875', '835', '836', '837', '909', '928')",
        )
    }
    assert found == {"820", "875", "835", "836", "837", "909", "928"}
    dorset = rows(
        warehouse,
        "select distinct la_code from marts.school_statistics_long where "
        "source_file like '%absence_la.csv' and area_name = 'Dorset' order by 1",
    )
    assert dorset == [("835",), ("838",)]


def test_all_checks_passed_and_marts_have_one_row_per_key(warehouse):
    failed = rows(
        warehouse,
        "select asset, check_name, details from quality.check_results where not passed and severity = 'ERROR'",
    )
    assert failed == []
    names = {n for (n,) in rows(warehouse, "select check_name from quality.check_results")}
    assert "gx: rates within 0-100" in names and "gx: LA codes known for their period" in names
    assert any("school_exclusions" in n and "unique_combination" in n for n in names)
    for table, key in (
        ("school_absence", "area_code, time_period, breakdown"),
        ("school_exclusions", "area_code, time_period, breakdown"),
        ("school_statistics_long", "source, indicator, area_code, time_period, breakdown"),
    ):
        total, distinct = rows(warehouse, f"select count(*), count(distinct ({key})) from marts.{table}")[0]
        assert total == distinct > 0
    codes = {c for (c,) in rows(warehouse, "select distinct indicator_code from marts.indicator_values")}
    catalogue = {c for (c,) in rows(warehouse, "select indicator_code from marts.indicator_catalogue")}
    assert codes <= catalogue


def test_fractional_counts_load_as_published(warehouse):
    fractional = dict(
        rows(
            warehouse,
            "select regexp_extract(source_file, '[^/]+$'), count(*) "
            "from marts.school_statistics_long where indicator_kind = 'count' "
            "and value <> floor(value) group by 1",
        )
    )
    assert fractional == {"exclusions_by_reason.csv": 3546, "clean_la_data.csv": 7}
    brent = rows(
        warehouse,
        "select published_value, value from marts.school_statistics_long where area_code = '304' "
        "and time_period = 200910 and indicator = 'perm_excl' and published_value = '45.9412'",
    )
    assert brent == [("45.9412", pytest.approx(45.9412))]


def test_school_types_of_every_file_are_harmonised(warehouse):
    found = {
        t
        for (t,) in rows(
            warehouse,
            "select distinct regexp_extract(breakdown, 'school_type=([^;]+)', 1) "
            "from marts.school_statistics_long where breakdown like '%school_type=%'",
        )
    }
    assert found == {
        "State-funded primary",
        "State-funded secondary",
        "Special",
        "State-funded alternative provision school",
    }
    published = {
        t
        for (t,) in rows(
            warehouse,
            "select distinct regexp_extract(breakdown_published, "
            "'school_type=([^;]+)', 1) from marts.school_statistics_long "
            "where breakdown_published like '%school_type=%'",
        )
    }
    assert {"Primary", "Secondary", "Pupil referral unit"} <= published


def test_the_suspensions_file_keeps_its_social_care_groups(warehouse):
    found = dict(
        rows(
            warehouse,
            "select indicator, value from marts.school_statistics_long where area_code = '865' "
            "and time_period = 202021 and breakdown = ? "
            "and source_file like '%permanent_exclusions_and_suspensions_la.csv'",
            ("social_care_group=CLA 12 months at 31 March",),
        )
    )
    assert found == {
        "t_pupils": 218,
        "t_perm_excl": 0,
        "pt_perm_excl": 0,
        "t_one_plus_sus": 24,
        "pt_one_plus_sus": pytest.approx(11.01),
    }


def test_a_pru_only_file_is_never_read_benchmarked_or_ranked_as_the_las_total(warehouse):
    values = dict(
        rows(
            warehouse,
            "select breakdown, value from marts.indicator_values where area_code = '340' "
            "and indicator_code = 'absence_overall_rate' and time_period = 201617 "
            "and breakdown in (?, ?)",
            (TWO_TERMS, PRU),
        )
    )
    assert values == {TWO_TERMS: pytest.approx(5.1), PRU: pytest.approx(42.9)}
    benchmarks = dict(
        rows(
            warehouse,
            "select breakdown, (value, england_value, region_value) "
            "from marts.indicator_benchmarks where la_code = '340' "
            "and indicator_code = 'absence_overall_rate' and time_period = 201617 "
            "and breakdown in (?, ?)",
            (TWO_TERMS, PRU),
        )
    )
    assert benchmarks[TWO_TERMS] == (pytest.approx(5.1), pytest.approx(4.1), pytest.approx(4.4))
    assert benchmarks[PRU] == (pytest.approx(42.9), pytest.approx(33.0), pytest.approx(35.5))
    elsewhere = rows(
        warehouse,
        "select breakdown from marts.indicator_benchmarks where la_code = '340' "
        "and time_period = 201617 and value = 42.9",
    )
    assert elsewhere == [(PRU,)]
    log = rows(warehouse, "select reason from quality.load_log where file_path like '%absence_2term_la_b.csv'")
    assert "covers part of the pupils: school_type=Pupil referral unit (from the title" in log[0][0]
