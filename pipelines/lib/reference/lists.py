"""Parse the public reference lists as published: LA codes, regions and statistical neighbours.

Pure functions, no Dagster. Each parser takes a :class:`~pipelines.lib.ingest.readers.Sheet`
(cells are text or ``None``) and returns a :class:`~pipelines.lib.ingest.rules.ParsedTable`
whose rows carry ``_row_number``, the 1-based row in the file counting the header as
row 1. Rows that break a rule become :class:`~pipelines.lib.ingest.rules.Rejection` records;
a sheet that is not the expected list at all raises :class:`ReferenceTableError`.

The published files and their quirks (see the fixtures' PROVENANCE.md):

* ``las.csv``: dd/mm/yyyy dates; composite rows such as ``E06000061 / E06000062``
  (``940 / 941``) that combine two LAs; ``x`` as the old LA code of terminated 2009
  counties; a last row with ONS code ``z`` (British Forces Post Office overseas).
* ``regions.csv``: region code and name, no England row.
* ``New_Statistical_Neighbour_Groupings_April_2021.csv``: BOM, ten columns all named
  ``SNP`` (each the closeness band of the ``SNk`` column on its left), a trailing empty
  column, and a footer (blank row, ``Old SNs:`` label row, blank row) followed by four
  pre-reorganisation LAs that are data.
* ``sn_model_2025_wide.csv``: BOM, ``SN_k`` / ``SN_kP`` pairs, band ``Close `` with a
  trailing space.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.lib.ingest.load import FileRejected, RawTable
from pipelines.lib.ingest.readers import Sheet, find_header_row, normalise_header, read_tables
from pipelines.lib.ingest.rules import ParsedTable, Rejection
from pipelines.lib.sources import adoption_thresholds

SN_RANKS = range(1, 11)
CLOSENESS_BANDS = ("Extremely close", "Very close", "Close", "Somewhat close", "Not close")
_CLOSENESS_BY_KEY = {band.lower(): band for band in CLOSENESS_BANDS}

LAS_COLUMNS = (
    "new_la_code",
    "la_name",
    "date_of_operation",
    "date_of_termination",
    "parent_geography_code",
    "entity_code",
    "status",
    "old_la_code",
)
LA_ROW_KEYS = (
    "ons_code",
    "la_code",
    "la_name",
    "region_code",
    "date_of_operation",
    "date_of_termination",
    "status",
    "entity_code",
    "_row_number",
)
REGIONS_COLUMNS = ("region_code", "region_name")
SN_2021_COLUMNS = ("la num", "la name", "snp", *(f"sn{rank}" for rank in SN_RANKS))
SN_2025_COLUMNS = (
    "old_la_code",
    "la_name",
    *(name for rank in SN_RANKS for name in (f"sn_{rank}", f"sn_{rank}p")),
)
# Columns of other DfE files (EES statistics) that also carry region_code and region_name.
_NOT_IN_REGIONS_LIST = {"time_period", "geographic_level", "la_name", "old_la_code", "new_la_code"}
_HEADER_SCAN_ROWS = 10

_ONS_CODE = re.compile(r"E\d{8}")
_DFE_LA_CODE = re.compile(r"\d{3}")
_NO_DFE_CODE = "x"
_COMPOSITE_SEPARATOR = re.compile(r"\s*/\s*")
_COMPOSITE_FIELDS = ("new_la_code", "la_name", "old_la_code")
_STATUSES = ("live", "terminated")
_DAY_FIRST_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class ReferenceTableError(ValueError):
    """The sheet cannot be used as this reference list: no header row with the required columns."""


# ---------------------------------------------------------------------------
# Recognition and small shared helpers
# ---------------------------------------------------------------------------


def recognise_reference_sheet(sheet: Sheet) -> str | None:
    """Tell which reference list a sheet holds, from its header row only (never the file name).

    Returns ``'las'``, ``'regions'``, ``'sn_2021'``, ``'sn_2025'`` or ``None``.
    """
    if _header_index(sheet, LAS_COLUMNS) is not None:
        return "las"
    if _header_index(sheet, SN_2021_COLUMNS) is not None:
        return "sn_2021"
    if _header_index(sheet, SN_2025_COLUMNS) is not None:
        return "sn_2025"
    index = _header_index(sheet, REGIONS_COLUMNS)
    if index is not None and not _header_names(sheet.rows[index]) & _NOT_IN_REGIONS_LIST:
        return "regions"
    return None


def harmonise_closeness(value: str | None) -> str | None:
    """One of :data:`CLOSENESS_BANDS` for a published band in any case or spacing, else ``None``."""
    if value is None:
        return None
    return _CLOSENESS_BY_KEY.get(" ".join(value.split()).lower())


def parse_reference_date(value: str | None) -> str | None:
    """ISO ``yyyy-mm-dd`` text for a dd/mm/yyyy date (day first, four-digit year), ``None`` for a blank.

    ISO ``yyyy-mm-dd`` text (what a spreadsheet date cell becomes) is accepted as well.
    Raises ``ValueError`` for anything else, such as ``12/31/2009`` or ``31/03/09``.
    """
    if value is None:
        return None
    text = value.strip()
    if match := _DAY_FIRST_DATE.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise ValueError(f"{value!r} is not a dd/mm/yyyy date")
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a real calendar date (dd/mm/yyyy)") from None


def normalise_la_name(name: str | None) -> str:
    """A key for matching LA names across files, not for display.

    Case, spacing and punctuation are ignored, ``&`` equals ``and``, and the descriptors
    ``, City of`` / ``, County of`` and a leading ``County`` are dropped, so
    ``Bristol City of`` = ``Bristol, City of`` = ``Bristol``, ``St. Helens`` = ``St Helens``,
    ``Isles Of Scilly`` = ``Isles of Scilly`` and ``County Durham`` = ``Durham``.
    Bracketed qualifiers such as ``(Pre LG)`` are kept (as words) because they tell a
    predecessor authority from its successor.
    """
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = re.sub(r"['\u2019]", "", text).replace("&", " and ")
    text = " ".join(re.sub(r"[^\w]+", " ", text).split())
    text = re.sub(r" (city|county) of$", "", text)
    return re.sub(r"^county (?=\S)", "", text)


def _header_names(row: list[str | None]) -> set[str]:
    return {normalise_header(cell) for cell in row} - {""}


def _header_index(sheet: Sheet, required: tuple[str, ...]) -> int | None:
    return find_header_row(sheet.rows, set(required), max_scan=_HEADER_SCAN_ROWS)


def _locate_header(sheet: Sheet, required: tuple[str, ...], what: str) -> int:
    """Index of the header row, or ReferenceTableError naming the missing and the found columns."""
    index = _header_index(sheet, required)
    if index is not None:
        return index
    first = next((row for row in sheet.rows[:_HEADER_SCAN_ROWS] if any(row)), [])
    missing = [name for name in required if name not in _header_names(first)]
    found = [cell for cell in first if cell]
    raise ReferenceTableError(
        f"not {what}: required columns missing: {', '.join(missing)}; columns found: {', '.join(found) or 'none'}"
    )


def _column_positions(header: list[str | None]) -> dict[str, int]:
    """Normalised header name -> index of its first occurrence."""
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        positions.setdefault(normalise_header(cell), index)
    return positions


def _data_rows(sheet: Sheet, header_index: int) -> Iterator[tuple[int, list[str | None]]]:
    """(1-based file row number, cells) for every row below the header that holds a value."""
    for index in range(header_index + 1, len(sheet.rows)):
        row = sheet.rows[index]
        if any(cell is not None and cell.strip() for cell in row):
            yield index + 1, row


def _cell(row: list[str | None], index: int | None) -> str | None:
    """The cell's text without outer spaces, or None for a blank or a short row."""
    if index is None or index >= len(row) or row[index] is None:
        return None
    return row[index].strip() or None


