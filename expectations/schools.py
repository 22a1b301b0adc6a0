"""Suites for the raw school statistics tables (``raw.school_absence_values``, ``raw.school_exclusions_values``).

Every expectation here is also a rule of the ingest (``pipelines/lib/school_statistics.py``), which
quarantines the rows that break it; the suites are blocking checks that those invariants hold.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

REQUIRED_COLUMNS = ("time_period", "time_identifier", "period_label", "geographic_level", "geography_level",
                    "area_code", "breakdown", "indicator", "raw_value", "value", "status_symbol")
CHECKED_COLUMNS = (*REQUIRED_COLUMNS, "la_code", "indicator_kind", "_file_path", "_row_number")
GEOGRAPHY_LEVELS = ("national", "regional", "local_authority")
PUBLISHED_LEVELS = r"(?i)^\s*(national|region(al)?|local[ _]authority)\s*$"
STATUS_SYMBOLS = ("c", "x", "z", "low", "u")


def prepare_frame(frame: pd.DataFrame, known_in_period) -> pd.DataFrame:
    """Numbers and flags the expectations compare: ``value_number``, ``is_whole``, ``has_value_or_status``,
    ``la_known_in_period`` (null except on LA rows), computed once per distinct (LA, period)."""
    frame = frame.copy()
    frame["value_number"] = pd.to_numeric(frame["value"], errors="coerce")
    frame["is_whole"] = (frame["value_number"] % 1 == 0) | frame["value_number"].isna()
    frame["has_value_or_status"] = frame["value_number"].notna() | frame["status_symbol"].notna()
    is_la = (frame["geography_level"] == "local_authority") & frame["la_code"].notna()
    keys = frame.loc[is_la, ["la_code", "time_period", "time_identifier"]].drop_duplicates()
    verdicts = {
        (la, tp, ti): known_in_period(la, tp, ti)
        for la, tp, ti in keys.itertuples(index=False, name=None)
    }
    known = pd.Series([None] * len(frame), dtype="object", index=frame.index)
    if is_la.any():
        known[is_la] = [
            verdicts[key] for key in frame.loc[is_la, ["la_code", "time_period", "time_identifier"]]
            .itertuples(index=False, name=None)
        ]
    frame["la_known_in_period"] = known
    return frame


def school_statistics_suite(table: str, known_la_codes: Iterable[str], region_codes: Iterable[str]):
    """Expectations on a raw school statistics table."""
    import great_expectations as gx

    e = gx.expectations
    expectations = [
        *(e.ExpectColumnToExist(column=c, meta={"check": f"required column {c} present"}) for c in REQUIRED_COLUMNS),
        *(
            e.ExpectColumnValuesToNotBeNull(column=c, meta={"check": f"{c} present on every row"})
            for c in ("time_period", "geographic_level", "geography_level", "area_code", "breakdown", "indicator")
        ),
        e.ExpectColumnValuesToMatchRegex(
            column="time_period", regex=r"^\d{4}(\d{2})?$", meta={"check": "time_period as EES (201011, 2011)"}),
        e.ExpectColumnValuesToBeInSet(
            column="geography_level", value_set=list(GEOGRAPHY_LEVELS), meta={"check": "geography level known"}),
        e.ExpectColumnValuesToMatchRegex(
            column="geographic_level", regex=PUBLISHED_LEVELS,
            meta={"check": "geographic_level National, Regional or Local authority"}),
        e.ExpectColumnValuesToBeInSet(
            column="area_code", value_set=["E92000001"], row_condition='geography_level=="national"',
            condition_parser="pandas", meta={"check": "national rows are England"}),
        e.ExpectColumnValuesToBeInSet(
            column="area_code", value_set=sorted(set(region_codes)), row_condition='geography_level=="regional"',
            condition_parser="pandas", meta={"check": "region codes known"}),
        e.ExpectColumnValuesToBeInSet(
            column="la_code", value_set=sorted(set(known_la_codes)), meta={"check": "LA codes known"}),
        e.ExpectColumnValuesToBeInSet(
            column="la_known_in_period", value_set=[True], meta={"check": "LA codes known for their period"}),
        e.ExpectColumnValuesToBeInSet(
            column="status_symbol", value_set=list(STATUS_SYMBOLS), meta={"check": "status symbols c, x, z, low, u"}),
        e.ExpectColumnValuesToBeInSet(
            column="has_value_or_status", value_set=[True], meta={"check": "every cell a number or a status"}),
        e.ExpectColumnValuesToBeBetween(
            column="value_number", min_value=0, max_value=100, row_condition='indicator_kind=="percent"',
            condition_parser="pandas", meta={"check": "rates within 0-100"}),
        e.ExpectColumnValuesToBeBetween(
            column="value_number", min_value=0, row_condition='indicator_kind in ["count", "rate"]',
            condition_parser="pandas", meta={"check": "counts and rates per 100 not negative"}),
        e.ExpectColumnValuesToBeInSet(
            column="is_whole", value_set=[True], row_condition='indicator_kind=="count"',
            condition_parser="pandas", meta={"check": "counts whole numbers"}),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["_file_path", "_row_number", "indicator"],
            meta={"check": "one value per file row and indicator"}),
    ]
    return gx.ExpectationSuite(name=f"raw_{table}", expectations=expectations)
