"""Published adoption scorecard figures (England, regions, LAs) for benchmarking, from ``raw/adoption_scorecards/``.

A CSV (or XLSX) in Explore Education Statistics shape, recognised by its header: ``time_period`` (the year
ending 31 March in which the three-year period ends, e.g. ``2011`` for April 2008 to March 2011),
``geographic_level``, ``country_code``, ``region_code``, ``old_la_code``, ``new_la_code``, ``la_name``,
``indicator`` (``A1``, ``A2``, ``A3``, ``A10``), ``value`` and optionally ``children``. A value cell may hold
a GSS symbol instead of a number (``c``, ``x``, ``z``, ``low``, ``u``, and legacy ``:``, ``~``, ``..``,
``.``, ``-``, ``k``): the value is then null and the symbol kept.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.lib.ingest.load import FileRejected, RawTable
from pipelines.lib.ingest.readers import Sheet, find_header_row, normalise_header, read_tables
from pipelines.lib.ingest.rules import ParsedTable, Rejection, integer_problem
from pipelines.lib.reference.areas import LaLookup

SOURCE = "adoption_scorecards"
INDICATORS = ("A1", "A2", "A3", "A10")
REQUIRED = ("time_period", "geographic_level", "indicator", "value")
OPTIONAL = (
    "country_code",
    "region_code",
    "old_la_code",
    "new_la_code",
    "la_name",
    "children",
    "region_name",
    "country_name",
)
LEVELS = {
    "national": "national",
    "regional": "regional",
    "local authority": "local_authority",
    "local_authority": "local_authority",
}
ENGLAND = "E92000001"
SYMBOLS = {
    "c": "c",
    "x": "x",
    "z": "z",
    "low": "low",
    "u": "u",
    "k": "low",
    ":": "x",
    "~": "low",
    "..": "x",
    ".": "x",
    "-": "x",
}

TABLE = RawTable(
    "adoption_scorecards_published",
    (
        "time_period",
        "geographic_level",
        "area_code",
        "la_code",
        "region_code",
        "area_name",
        "indicator",
        "value",
        "status_symbol",
        "children",
    ),
)
TABLES = (TABLE,)

_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_REGION = re.compile(r"^E1[23]\d{6}$")
_COLUMN_NAME = re.compile(r"^[A-Za-z][A-Za-z_ ]*$")


def _number(text: str | None) -> tuple[str | None, str | None]:
    """(value, status_symbol) of a value cell; ValueError for anything else."""
    if text is None or not text.strip():
        return None, None
    value = text.strip().replace(",", "")
    if value.lower() in SYMBOLS:
        return None, SYMBOLS[value.lower()]
    if _NUMBER.match(value):
        return value, None
    raise ValueError(f"'{text}' is neither a number nor a GSS symbol (c, x, z, low, u)")


def _row(cells: dict, row_number: int, lookup: LaLookup) -> tuple[dict | None, list[Rejection]]:
    """One published row as the raw table's row, or None and its rejections (every rule checked, in column
    order: a row that breaks two rules says both)."""
    bad: list[Rejection] = []

    def reject(column, value, reason):
        bad.append(Rejection(row_number, column, value, reason))

    out = {"_row_number": row_number}
    period = (cells.get("time_period") or "").strip()
    if not _YEAR.match(period):
        reject(
            "time_period",
            cells.get("time_period"),
            f"time_period '{period}' is not a year: give the year ending 31 March in which the three-year "
            "period ends, e.g. 2011 for April 2008 to March 2011",
        )
    out["time_period"] = period
    level = LEVELS.get(" ".join((cells.get("geographic_level") or "").lower().split()))
    if level is None:
        reject(
            "geographic_level",
            cells.get("geographic_level"),
            "geographic_level must be National, Regional or Local authority",
        )
    out["geographic_level"] = level
    indicator = (cells.get("indicator") or "").strip().upper()
    if indicator not in INDICATORS:
        reject("indicator", cells.get("indicator"), f"indicator '{indicator}' is not one of {', '.join(INDICATORS)}")
    out["indicator"] = indicator
    try:
        out["value"], out["status_symbol"] = _number(cells.get("value"))
    except ValueError as exc:
        reject("value", cells.get("value"), str(exc))
    try:
        out["children"] = _children(cells.get("children"))
    except ValueError as exc:
        reject("children", cells.get("children"), str(exc))
    out.update(_area(cells, level, lookup, reject))
    return (None if bad else out), bad


def _children(text: str | None) -> str | None:
    """The count of children of a row (a whole number, or none); ValueError naming the problem."""
    children, _ = _number(text)
    problem = integer_problem(children, "children") if children is not None else None
    if problem:
        raise ValueError(problem)
    return children


def _area(cells: dict, level: str | None, lookup: LaLookup, reject) -> dict:
    """la_code, region_code, area_code and area_name of a row of the given level; ``reject`` told why not."""
    out = {"la_code": None, "region_code": (cells.get("region_code") or "").strip().upper() or None}
    if level == "national":
        out["area_code"] = (cells.get("country_code") or "").strip().upper() or ENGLAND
        out["area_name"] = (cells.get("country_name") or "").strip() or "England"
    elif level == "regional":
        if not out["region_code"] or not _REGION.match(out["region_code"]):
            reject(
                "region_code",
                cells.get("region_code"),
                "a Regional row needs region_code, the ONS code of the region (E12...)",
            )
        out["area_code"] = out["region_code"]
        out["area_name"] = (cells.get("region_name") or "").strip() or None
    elif level == "local_authority":
        code = (cells.get("old_la_code") or "").strip() or (cells.get("new_la_code") or "").strip()
        try:
            out["la_code"] = lookup.resolve(code)
        except ValueError as exc:
            reject("old_la_code", code or None, f"{exc}; a Local authority row needs old_la_code or new_la_code")
        out["area_code"] = out["la_code"]
        out["area_name"] = (cells.get("la_name") or "").strip() or None
    return out


def parse_sheet(sheet: Sheet, at: int, lookup: LaLookup) -> ParsedTable:
    header = [normalise_header(c) for c in sheet.rows[at]]
    index = {col: header.index(col) for col in (*REQUIRED, *OPTIONAL) if col in header}
    parsed = ParsedTable(TABLE.name, sheet=sheet.name)
    seen: dict[tuple, int] = {}
    for number, row in enumerate(sheet.rows[at + 1 :], start=at + 2):
        if not any(c for c in row):
            continue
        parsed.rows_read += 1
        cells = {col: (row[i] if i < len(row) else None) for col, i in index.items()}
        out, bad = _row(cells, number, lookup)
        if out is not None:
            key = (out["area_code"], out["time_period"], out["indicator"])
            if key in seen:
                bad.append(
                    Rejection(
                        number,
                        "indicator",
                        out["indicator"],
                        f"duplicate: the same area, time_period and indicator are on row {seen[key]}, which is kept",
                    )
                )
            else:
                seen[key] = number
        if bad:
            parsed.rejections.extend(bad)
            continue
        parsed.rows.append(out)
    return parsed


def parse_scorecard_file(path: Path, lookup: LaLookup) -> list[ParsedTable]:
    """Every published-scorecard table in a file; FileRejected when there is none."""
    _fmt, sheets = read_tables(path)
    tables = []
    for sheet in sheets:
        at = find_header_row(sheet.rows, set(REQUIRED))
        if at is not None:
            tables.append(parse_sheet(sheet, at, lookup))
    if not tables:
        first = next((r for s in sheets for r in s.rows if any(r)), [])
        # only cells that look like column names: a data row (say a child-level return dropped here by
        # mistake) must not be copied into the load log
        found = ", ".join(c for c in first if c and _COLUMN_NAME.match(c))[:300] or "no column names"
        raise FileRejected(
            f"not a published adoption scorecard file: expected columns {', '.join(REQUIRED)} (EES shape, with "
            f"country_code, region_code, old_la_code, new_la_code, la_name); first row found: {found}"
        )
    return tables