# ---------------------------------------------------------------------------
# las.csv
# ---------------------------------------------------------------------------


def parse_las(sheet: Sheet) -> ParsedTable:
    """Parse the DfE LA code list (``las.csv``) into one row per ONS code (``reference_la_codes``).

    Row keys: ons_code, la_code (DfE 3-digit code), la_name, region_code, date_of_operation,
    date_of_termination (ISO text or None), status ('live'/'terminated'), entity_code, _row_number.

    * Composite rows (``E06000061 / E06000062``, ``940 / 941``, names joined by `` / ``) are split
      into one row per LA. A part that repeats an LA's own row is dropped (the LA's own row is kept);
      a part that contradicts it is rejected.
    * ``x`` as old LA code (terminated 2009 counties): the authority keeps the DfE code of the
      same-named authority that continues it from the next day (Wiltshire county E10000033 ended
      31/03/2009, Wiltshire unitary E06000054 began 01/04/2009 with 865). Without one such
      successor (Cornwall and Isles of Scilly became two LAs, 908 and 420) the row is rejected.
    * Rows without an ONS LA code (``z``, British Forces Post Office overseas) are rejected.
    """
    header_index = _locate_header(sheet, LAS_COLUMNS, "an LA code list (las.csv)")
    table = ParsedTable("reference_la_codes", sheet=sheet.name)
    rows_by_code: dict[str, dict] = {}
    for row_number, record in _las_records(sheet, header_index, table):
        row, rejections = _la_row(record, row_number)
        table.rejections.extend(rejections)
        if row is not None:
            _add_unique_la(rows_by_code, row, table)
    table.rows = sorted(_resolve_no_dfe_codes(list(rows_by_code.values()), table), key=_row_order)
    table.rejections.sort(key=lambda rejection: rejection.row_number or 0)
    return table


