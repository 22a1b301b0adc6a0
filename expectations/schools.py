"""Suites for the raw school statistics tables (``raw.school_absence_values``, ``raw.school_exclusions_values``).

Every expectation here is also a rule of the ingest (``pipelines/lib/sources/school_statistics.py``), which
quarantines the rows that break it; the suites are blocking checks that those invariants hold.

The long tables can hold millions of cells, so the suite validates them summarised in SQL: one row per
file, indicator, area, period and status (:func:`check_query`), with the lowest and highest value, and counts
of cells without a value or status, of values that are not numbers and of cells given twice. Every cell is
covered; only the frame is smaller.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from pipelines.lib.ingest.rules import phrase_pattern
from pipelines.lib.sources.school_statistics import LEVELS

GROUP_COLUMNS = (
    "_file_path",
    "indicator",
    "indicator_kind",
    "time_period",
    "time_identifier",
    "period_label",
    "geographic_level",
    "geography_level",
    "area_code",
    "la_code",
    "status_symbol",
)
GEOGRAPHY_LEVELS = ("national", "regional", "local_authority")
# The geographic levels the ingest keeps (any case, any run of whitespace between and around the words), so that
# the check holds exactly what the ingest's rule lets through (``Local\u00a0authority`` included).
PUBLISHED_LEVELS = phrase_pattern(LEVELS)
STATUS_SYMBOLS = ("c", "x", "z", "low", "u")


def check_query(table: str) -> str:
    """The summary of ``raw.<table>`` the suite validates."""
    groups = ", ".join(GROUP_COLUMNS)
    return f"""
        with cells as (select *, try_cast(value as double) as number from raw."{table}")
        select {groups},
            count(*) as cells,
            min(number) as min_value,
            max(number) as max_value,
            count(*) filter (where value is null and status_symbol is null) as empty_cells,
            count(*) filter (where value is not null and number is null) as non_numbers,
            count(*) filter (where breakdown is null) as missing_breakdowns,
            count(*) - count(distinct _row_number) as repeated_cells
        from cells
        group by all
    """


def prepare_frame(frame: pd.DataFrame, known_in_period) -> pd.DataFrame:
    """Add ``la_known_in_period`` (null except on LA rows), computed once per distinct (LA, period)."""
    frame = frame.copy()
    is_la = (frame["geography_level"] == "local_authority") & frame["la_code"].notna()
    keys = ["la_code", "time_period", "time_identifier"]
    distinct = frame.loc[is_la, keys].drop_duplicates()
    distinct["_known"] = [known_in_period(*key) for key in distinct.itertuples(index=False, name=None)]
    known = frame[keys].merge(distinct, on=keys, how="left")["_known"].to_numpy()
    frame["la_known_in_period"] = pd.Series(known, dtype="object", index=frame.index).where(is_la, None)
    return frame


def school_statistics_suite(table: str, known_la_codes: Iterable[str], region_codes: Iterable[str]):
    """Expectations on the summary of a raw school statistics table (:func:`check_query`)."""
    import great_expectations as gx

    e = gx.expectations
    zero = {"value_set": [0]}
    expectations = [
        *(
            e.ExpectColumnToExist(column=c, meta={"check": f"required column {c} present"})
            for c in ("time_period", "time_identifier", "geographic_level", "indicator", "status_symbol")
        ),
        *(
            e.ExpectColumnValuesToNotBeNull(column=c, meta={"check": f"{c} present on every row"})
            for c in ("time_period", "geographic_level", "geography_level", "area_code", "indicator")
        ),
        e.ExpectColumnValuesToBeInSet(column="missing_breakdowns", **zero, meta={"check": "breakdown on every row"}),
        e.ExpectColumnValuesToMatchRegex(
            column="time_period", regex=r"^\d{4}(?:\d{2})?$", meta={"check": "time_period as EES (201011, 2011)"}
        ),
        e.ExpectColumnValuesToBeInSet(
            column="geography_level", value_set=list(GEOGRAPHY_LEVELS), meta={"check": "geography level known"}
        ),
        e.ExpectColumnValuesToMatchRegex(
            column="geographic_level",
            regex=PUBLISHED_LEVELS,
            meta={"check": "geographic_level National, Regional or Local authority"},
        ),
        *_area_expectations(e, known_la_codes, region_codes),
        e.ExpectColumnValuesToBeInSet(
            column="status_symbol", value_set=list(STATUS_SYMBOLS), meta={"check": "status symbols c, x, z, low, u"}
        ),
        e.ExpectColumnValuesToBeInSet(column="empty_cells", **zero, meta={"check": "every cell a number or a status"}),
        e.ExpectColumnValuesToBeInSet(column="non_numbers", **zero, meta={"check": "values are numbers"}),
        e.ExpectColumnValuesToBeBetween(
            column="max_value",
            min_value=0,
            max_value=100,
            row_condition='indicator_kind=="percent"',
            condition_parser="pandas",
            meta={"check": "rates within 0-100"},
        ),
        e.ExpectColumnValuesToBeBetween(
            column="min_value",
            min_value=0,
            row_condition='indicator_kind in ["count", "rate", "percent"]',
            condition_parser="pandas",
            meta={"check": "counts and rates not negative"},
        ),
        e.ExpectColumnValuesToBeInSet(
            column="repeated_cells", **zero, meta={"check": "one value per file row and indicator"}
        ),
    ]
    return gx.ExpectationSuite(name=f"raw_{table}", expectations=expectations)


def _area_expectations(e, known_la_codes: Iterable[str], region_codes: Iterable[str]) -> list:
    """Expectations on the areas: England for national rows, known region codes, LA codes known (for their
    period too). ``e`` is ``great_expectations.expectations``."""
    return [
        e.ExpectColumnValuesToBeInSet(
            column="area_code",
            value_set=["E92000001"],
            row_condition='geography_level=="national"',
            condition_parser="pandas",
            meta={"check": "national rows are England"},
        ),
        e.ExpectColumnValuesToBeInSet(
            column="area_code",
            value_set=sorted(set(region_codes)),
            row_condition='geography_level=="regional"',
            condition_parser="pandas",
            meta={"check": "region codes known"},
        ),
        e.ExpectColumnValuesToBeInSet(
            column="la_code", value_set=sorted(set(known_la_codes)), meta={"check": "LA codes known"}
        ),
        e.ExpectColumnValuesToBeInSet(
            column="la_known_in_period", value_set=[True], meta={"check": "LA codes known for their period"}
        ),
    ]
