"""Ofsted inspection outcomes: the official statistics of every vintage, and judgement-record files.

Every table is recognised by its header cells, never by file name, sheet name or row position
(docs/ofsted.md lists the vintages and layouts): long sheets (one row per inspection or visit, LAs by
ONS code or by name), wide history sheets (one row per LA, see :mod:`pipelines.lib.sources.ofsted_history`),
any number of tables on a sheet, and judgement records (one row per graded judgement) for what the
statistics leave out.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pipelines.lib.ingest.load import FileRejected, RawTable
from pipelines.lib.ingest.parsing import (
    grade_rank,
    iso_date,
    parse_date,
    parse_framework,
    squash,
)
from pipelines.lib.ingest.readers import Sheet, normalise_header, read_tables
from pipelines.lib.ingest.rules import ParsedTable, Rejection
from pipelines.lib.reference.school_areas import AreaError, AreaReference
from pipelines.lib.sources.ofsted_common import (
    NO_FULL_INSPECTION,
    checked_date,
    no_value,
    ofsted_grade_problem,
    resolve_la,
)
from pipelines.lib.sources.ofsted_history import history_groups, is_history_header

# Columns of the long sheets ("as at 31 March", in-year activity, ILACS history one row per
# inspection): raw column -> patterns on the normalised header, tried in order (first match wins).
LONG_COLUMNS = (
    ("la_status", re.compile(r"^(local authority|la) status$")),
    ("area_code", re.compile(r"^(local authority (area )?code|la code|area code|ons code|new la code|old la code)$")),
    ("la_name", re.compile(r"^(local authority name|local authority|la name)$")),
    ("ofsted_region", re.compile(r"^(ofsted region|region|la region)$")),
    ("inspection_date", re.compile(r"^(inspection date|inspection/visit date|visit date|inspection start date)$")),
    ("publication_date", re.compile(r"^(publication date|date published)$")),
    ("inspection_type", re.compile(r"^(inspection type|inspection/visit type|visit type)$")),
    ("visit_theme", re.compile(r"^(visit )?theme$")),
    ("overall_effectiveness", re.compile(r"^overall effectiveness( \(oe\))?$")),
    ("impact_of_leaders", re.compile(r"impact of leaders")),
    ("help_and_protection", re.compile(r"help and protection$")),
    ("children_in_care", re.compile(r"children in care( and care leavers)?$")),
    ("care_leavers", re.compile(r"progress of care leavers$")),
)
GRADE_COLUMNS = (
    "overall_effectiveness",
    "impact_of_leaders",
    "help_and_protection",
    "children_in_care",
    "care_leavers",
)

WORKBOOK_TABLE = RawTable(
    "ofsted_workbook_rows",
    (
        "sheet_kind",
        "area_code",
        "la_code",
        "la_name",
        "la_status",
        "ofsted_region",
        "inspection_date",
        "publication_date",
        "inspection_type",
        "visit_theme",
        *GRADE_COLUMNS,
        "remark",
    ),
)
HISTORY_TABLE = RawTable(
    "ofsted_history_judgements",
    (
        "la_name",
        "la_code",
        "ofsted_region",
        "table_number",
        "framework",
        "inspection_type",
        "inspection_date",
        "publication_date",
        "service_area",
        "judgement_area",
        "grade",
        "source_column",
    ),
)

RECORD_COLUMNS = (
    "la_code",
    "framework",
    "inspection_type",
    "inspection_start_date",
    "inspection_end_date",
    "publication_date",
    "service_area",
    "judgement_area",
    "grade",
)
RECORD_REQUIRED = (
    "la_code",
    "framework",
    "inspection_start_date",
    "publication_date",
    "service_area",
    "judgement_area",
    "grade",
)
RECORD_TABLE = RawTable("ofsted_judgement_records", (*RECORD_COLUMNS, "source_la_code"))

TABLES = (WORKBOOK_TABLE, HISTORY_TABLE, RECORD_TABLE)
EXPECTED = (
    "Ofsted's official statistics (a sheet whose header row names the LA by code or name, an inspection or "
    "publication date and 'Overall effectiveness', or a wide history row with SLAC/CP/SIF/ILACS publication "
    "dates and judgements) or judgement records with columns " + ", ".join(RECORD_COLUMNS)
)


def long_columns(header: list[str]) -> dict[str, int]:
    """Raw column -> position for a long-sheet header (normalised cells); the first cell of each wins."""
    index: dict[str, int] = {}
    for position, cell in enumerate(header):
        for column, pattern in LONG_COLUMNS:
            if cell and pattern.search(cell):
                index.setdefault(column, position)
                break
    return index


def is_long_header(header: list[str]) -> bool:
    index = long_columns(header)
    has_la = "area_code" in index or "la_name" in index
    has_date = "inspection_date" in index or "publication_date" in index
    return has_la and has_date and "overall_effectiveness" in index


def _sheet_kind(index: dict[str, int]) -> str:
    if "visit_theme" in index:
        return "in_year"
    if "la_status" in index or "inspection_type" in index:
        return "history"
    return "as_at_31_march"


def _cells(row: list[str | None], index: dict[str, int]) -> dict[str, str | None]:
    return {col: (row[i].strip() if i < len(row) and row[i] is not None else None) for col, i in index.items()}


def _check_order(
    rejections: list[Rejection], row_number: int, first: str, first_value, second: str, second_value
) -> None:
    if first_value and second_value and parse_date(first_value) > parse_date(second_value):
        rejections.append(
            Rejection(row_number, second, second_value, f"{second} {second_value} is before {first} {first_value}")
        )


def _no_full_inspection(cells: dict) -> bool:
    return any(
        squash(cells.get(c)) == NO_FULL_INSPECTION for c in ("inspection_date", "publication_date", *GRADE_COLUMNS)
    )


def _long_row(cells: dict, index: dict, offset: int, areas: AreaReference, today: dt.date) -> list[Rejection]:
    """Apply the row rules to one long-sheet row in place; the problems found."""
    bad: list[Rejection] = []
    if _no_full_inspection(cells):
        for col in ("inspection_date", "publication_date", *GRADE_COLUMNS):
            cells[col] = None
        cells["remark"] = "No full inspection"
    for col in ("inspection_date", "publication_date"):
        if col in index and cells.get("remark") is None:
            try:
                cells[col] = checked_date(cells.get(col), col, today)
                if cells[col] is None:
                    raise ValueError(f"{col.replace('_', ' ')} is blank")
            except ValueError as exc:
                bad.append(Rejection(offset, col, cells.get(col), str(exc)))
    on = next(
        (dt.date.fromisoformat(cells[c]) for c in ("inspection_date", "publication_date") if cells.get(c) and not bad),
        today,
    )
    try:
        cells["la_code"] = resolve_la(areas, cells.get("area_code"), cells.get("la_name"), on)
    except ValueError as exc:
        column = "area_code" if cells.get("area_code") else "la_name"
        bad.append(Rejection(offset, column, cells.get(column), str(exc)))
    if not bad:
        _check_order(
            bad,
            offset,
            "inspection_date",
            cells.get("inspection_date"),
            "publication_date",
            cells.get("publication_date"),
        )
    for col in GRADE_COLUMNS:
        if no_value(cells.get(col)):
            cells[col] = None
        else:
            try:
                grade_rank(cells[col], "ILACS")  # one row per inspection: the ILACS sheets
            except ValueError as exc:
                bad.append(Rejection(offset, col, cells[col], str(exc)))
    return bad


def parse_long_table(
    sheet: Sheet, header_at: int, end: int, areas: AreaReference, today: dt.date, seen: dict | None = None
) -> ParsedTable:
    """Rows ``header_at+1 .. end-1`` of a long sheet (one row per inspection or visit), with the row rules.

    ``seen`` (shared by the tables of one sheet) holds the graded inspections kept: an LA graded twice for
    one inspection date on a sheet is quarantined, the first row kept.
    """
    seen = {} if seen is None else seen
    index = long_columns([normalise_header(c) for c in sheet.rows[header_at]])
    kind = _sheet_kind(index)
    parsed = ParsedTable(WORKBOOK_TABLE.name, sheet=sheet.name)
    for offset, row in _data_rows(sheet, header_at, end):
        parsed.rows_read += 1
        cells = _cells(row, index)
        cells["remark"] = None
        bad = _long_row(cells, index, offset, areas, today)
        key = (cells.get("la_code"), cells.get("inspection_date"))
        if not bad and cells.get("overall_effectiveness"):
            if key in seen:
                bad.append(
                    Rejection(
                        offset,
                        "overall_effectiveness",
                        cells["overall_effectiveness"],
                        f"a second overall judgement for LA {key[0]} inspected {key[1]} on this sheet; "
                        f"row {seen[key]} is kept",
                    )
                )
            else:
                seen[key] = offset
        if bad:
            parsed.rejections.extend(bad)
            continue
        cells["sheet_kind"] = kind
        cells["_row_number"] = offset
        parsed.rows.append(cells)
    remarks = sum(1 for r in parsed.rows if r.get("remark"))
    if remarks:
        parsed.notes.append(
            f"sheet '{sheet.name}': {remarks} LA row(s) say 'No full inspection' (loaded without a judgement)"
        )
    return parsed


def parse_history_table(
    sheet: Sheet, header_at: int, end: int, number: int, areas: AreaReference, today: dt.date
) -> ParsedTable:
    """A wide history table: one raw row per graded cell, with its inspection's dates (see ofsted_history).

    An LA row with no inspection in the table loads as one row without a judgement, so every row read is
    accounted for; a bad cell is quarantined alone, a bad date or LA quarantines its inspection's cells.
    """
    raw_header = [(c or "").strip() for c in sheet.rows[header_at]]
    header = [normalise_header(c) for c in raw_header]
    index = long_columns(header)
    groups = history_groups(header)
    parsed = ParsedTable(HISTORY_TABLE.name, sheet=sheet.name)
    for offset, row in _data_rows(sheet, header_at, end):
        parsed.rows_read += 1
        cells = _cells(row, index)
        base = {
            "la_name": cells.get("la_name"),
            "ofsted_region": cells.get("ofsted_region"),
            "table_number": str(number),
            "_row_number": offset,
        }
        problems: dict[tuple, Rejection] = {}
        loaded = []
        for group in groups:
            loaded += _history_group(row, group, raw_header, cells, base, offset, areas, today, problems)
        if not loaded and not problems:
            loaded = _listed_only(base, cells, offset, areas, today, problems)
        parsed.rejections.extend(problems.values())
        parsed.rows.extend(loaded)
    judged = sum(1 for r in parsed.rows if r.get("grade"))
    frameworks = ", ".join(dict.fromkeys(g.framework for g in groups))
    parsed.notes.append(
        f"sheet '{sheet.name}' table {number} (header row {header_at + 1}): wide inspection "
        f"history ({frameworks}), {parsed.rows_read} LA rows unpivoted to {judged} judgements"
    )
    return parsed


def _listed_only(base, cells, offset, areas, today, problems) -> list[dict]:
    """An LA listed without an inspection in the table: one row without a judgement (the LA as it is today)."""
    try:
        return [{**base, "la_code": resolve_la(areas, cells.get("area_code"), cells.get("la_name"), today)}]
    except ValueError as exc:
        problems[("Local authority name", str(exc))] = Rejection(
            offset, "Local authority name", cells.get("la_name"), str(exc)
        )
        return []


def _history_group(row, group, raw_header, cells, base, offset, areas, today, problems) -> list[dict]:
    """The judgement rows of one inspection group on a wide row; problems added to ``problems``."""

    def cell(position):
        return row[position].strip() if position is not None and position < len(row) and row[position] else None

    def problem(column, value, reason):
        problems.setdefault((column, reason), Rejection(offset, column, value, reason))

    grades = [
        (pos, service, judgement, cell(pos)) for pos, service, judgement, _h in group.grades if not no_value(cell(pos))
    ]
    texts = [cell(group.publication_date), cell(group.inspection_date), *(g[3] for g in grades)]
    if not grades or any(squash(t) == NO_FULL_INSPECTION for t in texts):
        return []
    dates = {}
    for name in ("publication_date", "inspection_date"):
        position = getattr(group, name)
        try:
            dates[name] = checked_date(cell(position), name, today)
        except ValueError as exc:
            problem(raw_header[position], cell(position), str(exc))
            return []
    on = dates["publication_date"] or dates["inspection_date"]
    if on is None:
        position = group.publication_date if group.publication_date is not None else group.inspection_date
        problem(raw_header[position], None, f"{group.framework} judgements are given but the publication date is blank")
        return []
    try:
        la_code = resolve_la(areas, cells.get("area_code"), cells.get("la_name"), dt.date.fromisoformat(on))
    except ValueError as exc:
        problem("Local authority name", cells.get("la_name"), str(exc))
        return []
    out = []
    for position, service, judgement, value in grades:
        if (reason := ofsted_grade_problem(value)) is not None:
            problem(raw_header[position], value, reason)
            continue
        out.append(
            {
                **base,
                "la_code": la_code,
                "framework": group.framework,
                "inspection_type": cell(group.inspection_type) or group.default_type,
                "inspection_date": dates["inspection_date"],
                "publication_date": dates["publication_date"],
                "service_area": service,
                "judgement_area": judgement,
                "grade": value,
                "source_column": raw_header[position],
            }
        )
    return out


def _data_rows(sheet: Sheet, header_at: int, end: int):
    """(1-based row number, cells) of a table's data rows: blank rows and one-cell captions left out."""
    for offset, row in enumerate(sheet.rows[header_at + 1 : end], start=header_at + 2):
        if sum(1 for c in row if c is not None and c.strip()) <= 1:
            continue
        yield offset, row