def _las_records(sheet: Sheet, header_index: int, table: ParsedTable) -> list[tuple[int, dict]]:
    """(row number, record) per LA: the LAs' own rows first, then the parts of composite rows."""
    positions = _column_positions(sheet.rows[header_index])
    singles: list[tuple[int, dict]] = []
    parts: list[tuple[int, dict]] = []
    for row_number, row in _data_rows(sheet, header_index):
        table.rows_read += 1
        record = {name: _cell(row, positions[name]) for name in LAS_COLUMNS}
        if not _is_composite(record):
            singles.append((row_number, record))
            continue
        split, rejection = _split_composite(record, row_number)
        table.rejections.extend([rejection] if rejection else [])
        parts.extend((row_number, part) for part in split)
    return singles + parts


def _row_order(row: dict) -> tuple[int, str]:
    return row["_row_number"], row["ons_code"]


def _is_composite(record: dict) -> bool:
    return any(_COMPOSITE_SEPARATOR.search(record[name] or "") for name in ("new_la_code", "old_la_code"))


def _split_composite(record: dict, row_number: int) -> tuple[list[dict], Rejection | None]:
    """One record per LA of a composite row, or a rejection when codes, names and old codes do not pair up."""
    pieces = {name: _COMPOSITE_SEPARATOR.split(record[name] or "") for name in _COMPOSITE_FIELDS}
    counts = {name: len(values) for name, values in pieces.items()}
    if len(set(counts.values())) != 1:
        described = ", ".join(f"{count} in {name}" for name, count in counts.items())
        return [], Rejection(
            row_number,
            "new_la_code",
            record["new_la_code"],
            f"composite row combines several LAs but the parts do not pair up ({described}); "
            "list each LA on its own row",
        )
    return [record | {name: pieces[name][i] for name in _COMPOSITE_FIELDS} for i in range(counts["new_la_code"])], None


def _la_row(record: dict, row_number: int) -> tuple[dict | None, list[Rejection]]:
    """Check one (split) record of las.csv and shape it as a reference_la_codes row."""
    ons_code = record["new_la_code"]
    if ons_code is None or not _ONS_CODE.fullmatch(ons_code):
        return None, [
            Rejection(
                row_number,
                "new_la_code",
                ons_code,
                f"{ons_code!r} is not an ONS local authority code (E followed by 8 digits), so "
                f"{record['la_name'] or 'this row'} (old code {record['old_la_code']}) is not an LA in "
                "England and is left out of the LA list",
            )
        ]
    checks: list[tuple[str, Callable[[str | None], str | None], str]] = [
        ("la_name", _required_text, "la_name"),
        ("la_code", _dfe_code, "old_la_code"),
        ("region_code", _region_code, "parent_geography_code"),
        ("date_of_operation", _required_date, "date_of_operation"),
        ("date_of_termination", parse_reference_date, "date_of_termination"),
        ("status", _status, "status"),
    ]
    values: dict = {"ons_code": ons_code, "entity_code": record["entity_code"], "_row_number": row_number}
    rejections = []
    for key, check, column in checks:
        try:
            values[key] = check(record[column])
        except ValueError as problem:
            rejections.append(Rejection(row_number, column, record[column], f"{ons_code}: {problem}"))
    row = {key: values.get(key) for key in LA_ROW_KEYS}
    if not rejections and _ends_before_it_starts(row):
        rejections.append(
            Rejection(
                row_number,
                "date_of_termination",
                record["date_of_termination"],
                f"{ons_code}: date_of_termination is before date_of_operation ({record['date_of_operation']})",
            )
        )
    return (None if rejections else row), rejections


