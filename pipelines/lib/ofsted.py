"""Ofsted inspection outcomes: the official workbook and judgement-record files.

Both formats are recognised by their headers, never by file name. The workbook's
three data sheets have title rows above the header; its LAs are ONS-coded. The
judgement records carry the older frameworks (SLAC, CP, SIF) that Ofsted
published only as PDF reports, one row per graded judgement.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipelines.lib.areas import LaLookup
from pipelines.lib.ingest import FileRejected, RawTable
from pipelines.lib.parsing import grade_rank, iso_date, parse_date, parse_framework
from pipelines.lib.readers import Sheet, find_header_row, normalise_header, read_tables
from pipelines.lib.rules import ParsedTable, Rejection, quarantine_repeats

# Workbook headers (normalised) -> raw column.
WORKBOOK_COLUMNS = {
    "local authority area code": "area_code",
    "local authority name": "la_name",
    "local authority status": "la_status",
    "ofsted region": "ofsted_region",
    "region": "ofsted_region",
    "inspection date": "inspection_date",
    "inspection/visit date": "inspection_date",
    "publication date": "publication_date",
    "inspection type": "inspection_type",
    "inspection/visit type": "inspection_type",
    "visit theme": "visit_theme",
    "overall effectiveness": "overall_effectiveness",
    "the impact of leaders on social work practice with children and families": "impact_of_leaders",
    "the experiences and progress of children who need help and protection": "help_and_protection",
    "the experiences and progress of children in care": "children_in_care",
    "the experiences and progress of care leavers": "care_leavers",
}
GRADE_COLUMNS = ("overall_effectiveness", "impact_of_leaders", "help_and_protection", "children_in_care",
                 "care_leavers")
WORKBOOK_REQUIRED = {"local authority area code", "publication date", "overall effectiveness"}

WORKBOOK_TABLE = RawTable(
    "ofsted_workbook_rows",
    ("sheet_kind", "area_code", "la_code", "la_name", "la_status", "ofsted_region", "inspection_date",
     "publication_date", "inspection_type", "visit_theme", *GRADE_COLUMNS),
)

RECORD_COLUMNS = ("la_code", "framework", "inspection_type", "inspection_start_date", "inspection_end_date",
                  "publication_date", "service_area", "judgement_area", "grade")
RECORD_REQUIRED = ("la_code", "framework", "inspection_start_date", "publication_date", "service_area",
                   "judgement_area", "grade")
RECORD_TABLE = RawTable("ofsted_judgement_records", (*RECORD_COLUMNS, "source_la_code"))

TABLES = (WORKBOOK_TABLE, RECORD_TABLE)


def _sheet_kind(headers: set[str]) -> str:
    if "inspection/visit type" in headers:
        return "in_year"
    if "local authority status" in headers:
        return "history"
    return "as_at_31_march"


def _cells(row: list[str | None], index: dict[str, int]) -> dict[str, str | None]:
    return {col: (row[i].strip() if i < len(row) and row[i] is not None else None) for col, i in index.items()}


def _check_order(rejections: list[Rejection], row_number: int, first: str, first_value, second: str,
                 second_value) -> None:
    if first_value and second_value and parse_date(first_value) > parse_date(second_value):
        rejections.append(Rejection(row_number, second, second_value,
                                    f"{second} {second_value} is before {first} {first_value}"))


def parse_workbook_sheet(sheet: Sheet, header_at: int, lookup: LaLookup, today: dt.date) -> ParsedTable:
    """Rows of one data sheet of Ofsted's workbook, with the row rules applied."""
    header = sheet.rows[header_at]
    index = {}
    for i, cell in enumerate(header):
        col = WORKBOOK_COLUMNS.get(normalise_header(cell))
        if col and col not in index:
            index[col] = i
    kind = _sheet_kind({normalise_header(c) for c in header})
    parsed = ParsedTable(WORKBOOK_TABLE.name, sheet=sheet.name)
    for offset, row in enumerate(sheet.rows[header_at + 1:], start=header_at + 2):
        if not any(c for c in row):
            continue
        parsed.rows_read += 1
        cells = _cells(row, index)
        bad: list[Rejection] = []
        try:
            cells["la_code"] = lookup.resolve(cells.get("area_code"))
        except ValueError as exc:
            bad.append(Rejection(offset, "Local authority area code", cells.get("area_code"), str(exc)))
        for col in ("inspection_date", "publication_date"):
            try:
                cells[col] = iso_date(cells.get(col))
                if cells[col] is None:
                    raise ValueError(f"{col.replace('_', ' ')} is blank")
                if dt.date.fromisoformat(cells[col]) > today:
                    raise ValueError(f"{col.replace('_', ' ')} {cells[col]} is in the future")
            except ValueError as exc:
                bad.append(Rejection(offset, col, cells.get(col), str(exc)))
        if not bad:
            _check_order(bad, offset, "inspection_date", cells["inspection_date"], "publication_date",
                         cells["publication_date"])
        for col in GRADE_COLUMNS:
            if cells.get(col):
                try:
                    grade_rank(cells[col], "ILACS")
                except ValueError as exc:
                    bad.append(Rejection(offset, col, cells[col], str(exc)))
        if bad:
            parsed.rejections.extend(bad)
            continue
        cells["sheet_kind"] = kind
        cells["_row_number"] = offset
        parsed.rows.append(cells)
    quarantine_repeats(parsed, lambda r: (r["la_code"], r["inspection_date"]) if r.get("overall_effectiveness") else None,
                       "an overall effectiveness judgement of this LA inspected on this date")
    return parsed