def _parse_record_row(cells: dict, offset: int, areas: AreaReference, today: dt.date) -> list[Rejection]:
    bad: list[Rejection] = []
    for col in RECORD_REQUIRED:
        if not cells.get(col):
            bad.append(Rejection(offset, col, None, f"{col} is blank; every judgement needs one"))
    if bad:
        return bad
    cells["source_la_code"] = cells["la_code"]
    try:
        cells["la_code"] = areas.resolve_la_code(cells["la_code"], "la_code")
    except AreaError as exc:
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
        _check_order(
            bad,
            offset,
            "inspection_start_date",
            cells["inspection_start_date"],
            "inspection_end_date",
            cells["inspection_end_date"],
        )
        _check_order(
            bad,
            offset,
            "inspection_start_date",
            cells["inspection_start_date"],
            "publication_date",
            cells["publication_date"],
        )
        _check_order(
            bad,
            offset,
            "inspection_end_date",
            cells["inspection_end_date"],
            "publication_date",
            cells["publication_date"],
        )
    return bad


def parse_judgement_records(sheet: Sheet, header_at: int, areas: AreaReference, today: dt.date) -> ParsedTable:
    """Judgement-record rows with the row rules; a repeated judgement is quarantined, the first kept."""
    header = [normalise_header(c) for c in sheet.rows[header_at]]
    missing = [c for c in RECORD_REQUIRED if c not in header]
    if missing:
        found = ", ".join(h for h in header if h) or "none"
        present = ", ".join(c for c in RECORD_COLUMNS if c in header)
        raise FileRejected(
            f"sheet '{sheet.name}' has some judgement-record columns ({present}) but lacks required column(s) "
            f"{', '.join(missing)}, and no sheet holds Ofsted's statistics (expected {EXPECTED}); "
            f"columns found: {found}"
        )
    index = {col: header.index(col) for col in RECORD_COLUMNS if col in header}
    parsed = ParsedTable(RECORD_TABLE.name, sheet=sheet.name)
    seen: dict[tuple, int] = {}
    for offset, row in enumerate(sheet.rows[header_at + 1 :], start=header_at + 2):
        if not any(c for c in row):
            continue
        parsed.rows_read += 1
        cells = _cells(row, index)
        bad = _parse_record_row(cells, offset, areas, today)
        if not bad:
            key = (
                cells["la_code"],
                cells["framework"],
                cells["inspection_start_date"],
                cells["service_area"].lower(),
                cells["judgement_area"].lower(),
            )
            if key in seen:
                bad.append(
                    Rejection(
                        offset,
                        "judgement_area",
                        cells["judgement_area"],
                        f"duplicate judgement: the same LA, framework, start date, service area and "
                        f"judgement area are on row {seen[key]}, which is kept",
                    )
                )
            else:
                seen[key] = offset
        if bad:
            parsed.rejections.extend(bad)
            continue
        cells["_row_number"] = offset
        parsed.rows.append(cells)
    return parsed