def _required_text(value: str | None) -> str:
    if value is None:
        raise ValueError("the LA name is blank")
    return value


def _dfe_code(value: str | None) -> str | None:
    """The 3-digit DfE code; None for ``x`` (resolved later from the successor authority)."""
    if value is not None and value.lower() == _NO_DFE_CODE:
        return None
    if value is None or not _DFE_LA_CODE.fullmatch(value):
        raise ValueError(f"old_la_code {value!r} is not a 3-digit DfE LA code")
    return value


def _region_code(value: str | None) -> str:
    if value is None or not _ONS_CODE.fullmatch(value):
        raise ValueError(f"parent_geography_code {value!r} is not an ONS region code such as E12000009")
    return value


def _required_date(value: str | None) -> str:
    if value is None:
        raise ValueError("date_of_operation is blank")
    return parse_reference_date(value)


def _status(value: str | None) -> str:
    status = (value or "").lower()
    if status not in _STATUSES:
        raise ValueError(f"status {value!r} is not one of {', '.join(_STATUSES)}")
    return status


def _ends_before_it_starts(row: dict) -> bool:
    return row["date_of_termination"] is not None and row["date_of_termination"] < row["date_of_operation"]


def _facts(row: dict) -> dict:
    return {key: value for key, value in row.items() if key != "_row_number"}


def _add_unique_la(rows_by_code: dict[str, dict], row: dict, table: ParsedTable) -> None:
    """Keep the first row of each ONS code; drop an identical repeat, reject a contradicting one."""
    kept = rows_by_code.get(row["ons_code"])
    if kept is None:
        rows_by_code[row["ons_code"]] = row
        return
    differences = sorted(key for key, value in _facts(row).items() if kept[key] != value)
    if not differences:
        table.merged_rows.add(row["_row_number"])
    else:
        table.rejections.append(
            Rejection(
                row["_row_number"],
                "new_la_code",
                row["ons_code"],
                f"{row['ons_code']} is already listed on row {kept['_row_number']} with a different "
                f"{', '.join(differences)}; keep one row per ONS code",
            )
        )


def _resolve_no_dfe_codes(rows: list[dict], table: ParsedTable) -> list[dict]:
    """Give ``x`` rows the DfE code of their same-named successor; reject those without exactly one."""
    resolved = []
    for row in rows:
        if row["la_code"] is not None:
            resolved.append(row)
            continue
        codes = _successor_codes(row, rows)
        if len(codes) == 1:
            resolved.append(row | {"la_code": codes.pop()})
            continue
        table.rejections.append(
            Rejection(
                row["_row_number"],
                "old_la_code",
                _NO_DFE_CODE,
                f"{row['ons_code']} {row['la_name']} has no DfE LA code ('x') and no single authority of the "
                "same name continues it the day after it ended, so its DfE code cannot be inferred; "
                "put its 3-digit code in old_la_code if DfE statistics use one",
            )
        )
    return resolved


def _successor_codes(row: dict, rows: list[dict]) -> set[str]:
    """DfE codes of same-named authorities that begin the day after ``row`` ends."""
    if row["date_of_termination"] is None:
        return set()
    next_day = (dt.date.fromisoformat(row["date_of_termination"]) + dt.timedelta(days=1)).isoformat()
    name = normalise_la_name(row["la_name"])
    return {
        other["la_code"]
        for other in rows
        if other["la_code"] is not None
        and other["date_of_operation"] == next_day
        and normalise_la_name(other["la_name"]) == name
    }


# ---------------------------------------------------------------------------
# regions.csv
# ---------------------------------------------------------------------------


def parse_regions(sheet: Sheet) -> ParsedTable:
    """Parse the region list (``regions.csv``) into ``reference_regions`` rows: region_code, region_name."""
    header_index = _locate_header(sheet, REGIONS_COLUMNS, "a region list (regions.csv)")
    positions = _column_positions(sheet.rows[header_index])
    table = ParsedTable("reference_regions", sheet=sheet.name)
    first_row_of: dict[str, int] = {}
    for row_number, row in _data_rows(sheet, header_index):
        table.rows_read += 1
        code, name = (_cell(row, positions[column]) for column in REGIONS_COLUMNS)
        rejection = _region_problem(row_number, code, name, first_row_of)
        if rejection:
            table.rejections.append(rejection)
            continue
        first_row_of[code] = row_number
        table.rows.append({"region_code": code, "region_name": name, "_row_number": row_number})
    return table


