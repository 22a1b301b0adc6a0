"""The blocking GX suite on the raw school statistics catches what the ingest quarantines."""

from __future__ import annotations

import duckdb
import pandas as pd

from expectations.runner import validate_frame
from expectations.schools import check_query, prepare_frame, school_statistics_suite
from pipelines.lib.ingest.load import ensure_raw_table
from pipelines.lib.reference.school_areas import load_area_reference
from pipelines.lib.sources.school_statistics import parse_period, values_table

BASE = {
    "file_layout": "ees",
    "time_period": "201011",
    "time_identifier": "Academic year",
    "period_label": "2010/11",
    "geographic_level": "Local authority",
    "geography_level": "local_authority",
    "area_code": "865",
    "la_code": "865",
    "breakdown": "Total",
    "indicator": "sess_overall_percent",
    "indicator_kind": "percent",
    "raw_value": "5",
    "value": "5",
    "status_symbol": None,
    "_file_path": "a.csv",
    "_row_number": 2,
}


def failures(rows: list[dict], tmp_path) -> set[str]:
    reference = load_area_reference(None)
    con = duckdb.connect()
    table = values_table("school_absence")
    con.execute("create schema raw")
    ensure_raw_table(con, table)
    frame = pd.DataFrame([{**BASE, **row} for row in rows])
    con.register("incoming", frame)
    con.execute(f"insert into raw.{table.name} by name select * from incoming")
    summary = con.execute(check_query(table.name)).df()
    summary = prepare_frame(summary, lambda la, tp, ti: reference.exists_in(la, parse_period(tp, ti).period))
    outcomes = validate_frame(
        summary, school_statistics_suite(table.name, reference.known_la_codes, reference.regions), tmp_path, "test"
    )
    return {o.name for o in outcomes if not o.passed}


def test_clean_rows_pass_and_broken_invariants_fail(tmp_path):
    # a fractional count is as DfE published it (apportioned pupils excluded for several reasons): no failure
    assert (
        failures(
            [
                {},
                {"_row_number": 3, "indicator": "sess_possible", "indicator_kind": "count", "value": "1000"},
                {"_row_number": 4, "indicator": "perm_excl", "indicator_kind": "count", "value": "3.29412"},
            ],
            tmp_path,
        )
        == set()
    )
    broken = [
        {"value": "120"},
        {"_row_number": 3, "indicator": "perm_excl", "indicator_kind": "count", "value": "-2"},
        {"_row_number": 4, "la_code": "838", "area_code": "838"},
        {"_row_number": 5, "la_code": "999", "area_code": "999"},
        {"_row_number": 6, "geographic_level": "Ward"},
        {"_row_number": 7, "value": None, "status_symbol": "q"},
        {"_row_number": 2},
    ]
    assert failures(broken, tmp_path) == {
        "rates within 0-100",
        "counts and rates not negative",
        "LA codes known for their period",
        "LA codes known",
        "geographic_level National, Regional or Local authority",
        "status symbols c, x, z, low, u",
        "one value per file row and indicator",
    }