def _tables_of_sheet(sheet: Sheet) -> list[tuple[str, int, int]]:
    """(kind, header row index, end index) of every Ofsted table on a sheet: a sheet may hold two
    (Ofsted's second table for LAs that no longer exist), each under its own header row."""
    starts = []
    for i, row in enumerate(sheet.rows):
        header = [normalise_header(c) for c in row]
        if sum(1 for c in header if c) < 3:
            continue
        if is_long_header(header):
            starts.append(("long", i))
        elif is_history_header(header):
            starts.append(("history", i))
    ends = [i for _kind, i in starts[1:]] + [len(sheet.rows)]
    return [(kind, at, end) for (kind, at), end in zip(starts, ends)]


def parse_ofsted_file(path: Path, areas: AreaReference, today: dt.date | None = None) -> list[ParsedTable]:
    """Every Ofsted table in a file, recognised by its header cells; FileRejected when it holds none."""
    today = today or dt.date.today()
    _fmt, sheets = read_tables(path)
    tables: list[ParsedTable] = []
    for sheet in sheets:
        found = _tables_of_sheet(sheet)
        graded: dict = {}
        for number, (kind, at, end) in enumerate(found, start=1):
            if kind == "long":
                tables.append(parse_long_table(sheet, at, end, areas, today, graded))
            else:
                tables.append(parse_history_table(sheet, at, end, number, areas, today))
        if found:
            continue
        at = _find_record_header(sheet.rows)
        if at is not None:
            tables.append(parse_judgement_records(sheet, at, areas, today))
    if not tables:
        raise FileRejected(f"not an Ofsted file this warehouse reads: expected {EXPECTED}; found {_found(sheets)}")
    return tables


def _found(sheets: list[Sheet]) -> str:
    """What the file holds, for a rejection: each sheet's first row of three or more cells."""
    parts = []
    for sheet in sheets:
        row = next((r for r in sheet.rows[:30] if sum(1 for c in r if c) >= 3), None)
        if row is None:
            continue
        cells = [c.strip() for c in row if c]
        more = f" and {len(cells) - 8} more" if len(cells) > 8 else ""
        parts.append(f"sheet '{sheet.name}' with columns {', '.join(cells[:8])}{more}")
    if not parts:
        return "no sheet with a header row (no row of three or more cells in its first 30 rows)"
    shown = "; ".join(parts[:4])
    return shown + (f"; and {len(parts) - 4} more sheet(s) like these" if len(parts) > 4 else "")


def _find_record_header(rows: list[list[str | None]]) -> int | None:
    """The header of a judgement-record table: the first row naming at least three of its columns."""
    wanted = set(RECORD_COLUMNS)
    for i, row in enumerate(rows[:30]):
        if len(wanted & {normalise_header(c) for c in row}) >= 3:
            return i
    return None