def _region_problem(row_number: int, code: str | None, name: str | None, seen: dict[str, int]) -> Rejection | None:
    if code is None or not _ONS_CODE.fullmatch(code):
        return Rejection(row_number, "region_code", code, f"{code!r} is not an ONS area code such as E12000009")
    if name is None:
        return Rejection(row_number, "region_name", name, f"region {code} has no name")
    if code in seen:
        return Rejection(row_number, "region_code", code, f"region {code} is already listed on row {seen[code]}")
    return None


# ---------------------------------------------------------------------------
# Statistical neighbours (2021 and 2025 models)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _NeighbourColumns:
    """Where one rank's neighbour code and closeness band sit, and how to name them in a rejection."""

    rank: int
    code_index: int
    band_index: int
    code_label: str
    band_label: str


@dataclass(frozen=True)
class _SnLayout:
    la_index: int
    la_label: str
    name_index: int
    neighbours: tuple[_NeighbourColumns, ...]
    duplicate_la_index: int | None = None


def parse_sn_2021(sheet: Sheet) -> ParsedTable:
    """Parse DfE's April 2021 statistical neighbour groupings into long rows (``reference_statistical_neighbours``).

    The ten band columns are all named ``SNP``: each is read as the band of the ``SNk`` column on its
    left. ``LA number`` repeats ``LA num`` and must agree with it. The footer (blank row, ``Old SNs:``
    label row, blank row) is skipped and the old-LA rows below it are kept.
    """
    header_index = _locate_header(sheet, SN_2021_COLUMNS, "the 2021 statistical neighbour groupings")
    header = sheet.rows[header_index]
    positions = _column_positions(header)
    neighbours = []
    for rank in SN_RANKS:
        code_index = positions[f"sn{rank}"]
        if normalise_header(_cell(header, code_index + 1)) != "snp":
            raise ReferenceTableError(f"not the 2021 statistical neighbour groupings: SN{rank} is not followed by SNP")
        neighbours.append(
            _NeighbourColumns(rank, code_index, code_index + 1, f"SN{rank}", f"SNP (closeness of SN{rank})")
        )
    layout = _SnLayout(
        positions["la num"], "LA num", positions["la name"], tuple(neighbours), positions.get("la number")
    )
    return _parse_sn(sheet, header_index, layout, "2021")


def parse_sn_2025(sheet: Sheet) -> ParsedTable:
    """Parse DfE's 2025 statistical neighbour model (wide ``SN_k`` / ``SN_kP`` layout) into long rows.

    Bands are trimmed and harmonised (``Close `` becomes ``Close``).
    """
    header_index = _locate_header(sheet, SN_2025_COLUMNS, "the 2025 statistical neighbour model")
    positions = _column_positions(sheet.rows[header_index])
    neighbours = tuple(
        _NeighbourColumns(rank, positions[f"sn_{rank}"], positions[f"sn_{rank}p"], f"SN_{rank}", f"SN_{rank}P")
        for rank in SN_RANKS
    )
    layout = _SnLayout(positions["old_la_code"], "old_la_code", positions["la_name"], neighbours)
    return _parse_sn(sheet, header_index, layout, "2025")


def _parse_sn(sheet: Sheet, header_index: int, layout: _SnLayout, model: str) -> ParsedTable:
    """Ten long rows per LA row; a row with any bad cell is quarantined whole (one rejection per cell)."""
    table = ParsedTable("reference_statistical_neighbours", sheet=sheet.name)
    first_row_of: dict[str, int] = {}
    for row_number, row in _data_rows(sheet, header_index):
        if _is_label_row(row, layout):
            continue
        table.rows_read += 1
        la_code = _cell(row, layout.la_index)
        rejections = _sn_row_problems(row, row_number, layout, first_row_of)
        if rejections:
            table.rejections.extend(rejections)
            continue
        first_row_of[la_code] = row_number
        table.rows.extend(_neighbour_rows(row, row_number, layout, model))
    return table


def _is_label_row(row: list[str | None], layout: _SnLayout) -> bool:
    """A separator or section label (``,Old SNs:,``): no LA code and no neighbour."""
    cells = [layout.la_index, *(n.code_index for n in layout.neighbours), *(n.band_index for n in layout.neighbours)]
    return all(_cell(row, index) is None for index in cells)