def _parse_record_row(cells: dict, offset: int, lookup: LaLookup, today: dt.date) -> list[Rejection]:
    bad: list[Rejection] = []
    for col in RECORD_REQUIRED:
        if not cells.get(col):
            bad.append(Rejection(offset, col, None, f"{col} is blank; every judgement needs one"))
    if bad:
        return bad
    cells["source_la_code"] = cells["la_code"]
    try:
        cells["la_code"] = lookup.resolve(cells["la_code"])
    except ValueError as exc:
        bad.append(Rejection(offset, "la_code", cells["source_la_code"], str(exc)))
    try:
        cells["framework"] = parse_framework(cells["framework"])
        grade_rank(cells["grade"], cells["framework"])
    except ValueError as exc:
        column = "framework" if "framework" in str(exc) and "grade" not in str(exc) else "grade"
        bad.append(Rejection(offset, column, cells[column], str(exc)))
    for col in ("inspection_start_date", "inspection_end_date", "publication_date"):
        try:
            cells[col] = iso_date(cells.get(col))
            if cells[col] and dt.date.fromisoformat(cells[col]) > today:
                raise ValueError(f"{col.replace('_', ' ')} {cells[col]} is in the future")
        except ValueError as exc:
            bad.append(Rejection(offset, col, cells.get(col), str(exc)))
    if not bad:
        _check_order(bad, offset, "inspection_start_date", cells["inspection_start_date"], "inspection_end_date",
                     cells["inspection_end_date"])
        _check_order(bad, offset, "inspection_start_date", cells["inspection_start_date"], "publication_date",
                     cells["publication_date"])
        _check_order(bad, offset, "inspection_end_date", cells["inspection_end_date"], "publication_date",
                     cells["publication_date"])
    return bad


def parse_judgement_records(sheet: Sheet, header_at: int, lookup: LaLookup, today: dt.date) -> ParsedTable:
    """Judgement-record rows with the row rules; a repeated judgement is quarantined, the first kept."""
    header = [normalise_header(c) for c in sheet.rows[header_at]]
    missing = [c for c in RECORD_REQUIRED if c not in header]
    if missing:
        found = ", ".join(h for h in header if h) or "none"
        raise FileRejected(
            f"sheet '{sheet.name}' looks like Ofsted judgement records but lacks required column(s) "
            f"{', '.join(missing)}; columns found: {found}"
        )
    index = {col: header.index(col) for col in RECORD_COLUMNS if col in header}
    parsed = ParsedTable(RECORD_TABLE.name, sheet=sheet.name)
    seen: dict[tuple, int] = {}
    for offset, row in enumerate(sheet.rows[header_at + 1:], start=header_at + 2):
        if not any(c for c in row):
            continue
        parsed.rows_read += 1
        cells = _cells(row, index)
        bad = _parse_record_row(cells, offset, lookup, today)
        if not bad:
            key = (cells["la_code"], cells["framework"], cells["inspection_start_date"],
                   cells["service_area"].lower(), cells["judgement_area"].lower())
            if key in seen:
                bad.append(Rejection(offset, "judgement_area", cells["judgement_area"],
                                     f"duplicate judgement: the same LA, framework, start date, service area and "
                                     f"judgement area are on row {seen[key]}, which is kept"))
            else:
                seen[key] = offset
        if bad:
            parsed.rejections.extend(bad)
            continue
        cells["_row_number"] = offset
        parsed.rows.append(cells)
    return parsed


def parse_ofsted_file(path: Path, lookup: LaLookup, today: dt.date | None = None) -> list[ParsedTable]:
    """Every Ofsted table in a file; FileRejected when it holds none."""
    today = today or dt.date.today()
    _fmt, sheets = read_tables(path)
    tables: list[ParsedTable] = []
    for sheet in sheets:
        at = find_header_row(sheet.rows, WORKBOOK_REQUIRED)
        if at is not None:
            tables.append(parse_workbook_sheet(sheet, at, lookup, today))
            continue
        at = _find_record_header(sheet.rows)
        if at is not None:
            tables.append(parse_judgement_records(sheet, at, lookup, today))
    if not tables:
        first = next((r for s in sheets for r in s.rows if any(r)), [])
        found = ", ".join(c for c in first if c) or "none"
        raise FileRejected(
            "not an Ofsted file this warehouse knows: expected Ofsted's 'Local authority inspection outcomes' "
            f"workbook or judgement records with columns {', '.join(RECORD_COLUMNS)}; first row found: {found}"
        )
    return tables


def _find_record_header(rows: list[list[str | None]]) -> int | None:
    """The header of a judgement-record table: the first row naming at least three of its columns."""
    wanted = set(RECORD_COLUMNS)
    for i, row in enumerate(rows[:30]):
        if len(wanted & {normalise_header(c) for c in row}) >= 3:
            return i
    return None
