"""An LA's own adoption scorecard thresholds, a reference list dropped into ``raw/reference/``.

It replaces the bundled seed ``adoption_scorecard_thresholds`` (docs/adoption.md). A reference list like the
LA codes and statistical neighbours, so :func:`pipelines.lib.reference.lists.parse_reference_file` recognises it; it
lives apart from the published scorecards (:mod:`pipelines.lib.sources.adoption_scorecards`), which need the LA list
to resolve codes: the scorecards depend on the reference lists, never the other way round.
"""

from __future__ import annotations

import re

from pipelines.lib.ingest.load import RawTable
from pipelines.lib.ingest.readers import Sheet, find_header_row, normalise_header
from pipelines.lib.ingest.rules import ParsedTable, Rejection

_YEAR = re.compile(r"^(?:19|20)\d{2}$")
THRESHOLD_COLUMNS = ("period_end_year", "scorecard_code", "threshold", "threshold_unit", "verified", "note")
THRESHOLD_REQUIRED = ("period_end_year", "scorecard_code", "threshold")
THRESHOLDS_TABLE = RawTable("reference_adoption_thresholds", THRESHOLD_COLUMNS)
UNITS = {"A1": "days", "A2": "days", "A3": "months", "A10": "days"}
_TRUE = {"true", "yes", "y", "1", "verified"}
_FALSE = {"false", "no", "n", "0", "unverified", ""}


def is_threshold_sheet(sheet: Sheet) -> bool:
    """A table of adoption scorecard thresholds: columns period_end_year, scorecard_code, threshold."""
    return find_header_row(sheet.rows, set(THRESHOLD_REQUIRED), max_scan=10) is not None


def parse_threshold_sheet(sheet: Sheet) -> ParsedTable:
    """An LA's thresholds, one row per first period (end year) and code; later periods take the latest row."""
    at = find_header_row(sheet.rows, set(THRESHOLD_REQUIRED), max_scan=10)
    header = [normalise_header(c) for c in sheet.rows[at]]
    index = {col: header.index(col) for col in THRESHOLD_COLUMNS if col in header}
    parsed = ParsedTable(THRESHOLDS_TABLE.name, sheet=sheet.name)
    seen: dict[tuple, int] = {}
    for number, row in enumerate(sheet.rows[at + 1 :], start=at + 2):
        if not any(c for c in row):
            continue
        parsed.rows_read += 1
        cells = {col: ((row[i] or "").strip() if i < len(row) else "") for col, i in index.items()}
        year, code, threshold = cells["period_end_year"], cells["scorecard_code"].upper(), cells["threshold"]
        verified = cells.get("verified", "").lower()
        bad = _cell_problems(number, cells, code)
        if not bad:
            if (year, code) in seen:
                bad.append(
                    Rejection(
                        number,
                        "scorecard_code",
                        code,
                        f"duplicate: the same period and code are on row {seen[(year, code)]}, which is kept",
                    )
                )
            else:
                seen[(year, code)] = number
        if bad:
            parsed.rejections.extend(bad)
            continue
        parsed.rows.append(
            {
                "period_end_year": year,
                "scorecard_code": code,
                "threshold": threshold,
                "threshold_unit": UNITS[code],
                "verified": "true" if verified in _TRUE else "false",
                "note": cells.get("note") or None,
                "_row_number": number,
            }
        )
    return parsed


def _cell_problems(number: int, cells: dict[str, str], code: str) -> list[Rejection]:
    """What is wrong with one row's cells (``code`` upper-cased), each a rejection naming the column."""
    bad = []
    year, threshold = cells["period_end_year"], cells["threshold"]
    if not _YEAR.match(year):
        bad.append(
            Rejection(
                number,
                "period_end_year",
                year or None,
                "period_end_year must be the year a three-year period ends, e.g. 2011 for 2008-11",
            )
        )
    if code not in UNITS:
        bad.append(Rejection(number, "scorecard_code", code or None, "scorecard_code must be A1, A2, A3 or A10"))
    if not threshold.isdigit() or int(threshold) <= 0:
        bad.append(
            Rejection(
                number,
                "threshold",
                threshold or None,
                "threshold must be a whole number of days (A1, A2, A10) or months (A3)",
            )
        )
    unit = cells.get("threshold_unit", "").lower()
    if code in UNITS and unit and unit != UNITS[code]:
        bad.append(Rejection(number, "threshold_unit", unit, f"the {code} threshold is in {UNITS[code]}"))
    verified = cells.get("verified", "").lower()
    if verified not in _TRUE | _FALSE:
        bad.append(Rejection(number, "verified", verified, "verified must be true or false"))
    return bad