def _sn_row_problems(
    row: list[str | None], row_number: int, layout: _SnLayout, first_row_of: dict[str, int]
) -> list[Rejection]:
    la_code = _cell(row, layout.la_index)
    if la_code is None or not _DFE_LA_CODE.fullmatch(la_code):
        return [Rejection(row_number, layout.la_label, la_code, f"{la_code!r} is not a 3-digit DfE LA code")]
    if la_code in first_row_of:
        return [
            Rejection(
                row_number,
                layout.la_label,
                la_code,
                f"LA {la_code} already has its neighbours on row {first_row_of[la_code]}; keep one row per LA",
            )
        ]
    problems = _duplicate_la_problems(row, row_number, layout, la_code)
    seen: set[str] = {la_code}
    for columns in layout.neighbours:
        problems.extend(_neighbour_problems(row, row_number, columns, la_code, seen))
    return problems


def _duplicate_la_problems(row: list[str | None], row_number: int, layout: _SnLayout, la_code: str) -> list[Rejection]:
    other = _cell(row, layout.duplicate_la_index)
    if layout.duplicate_la_index is None or other == la_code:
        return []
    return [Rejection(row_number, "LA number", other, f"LA number {other!r} differs from LA num {la_code!r}")]


def _neighbour_problems(
    row: list[str | None], row_number: int, columns: _NeighbourColumns, la_code: str, seen: set[str]
) -> list[Rejection]:
    problems = []
    code = _cell(row, columns.code_index)
    if code is None or not _DFE_LA_CODE.fullmatch(code):
        reason = f"LA {la_code}: neighbour {columns.rank} {code!r} is not a 3-digit DfE LA code"
        problems.append(Rejection(row_number, columns.code_label, code, reason))
    elif code in seen:
        reason = f"LA {la_code}: neighbour {code} is the LA itself or is listed twice"
        problems.append(Rejection(row_number, columns.code_label, code, reason))
    else:
        seen.add(code)
    band = row[columns.band_index] if columns.band_index < len(row) else None
    if harmonise_closeness(band) is None:
        reason = (
            f"LA {la_code}: closeness {band!r} of neighbour {columns.rank} is not one of {', '.join(CLOSENESS_BANDS)}"
        )
        problems.append(Rejection(row_number, columns.band_label, band, reason))
    return problems


def _neighbour_rows(row: list[str | None], row_number: int, layout: _SnLayout, model: str) -> list[dict]:
    la_code = _cell(row, layout.la_index)
    la_name = _cell(row, layout.name_index)
    return [
        {
            "la_code": la_code,
            "la_name": la_name,
            "neighbour_la_code": _cell(row, columns.code_index),
            "neighbour_rank": str(columns.rank),
            "closeness": harmonise_closeness(row[columns.band_index]),
            "sn_model": model,
            "_row_number": row_number,
        }
        for columns in layout.neighbours
    ]


# ---------------------------------------------------------------------------
# Files in raw/reference/
# ---------------------------------------------------------------------------

REFERENCE_TABLES = (
    RawTable("reference_la_codes", tuple(k for k in LA_ROW_KEYS if k != "_row_number")),
    RawTable("reference_regions", REGIONS_COLUMNS),
    RawTable(
        "reference_statistical_neighbours",
        ("la_code", "la_name", "neighbour_la_code", "neighbour_rank", "closeness", "sn_model"),
    ),
    adoption_thresholds.THRESHOLDS_TABLE,
)
_PARSERS: dict[str, Callable[[Sheet], ParsedTable]] = {
    "las": parse_las,
    "regions": parse_regions,
    "sn_2021": parse_sn_2021,
    "sn_2025": parse_sn_2025,
}


def parse_reference_file(path: Path) -> list[ParsedTable]:
    """Every reference list in a file (recognised by its header); FileRejected when there is none."""
    _fmt, sheets = read_tables(path)
    tables = []
    for sheet in sheets:
        kind = recognise_reference_sheet(sheet)
        if kind is not None:
            table = _PARSERS[kind](sheet)
            table.sheet = sheet.name
            tables.append(table)
        elif adoption_thresholds.is_threshold_sheet(sheet):
            tables.append(adoption_thresholds.parse_threshold_sheet(sheet))
    if not tables:
        first = next((row for sheet in sheets for row in sheet.rows if any(row)), [])
        raise FileRejected(
            "not a reference list this warehouse knows (LA codes like las.csv, regions, statistical "
            "neighbour groupings of 2021 or 2025, or adoption scorecard thresholds with period_end_year, "
            "scorecard_code, threshold); first row found: " + (", ".join(c for c in first if c) or "none")
        )
    return tables
