"""DfE school statistics files (absence, exclusions): EES open-data CSVs and the pre-EES LA time series.

Pure functions, no Dagster. A file is recognised by its header, never by its name:

* an **EES data file**: ``time_period``, ``time_identifier``, ``geographic_level`` and area columns in any
  order, filter columns and indicator columns. Its ``.meta.csv`` (beside it, same stem) says which columns
  are filters and which indicators, with labels and units; without one the roles are inferred (a column
  whose every value is a number or a symbol is an indicator, any other column a filter) and the load log
  says so. Area columns (``country_*``, ``region_*``, ``*_la_code``, ``la_name``, ``lad_*``...: a rule on
  names, :func:`pipelines.lib.school_breakdowns.is_area_column`) are never filters.
* an **EES metadata file** (``col_name, col_type, ...``): not data; recorded as used with its data file.
* the **pre-EES LA time series** (``year, level, la_name, school_type, <indicators>``; the layout of DfE's
  ``clean_la_data.csv``): LAs, regions and England named only, matched to codes by name; or with the EES
  area columns as well (SFR35/2017's files: ``country_code, country_name, region_code, region_name,
  old_la_code, new_la_code``), matched by code.

Every indicator cell becomes one row of the long raw table ``<source>_values`` (file, row, period, area,
breakdown, indicator, the published text, the number and the status symbol), so a new DfE file needs no
code. The work is set-based: the file is read once into columns and unpivoted, checked and written by
DuckDB SQL on the loading connection, so a national-scale file never becomes Python objects per cell.

Rules (each broken rule quarantines the row, or the one cell, with a reason):

* geography: National rows are England (E92000001); Regional (or ``Region``) rows a region by code or
  name (E12, and E13 for Inner/Outer London, which are marked so regional totals do not count London
  twice); Local authority rows an LA by DfE code, ONS code or name (see :mod:`pipelines.lib.school_areas`),
  which must have existed in the row's period. Other geographic levels (districts, schools...) are not kept.
* period: ``time_period`` 201011 (academic or financial year), 2011 (calendar or reporting year) or 201204
  (a month, with its month as ``time_identifier``). Sub-year identifiers (terms, weeks) go in the breakdown.
* symbols (``../shared/spec/indicators.md``): value null and ``status_symbol`` set: ``c``, ``z``, ``u`` as
  published; ``low`` and ``k`` and ``~`` -> ``low``; ``:`` ``..`` ``.`` ``-`` and a blank cell -> ``x``;
  ``x`` -> ``c`` in a file of the legacy vintage (no ``c`` anywhere and its latest period ending before
  2020, when ``x`` meant suppressed), else ``x``. ``published_symbol`` keeps what the file said.
* values: counts not negative (fractional counts load as published: DfE apportioned some, e.g. pupils
  excluded for several reasons); percentages and proportion rates within 0-100; event
  rates (suspensions or fixed-period exclusions per 100 pupils, which exceed 100 where pupils are
  suspended repeatedly) not negative; anything else that is neither a number nor a symbol is quarantined.
* breakdown: the filters as ``key=value`` pairs in key order joined by ``'; '``, harmonised (every DfE
  spelling of a school type, ``pipelines/lib/school_lists/school_types.csv``; ``phase_type_grouping`` ->
  ``school_type``); a filter at its ``Total`` value adds no pair; ``Total`` when no pair is left. A file
  that covers part of the pupils (PRUs only, one phase, one social care group: found from its title, sheet
  or file name, its ``.meta.csv`` labels or its indicator names) gets that part as a pair on every row, so
  it is never read as an LA's total (:mod:`pipelines.lib.school_breakdowns`).
* one row per period, area and breakdown in a file: a repeat is quarantined (the first is kept).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.lib.ingest import FileRejected, RawTable
from pipelines.lib.readers import (
    UnreadableFile,
    decode_text,
    normalise_header,
    read_workbook,
    sniff_format,
)
from pipelines.lib.rules import ParsedTable, Rejection, StagedRelation
from pipelines.lib.school_areas import Area, AreaError, AreaReference, Period
from pipelines.lib.school_breakdowns import (
    Coverage,
    apply_coverage,
    breakdown_text,
    file_coverage,
    filter_keys,
    is_area_column,
)

SOURCES = ("school_absence", "school_exclusions")

VALUE_COLUMNS = (
    "file_layout", "time_period", "time_identifier", "period_label", "geographic_level", "geography_level",
    "country_code", "region_code", "region_name", "old_la_code", "new_la_code", "la_name",
    "area_code", "area_name", "la_code", "area_region_code", "is_london_subregion",
    "breakdown", "breakdown_published", "indicator", "indicator_label", "indicator_grouping", "indicator_unit",
    "indicator_kind", "raw_value", "value", "status_symbol", "published_symbol",
)


def values_table(source: str) -> RawTable:
    """The long raw table of a source: one row per indicator cell of every statistics file."""
    return RawTable(f"{source}_values", VALUE_COLUMNS)


# ---------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------

EES_REQUIRED = ("time_period", "time_identifier", "geographic_level")
PRE_EES_REQUIRED = ("year", "level", "la_name")
META_REQUIRED = ("col_name", "col_type")
# Standard EES columns: time and the areas this warehouse keeps.
STANDARD = {
    "time_period": "tp", "time_identifier": "ti", "geographic_level": "gl", "country_code": "cc",
    "country_name": "cn", "region_code": "rc", "region_name": "rn", "old_la_code": "olc",
    "new_la_code": "nlc", "la_name": "ln",
}
KEY_COLUMNS = tuple(STANDARD.values())
# The pre-EES series: year and level for time_period and geographic_level, the EES area columns when present
# (SFR35/2017's files have country, region and LA codes and names; clean_la_data.csv only la_name).
PRE_EES_STANDARD = {"year": "tp", "level": "gl", **STANDARD, "la_code": "olc"}

SYMBOLS = ("c", "x", "z", "low", "k", "u", ":", "~", "..", ".", "-")
STATUS_OF_SYMBOL = {"c": "c", "z": "z", "u": "u", "low": "low", "k": "low", "~": "low",
                    ":": "x", "..": "x", ".": "x", "-": "x", "": "x"}
STATUS_SYMBOLS = ("c", "x", "z", "low", "u")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$|^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
LEVELS = {
    "national": "national", "country": "national",
    "regional": "regional", "region": "regional",
    "local authority": "local_authority", "local_authority": "local_authority", "la": "local_authority",
}


def column_key(header_cell: str | None) -> str:
    """A header cell as a column key: BOM and spaces trimmed, lower case, inner spaces as underscores."""
    return normalise_header(header_cell).replace(" ", "_")


def indicator_kind(name: str, unit: str | None = None) -> str:
    """How an indicator's values are checked: 'percent' (0-100), 'rate' (per 100, not negative, may pass
    100), 'count' (not negative) or 'number' (any number).

    The meta file's ``indicator_unit`` decides when it is ``%`` (a percentage) or a unit of money, time or
    percentage points (any number); otherwise the column name: ``*_percent``, ``pt_*``, ``*_perc``, ``*_pct`` are percentages; ``*_rate`` is a rate per 100
    pupils, bounded by 100 when it counts pupils (permanent exclusions, pupils with one or more
    suspensions) and unbounded when it counts events (suspensions, fixed-period exclusions); counts are
    named ``t_*``, ``num_*``, ``sess_*``, ``enrolments*``, ``headcount``, ``perm_*``, ``fixed_*``, ``susp*``...
    """
    unit = (unit or "").strip().lower()
    key = name.lower()
    if unit in ("%", "percent", "percentage"):
        return "percent"
    if unit in ("pp", "£", "£m", "£000s", "£bn", "days", "weeks", "months", "years", "hours", "ratio"):
        return "number"
    if re.search(r"(change|diff|difference|gap)", key):
        return "number"
    if re.search(r"per_?(1|10|100)000?\b|per_?1000|per_?10000", key):
        return "rate"
    if re.search(r"(percent|_perc$|_perc_|pct|^pt_|_pt_|proportion)", key):
        return "percent"
    if re.search(r"(^|_)rate($|_)", key):
        if re.search(r"(fixed|susp)", key) and not re.search(r"(one_plus|one_or_more|pupils)", key):
            return "rate"
        return "percent"
    if re.search(r"(average|avg|mean|median|ratio|length|duration|days|per_)", key):
        return "number"
    if re.search(r"^(t_|num_|n_|number|count|sess_|enrolments|headcount|pupils|perm_|fixed_|susp|suspension|"
                 r"one_plus|one_or_more|excl|exclusion|pupil_)|(_count|_number|_headcount|_pupils|_enrolments)$",
                 key):
        return "count"
    return "number"


# ---------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------

WHOLE_PERIOD_IDENTIFIERS = {"", "academic year", "calendar year", "financial year", "tax year", "reporting year",
                            "fiscal year"}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}


@dataclass(frozen=True)
class PeriodInfo:
    period: Period
    extra_pair: tuple[str, str] | None


def parse_period(time_period: str, time_identifier: str) -> PeriodInfo:
    """Read an EES ``time_period`` with its ``time_identifier``; ValueError with the reason when it is not one."""
    text = (time_period or "").strip()
    ident = " ".join((time_identifier or "").split())
    key = ident.lower()
    match = re.fullmatch(r"(\d{4})\s*[/-]\s*(\d{2}|\d{4})", text)
    if match:
        first, second = int(match.group(1)), int(match.group(2)[-2:])
        if second == (first + 1) % 100:
            text = f"{first}{second:02d}"
    if re.fullmatch(r"\d{4}\.0", text):
        text = text[:4]
    if not re.fullmatch(r"\d{4}|\d{6}", text) or not 1950 <= int(text[:4]) <= 2100:
        raise ValueError(
            f"time_period {time_period!r} is not an EES period: 6 digits for an academic or financial year "
            "(201011 = 2010/11) or a month (201204), 4 digits for a calendar or reporting year (2011)"
        )
    year = int(text[:4])
    extra = None
    if key not in WHOLE_PERIOD_IDENTIFIERS and key not in _MONTHS:
        extra = ("term", ident) if "term" in key else ("time_identifier", ident)
    if len(text) == 4:
        if key == "reporting year" or key.startswith("financial year ending"):
            period = Period(year, str(year), dt.date(year - 1, 4, 1), dt.date(year, 3, 31))
        else:
            period = Period(year, str(year), dt.date(year, 1, 1), dt.date(year, 12, 31))
        return PeriodInfo(period, extra)
    tail = int(text[4:])
    if key in _MONTHS or (tail != (year + 1) % 100 and 1 <= tail <= 12):
        month = _MONTHS.get(key, tail)
        if month != tail and key in _MONTHS:
            raise ValueError(f"time_period {time_period!r} is month {tail} but time_identifier says {ident!r}")
        last = calendar.monthrange(year, month)[1]
        return PeriodInfo(Period(int(text), f"{year}-{month:02d}", dt.date(year, month, 1),
                                 dt.date(year, month, last)), None)
    if tail != (year + 1) % 100:
        raise ValueError(
            f"time_period {time_period!r} is not an academic or financial year: the last two digits should be "
            f"{(year + 1) % 100:02d} ({year}/{(year + 1) % 100:02d} is written {year}{(year + 1) % 100:02d})"
        )
    if key in ("financial year", "tax year", "fiscal year"):
        return PeriodInfo(Period(int(text), f"{year}-{tail:02d}", dt.date(year, 4, 1), dt.date(year + 1, 3, 31)),
                          extra)
    return PeriodInfo(Period(int(text), f"{year}/{tail:02d}", dt.date(year, 9, 1), dt.date(year + 1, 8, 31)), extra)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


@dataclass
class Layout:
    """How one table of a file is read."""

    kind: str  # 'ees' | 'pre_ees'
    header_index: int
    keys: list[str]  # column keys in file order
    standard: dict[str, int]  # short name (tp, gl...) -> column index
    filters: list[int] = field(default_factory=list)
    indicators: list[int] = field(default_factory=list)
    labels: dict[int, tuple[str, str, str, int]] = field(default_factory=dict)  # index -> label, group, unit, row
    roles_from: str = "inferred"
    notes: list[str] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)  # the part of the pupils the file covers


@dataclass(frozen=True)
class MetaFile:
    path: Path
    rows: list[dict]


def _read_sheets(path: Path) -> list[tuple[str, list[list[str]]]]:
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile("the file is empty")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return [(path.stem, _csv_rows(data.decode("utf-16")))]
    fmt = sniff_format(data)
    if fmt == "csv":
        text, _encoding = decode_text(data)
        return [(path.stem, _csv_rows(text))]
    if fmt in ("xlsx", "ods"):
        return [(s.name, [[c if c is not None else "" for c in row] for row in s.rows]) for s in read_workbook(path)]
    if fmt == "xls":
        raise UnreadableFile("old binary Excel (.xls) is not accepted: save it as .xlsx or CSV")
    if fmt == "xml":
        raise UnreadableFile("an XML file is not a statistics file this source accepts")
    raise UnreadableFile("the file is binary data, not CSV, XLSX or ODS")


def _csv_rows(text: str) -> list[list[str]]:
    """CSV text (any line endings, quoted fields) as rows; the delimiter is the comma unless the first lines
    are plainly separated by tabs or semicolons (spreadsheet exports). The most-separated of the first ten
    lines decides, so a title row above the header (``Absence; pupil referral units``) does not."""
    head = text[:16384].split("\n")[:10]
    delimiter = max((",", "\t", ";"), key=lambda d: (max(line.count(d) for line in head), d == ","))
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _header_at(rows: list[list[str]], required: tuple[str, ...], scan: int = 10) -> int | None:
    for i, row in enumerate(rows[:scan]):
        if set(required) <= {column_key(c) for c in row}:
            return i
    return None


def is_meta_header(rows: list[list[str]]) -> bool:
    return _header_at(rows, META_REQUIRED, scan=3) is not None


def read_meta(path: Path) -> MetaFile | None:
    """An EES ``.meta.csv``: its rows as dicts keyed by column key; None when the file is not one."""
    try:
        sheets = _read_sheets(path)
    except (UnreadableFile, OSError):
        return None
    for _name, rows in sheets:
        at = _header_at(rows, META_REQUIRED, scan=3)
        if at is None:
            continue
        keys = [column_key(c) for c in rows[at]]
        out = []
        for number, row in enumerate(rows[at + 1:], start=at + 2):
            if not any(c.strip() for c in row):
                continue
            record = {k: (row[i].strip() if i < len(row) else "") for i, k in enumerate(keys) if k}
            record["_row_number"] = number
            out.append(record)
        return MetaFile(path, out)
    return None


def meta_companions(path: Path) -> list[Path]:
    """The ``.meta.csv`` read with a data file: ``<stem>.meta.csv`` beside it, else the one metadata file in
    the folder that has no data file of its own and lists only columns of this file (none for a meta file)."""
    name = path.name.lower()
    if name.endswith(".meta.csv") or not path.is_file():
        return []
    siblings = [p for p in path.parent.iterdir() if p.is_file() and p != path]
    wanted = (path.stem + ".meta.csv").lower()
    named = [p for p in siblings if p.name.lower() == wanted]
    if named:
        return named[:1]
    names = {p.name.lower() for p in siblings}
    orphans = [p for p in siblings if p.name.lower().endswith(".meta.csv")
               and p.name.lower()[: -len(".meta.csv")] + ".csv" not in names]
    if not orphans:
        return []
    header = {column_key(c) for c in _first_row(path)}
    fitting = []
    for orphan in orphans:
        meta = read_meta(orphan)
        listed = {column_key(r.get("col_name")) for r in meta.rows} if meta else set()
        if listed and listed <= header:
            fitting.append(orphan)
    return fitting if len(fitting) == 1 else []


def _first_row(path: Path) -> list[str]:
    """The first line of a CSV file as cells (for matching a metadata file), [] when it cannot be read."""
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError:
        return []
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or sniff_format(head) != "csv":
        return []
    text, _ = decode_text(head)
    rows = _csv_rows(text.split("\n", 1)[0])
    return rows[0] if rows else []


def _is_number_or_symbol(value: str) -> bool:
    text = value.strip()
    return text == "" or text.lower() in SYMBOLS or bool(_NUMBER.match(text.rstrip("%")))


def _layout(rows: list[list[str]], meta: MetaFile | None, path: Path) -> Layout | None:
    at = _header_at(rows, EES_REQUIRED)
    if at is not None:
        return _ees_layout(rows, at, meta)
    at = _header_at(rows, PRE_EES_REQUIRED)
    if at is not None:
        return _pre_ees_layout(rows, at, meta)
    return None


_FILTER_NAMES = re.compile(
    r"(^|_)(age|year_group|nc_year|ncyear|band|characteristic|group|grouping|type|breakdown|phase|term|terms|sex|"
    r"gender|ethnicity|ethnic|reason|category|measure|level|status)(_|$)"
)
TOTAL_FILTER_VALUES = {"total", "all"}


def _roles_by_values(rows: list[list[str]], at: int, candidates: list[int],
                     by_name: bool = True) -> tuple[list[int], list[int]]:
    """(filters, indicators) among ``candidates`` when no metadata says: a column named like a filter
    (``*_type``, ``*_group``, ``age``...) or holding ``Total`` is a filter; one whose values are numbers and
    symbols is an indicator, even with a few stray texts (at most 1% of its cells; they are quarantined)."""
    filters, indicators = [], []
    for index in candidates:
        name = column_key(rows[at][index])
        cells = [row[index].strip() for row in rows[at + 1:] if index < len(row) and row[index].strip()]
        distinct = set(cells)
        texts = {v for v in distinct if not _is_number_or_symbol(v)}
        numbers = sum(1 for v in cells if v not in texts and v.lower() not in SYMBOLS)
        stray = sum(1 for v in cells if v in texts)
        named_like_filter = _FILTER_NAMES.search(name) or {v.lower() for v in distinct} & TOTAL_FILTER_VALUES
        if not cells or (by_name and named_like_filter):
            filters.append(index)
        elif not texts or (numbers and stray <= max(1, len(cells) // 100)):
            indicators.append(index)
        else:
            filters.append(index)
    return filters, indicators


def _first_of(keys: list[str]) -> dict[str, int]:
    first_of: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key:
            first_of.setdefault(key, index)
    return first_of


def _ees_layout(rows: list[list[str]], at: int, meta: MetaFile | None) -> Layout:
    keys = [column_key(c) for c in rows[at]]
    first_of = _first_of(keys)
    standard = {STANDARD[k]: i for k, i in first_of.items() if k in STANDARD}
    layout = Layout("ees", at, keys, standard)
    duplicates = sorted({k for i, k in enumerate(keys) if k and first_of[k] != i})
    if duplicates:
        layout.notes.append(f"repeated column(s) {', '.join(duplicates)}: the first of each is read")
    _assign_roles(layout, rows, [i for k, i in first_of.items() if k not in STANDARD], meta)
    return layout


def _pre_ees_layout(rows: list[list[str]], at: int, meta: MetaFile | None) -> Layout:
    keys = [column_key(c) for c in rows[at]]
    first_of = _first_of(keys)
    standard: dict[str, int] = {}
    for key, short in PRE_EES_STANDARD.items():
        if key in first_of and short not in standard:
            standard[short] = first_of[key]
    layout = Layout("pre_ees", at, keys, standard)
    coded = sorted(k for k in ("old_la_code", "new_la_code", "la_code", "region_code", "country_code") if k in first_of)
    layout.notes.append(
        "pre-EES DfE LA time series (year, level, la_name): "
        + (f"areas by their codes ({', '.join(coded)}), else by name" if coded else "areas matched to codes by name")
    )
    _assign_roles(layout, rows, [i for k, i in first_of.items() if k not in PRE_EES_STANDARD], meta)
    return layout


def _meta_roles(meta: MetaFile) -> dict[str, tuple[str, dict]]:
    """Column key -> (role, meta record) from an EES .meta.csv, filter grouping columns as filters."""
    roles: dict[str, tuple[str, dict]] = {}
    for record in meta.rows:
        name = column_key(record.get("col_name"))
        role = (record.get("col_type") or "").strip().lower()
        if name:
            roles[name] = (role, record)
            grouping = column_key(record.get("filter_grouping_column"))
            if role == "filter" and grouping and grouping not in roles:
                roles[grouping] = ("filter", {"label": grouping, "_row_number": record["_row_number"]})
    return roles


def _assign_roles(layout: Layout, rows: list[list[str]], candidates: list[int], meta: MetaFile | None) -> None:
    """Filters and indicators among the non-standard columns. Area columns (a rule on names) are neither.
    With a .meta.csv its filters are the filters and its indicators the indicators; a column it does not list
    is an indicator when its values are numbers and symbols, else not used. Without one, roles are inferred
    from names and values."""
    keys, at = layout.keys, layout.header_index
    areas = [i for i in candidates if is_area_column(keys[i])]
    others = [i for i in candidates if i not in areas]
    if meta is None:
        layout.filters, layout.indicators = _roles_by_values(rows, at, others)
        layout.notes.insert(
            0,
            "no .meta.csv beside the file: roles inferred from the values (filters: "
            + (", ".join(keys[i] for i in layout.filters) or "none") + f"; {len(layout.indicators)} indicators)",
        )
    else:
        _roles_from_meta(layout, rows, others, meta)
    if areas:
        layout.notes.append("area columns, never filters: " + ", ".join(keys[i] for i in areas))
    layout.filters.sort()
    layout.indicators.sort()


def _roles_from_meta(layout: Layout, rows: list[list[str]], others: list[int], meta: MetaFile) -> None:
    keys = layout.keys
    layout.roles_from = "meta"
    roles = _meta_roles(meta)
    present = set(keys)
    missing = sorted(n for n in roles if n not in present)
    if missing:
        layout.notes.append(f"{meta.path.name} lists column(s) not in the data, ignored: {', '.join(missing)}")
    unlisted = []
    for index in others:
        role, record = roles.get(keys[index], (None, None))
        if role == "filter":
            layout.filters.append(index)
        elif role == "indicator":
            layout.indicators.append(index)
            layout.labels[index] = (record.get("label", ""), record.get("indicator_grouping", ""),
                                    record.get("indicator_unit", ""), record["_row_number"])
        else:
            unlisted.append(index)
    if unlisted:
        _filters, indicators = _roles_by_values(rows, layout.header_index, unlisted, by_name=False)
        layout.indicators += indicators
        layout.notes.append(
            f"column(s) not in {meta.path.name}, roles inferred from their values (a .meta.csv names every "
            "filter, so none is a filter): "
            + ", ".join(f"{keys[i]} ({'indicator' if i in indicators else 'not used'})" for i in unlisted)
        )
    layout.notes.insert(0, f"filters and indicators from {meta.path.name}")


# ---------------------------------------------------------------------------
# Parsing one file
# ---------------------------------------------------------------------------

_counter = itertools.count()


def parse_school_statistics_file(
    path: Path, source: str, reference: AreaReference, con: duckdb.DuckDBPyConnection | None = None,
) -> list[ParsedTable]:
    """Every statistics table of a file as rows of ``<source>_values``; FileRejected when
    the file holds none. The long rows are staged as a temporary table on ``con`` (the loading connection)."""
    con = con if con is not None else duckdb.connect()
    sheets = _read_sheets(path)
    for _name, rows in sheets:
        if is_meta_header(rows):
            return [_meta_note(path, source, rows)]
    meta_paths = meta_companions(path)
    meta = read_meta(meta_paths[0]) if meta_paths else None
    tables: list[ParsedTable] = []
    for name, rows in sheets:
        layout = _layout(rows, meta, path)
        if layout is None:
            continue
        if not any(any(c.strip() for c in row) for row in rows[layout.header_index + 1:]):
            empty = ParsedTable(values_table(source).name, sheet=name if len(sheets) > 1 else None)
            empty.notes.append("the file has a header but no data rows: nothing to load")
            tables.append(empty)
            continue
        _find_coverage(layout, rows, name if len(sheets) > 1 or name != path.stem else None, path)
        if not layout.indicators:
            raise FileRejected(
                "a statistics file needs at least one indicator column (numbers or symbols); columns found: "
                + ", ".join(k for k in layout.keys if k)
            )
        tables += _parse_table(con, rows, layout, source, reference, sheet=name if len(sheets) > 1 else None)
    if not tables:
        first = next((row for _n, rows in sheets for row in rows if any(c.strip() for c in row)), [])
        keys = {column_key(c) for c in first}
        missing = [c for c in EES_REQUIRED if c not in keys]
        raise FileRejected(
            "not a DfE statistics file this warehouse knows: an EES open-data CSV needs the columns "
            f"{', '.join(EES_REQUIRED)} (missing: {', '.join(missing)}), the pre-EES LA time series needs "
            f"{', '.join(PRE_EES_REQUIRED)}; columns found: " + (", ".join(c.strip() for c in first if c.strip()) or "none")
        )
    return tables


def _find_coverage(layout: Layout, rows: list[list[str]], sheet: str | None, path: Path) -> None:
    """The part of the pupils the file covers when no column says so (title, sheet or file name, meta labels,
    indicator names), noted in the load log; its breakdown pairs are added to every row."""
    title = [" ".join(c.strip() for c in row if c.strip()) for row in rows[:layout.header_index]]
    title = [t for t in title if t]
    labels = [layout.labels[i][0] for i in layout.indicators if layout.labels.get(i, ("",))[0]]
    if len(labels) < len(layout.indicators):
        labels = []
    names = [layout.keys[i] for i in layout.indicators]
    layout.coverage = file_coverage(title, sheet, path.name, labels, names)
    keyed = set(filter_keys([layout.keys[i] for i in layout.filters]).values())
    for item in layout.coverage:
        how = ("where its " + item.key + " column is blank or Total") if item.key in keyed else "on every row"
        layout.notes.append(
            f"covers part of the pupils: {item.key}={item.value} (from {item.found_in}), added to the breakdown "
            f"{how}, so its figures are never read as the whole LA's"
        )


def _meta_note(path: Path, source: str, rows: list[list[str]]) -> ParsedTable:
    meta = read_meta(path)
    records = meta.rows if meta else []
    filters = [r.get("col_name", "") for r in records if (r.get("col_type") or "").lower() == "filter"]
    indicators = [r for r in records if (r.get("col_type") or "").lower() == "indicator"]
    data_name = path.name[: -len(".meta.csv")] + ".csv" if path.name.lower().endswith(".meta.csv") else None
    data_file = next((p for p in path.parent.glob("*") if data_name and p.name.lower() == data_name.lower()), None)
    used = f"used with its data file {data_file.name}" if data_file else (
        f"no data file {data_name or '<name>.csv'} beside it, so it is not used")
    table = ParsedTable(values_table(source).name, rows_read=0)
    table.notes.append(
        f"EES metadata file, not data: {used} (filters: {', '.join(filters) or 'none'}; "
        f"{len(indicators)} indicators)"
    )
    return table


def _column_values(rows: list[list[str]], start: int, index: int | None) -> list[str]:
    if index is None:
        return [""] * (len(rows) - start)
    return [row[index] if index < len(row) else "" for row in rows[start:]]


def _parse_table(con, rows, layout: Layout, source: str, reference: AreaReference, sheet: str | None):
    width = len(layout.keys)
    while width and not layout.keys[width - 1]:
        width -= 1
    start = layout.header_index + 1
    row_numbers, good, rejections = [], [], []
    rows_read = 0
    for offset, row in enumerate(rows[start:], start=start + 1):
        cells = len(row)
        while cells > width and not row[cells - 1].strip():
            cells -= 1
        if not any(c.strip() for c in row):
            continue
        rows_read += 1
        if cells != width:
            rejections.append(Rejection(offset, None, None,
                                        f"the row has {cells} cells but the header has {width} columns"))
            continue
        row_numbers.append(offset)
        good.append(row)
    tag = f"_school_{next(_counter)}"
    wide = {short: _column_values(good, 0, layout.standard.get(short)) for short in KEY_COLUMNS}
    for n, index in enumerate(layout.filters):
        wide[f"f{n}"] = _column_values(good, 0, index)
    for n, index in enumerate(layout.indicators):
        wide[f"v{n}"] = _column_values(good, 0, index)
    wide["_row_number"] = row_numbers
    frame = pd.DataFrame({k: pd.Series(v, dtype="object") if k != "_row_number" else pd.Series(v, dtype="int64")
                          for k, v in wide.items()})
    del good
    values_name = values_table(source).name
    try:
        con.register(f"{tag}_w", frame)
        staged, loaded, cell_rejections, rows_rejections, vintage = _stage(
            con, tag, layout, reference, len(layout.filters), len(layout.indicators))
    finally:
        try:
            con.unregister(f"{tag}_w")
        except Exception:  # noqa: BLE001
            pass
    rejections += rows_rejections + cell_rejections
    values = ParsedTable(values_name, rows_read=rows_read, sheet=sheet)
    values.frame = StagedRelation(con, staged, loaded)
    values.rejections = sorted(rejections, key=lambda r: (r.row_number or 0, r.column or ""))
    values.notes = [*layout.notes, vintage]
    return [values]


def _resolve_keys(keys: list[tuple], layout: Layout, reference: AreaReference) -> pd.DataFrame:
    """One row per distinct (period, area) key of the file: the resolved area and period, or why not."""
    out = []
    for key in keys:
        tp, ti, gl, cc, cn, rc, rn, olc, nlc, ln = key
        record = dict(zip(KEY_COLUMNS, key))
        try:
            ti_used = ti if "ti" in layout.standard else ("Academic year" if len(tp.strip()) == 6 else "")
            info = parse_period(tp, ti_used)
            record.update(time_period=str(info.period.time_period), period_label=info.period.label,
                          time_identifier=ti_used, extra_key=info.extra_pair[0] if info.extra_pair else None,
                          extra_value=info.extra_pair[1] if info.extra_pair else None)
            level = LEVELS.get(" ".join(gl.lower().split()))
            if level is None:
                raise AreaError(
                    "geographic_level", gl,
                    f"geographic level {gl!r} is not kept by this warehouse (only National, Regional and Local "
                    "authority rows are); the row is not loaded",
                )
            area = _area(level, cc, cn, rc, rn, olc, nlc, ln, info.period, layout, reference)
            record.update(geography_level=area.geography_level, area_code=area.area_code,
                          area_name=area.area_name, la_code=area.la_code, area_region_code=area.region_code,
                          is_london_subregion="true" if area.is_london_subregion else "false",
                          reject_column=None, reject_value=None, reject_reason=None)
        except AreaError as exc:
            record.update(reject_column=exc.column, reject_value=exc.value, reject_reason=exc.reason)
        except ValueError as exc:
            column = "year" if layout.kind == "pre_ees" else "time_period"
            record.update(reject_column=column, reject_value=tp, reject_reason=str(exc))
        out.append(record)
    columns = [*KEY_COLUMNS, "time_period", "period_label", "time_identifier", "extra_key", "extra_value",
               "geography_level", "area_code", "area_name", "la_code", "area_region_code", "is_london_subregion",
               "reject_column", "reject_value", "reject_reason"]
    return pd.DataFrame({c: pd.Series([r.get(c) for r in out], dtype="object") for c in columns})


def _area(level, cc, cn, rc, rn, olc, nlc, ln, period, layout: Layout, reference: AreaReference) -> Area:
    """The area of a row. The pre-EES series names England and regions in ``la_name`` when it has no
    ``country_name`` / ``region_name`` column (clean_la_data.csv); SFR35/2017's files have both."""
    if level == "national":
        return reference.resolve_england(cc, cn or (ln if layout.kind == "pre_ees" else ""))
    if level == "regional":
        if layout.kind == "pre_ees" and not rn and "rn" not in layout.standard:
            try:
                return reference.resolve_region(rc, ln)
            except AreaError as exc:
                raise AreaError("la_name" if exc.column == "region_name" else exc.column, exc.value,
                                exc.reason) from None
        return reference.resolve_region(rc, rn)
    return reference.resolve_la(olc, nlc, ln, period)


def _resolve_breakdowns(combos: list[tuple], layout: Layout) -> pd.DataFrame:
    filter_names = [layout.keys[i] for i in layout.filters]
    keys = filter_keys(filter_names)
    out = []
    for combo in combos:
        extra_key, extra_value, *values = combo
        pairs = apply_coverage([(keys[name], value) for name, value in zip(filter_names, values)], layout.coverage)
        if extra_key:
            used = {k for k, _ in pairs}
            pairs.append((extra_key if extra_key not in used else "time_identifier", extra_value))
        harmonised, published = breakdown_text(pairs)
        out.append([extra_key, extra_value, *values, harmonised, published])
    columns = ["extra_key", "extra_value", *(f"f{n}" for n in range(len(filter_names))), "breakdown",
               "breakdown_published"]
    return pd.DataFrame({c: pd.Series([r[i] for r in out], dtype="object") for i, c in enumerate(columns)})


def period_end_year(time_period: int) -> int:
    """The calendar year a period ends in: 201617 -> 2017, 201204 -> 2012, 2019 -> 2019."""
    if time_period >= 100000:
        year, tail = divmod(time_period, 100)
        return year + 1 if tail == (year + 1) % 100 else year
    return time_period


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_BLANKS = "' ' || chr(9) || chr(10) || chr(13) || chr(160)"


def _stage(con, tag: str, layout: Layout, reference: AreaReference, n_filters: int, n_indicators: int):
    filters = [f"f{n}" for n in range(n_filters)]
    trimmed = ", ".join(f"trim(coalesce({c}, ''), {_BLANKS}) as {c}" for c in [*KEY_COLUMNS, *filters])
    con.execute(f"create or replace temp table {tag}_t as select _row_number, {trimmed}, "
                + ", ".join(f"v{n}" for n in range(n_indicators)) + f" from {tag}_w")
    keys = con.execute(f"select distinct {', '.join(KEY_COLUMNS)} from {tag}_t").fetchall()
    resolved = _resolve_keys(keys, layout, reference)
    con.register(f"{tag}_g", resolved)
    using = ", ".join(KEY_COLUMNS)
    combos = con.execute(
        f"select distinct g.extra_key, g.extra_value{''.join(', t.' + f for f in filters)} "
        f"from {tag}_t t join {tag}_g g using ({using})"
    ).fetchall()
    con.register(f"{tag}_b", _resolve_breakdowns(combos, layout))
    filter_join = "".join(f" and b.{f} = t.{f}" for f in filters)
    con.execute(f"""
        create or replace temp table {tag}_r as
        select t._row_number, g.*, b.breakdown, b.breakdown_published,
            case when g.reject_reason is null then row_number() over (
                partition by g.reject_reason is null, g.time_period, g.area_code, b.breakdown
                order by t._row_number) end as copy_number,
            case when g.reject_reason is null then min(t._row_number) over (
                partition by g.reject_reason is null, g.time_period, g.area_code, b.breakdown) end as first_row
        from {tag}_t t
        join {tag}_g g using ({using})
        join {tag}_b b on b.extra_key is not distinct from g.extra_key
            and b.extra_value is not distinct from g.extra_value{filter_join}
    """)
    row_rejections = [
        Rejection(n, column, value, reason)
        for n, column, value, reason in con.execute(f"""
            select _row_number, reject_column, reject_value, reject_reason from {tag}_r where reject_reason is not null
            union all
            select _row_number, 'breakdown', breakdown,
                'the same period, area and breakdown as row ' || first_row || ' (kept); a row is loaded once'
            from {tag}_r where copy_number > 1
        """).fetchall()
    ]
    indicator_names = [layout.keys[i] for i in layout.indicators]
    labels = [layout.labels.get(i, ("", "", "", 0)) for i in layout.indicators]
    con.register(f"{tag}_i", pd.DataFrame({
        "ind": pd.Series([f"v{n}" for n in range(n_indicators)], dtype="object"),
        "indicator": pd.Series(indicator_names, dtype="object"),
        "kind": pd.Series([indicator_kind(n, lab[2]) for n, lab in zip(indicator_names, labels)], dtype="object"),
        "indicator_label": pd.Series([lab[0] or None for lab in labels], dtype="object"),
        "indicator_grouping": pd.Series([lab[1] or None for lab in labels], dtype="object"),
        "indicator_unit": pd.Series([lab[2] or None for lab in labels], dtype="object"),
    }))
    on = ", ".join(f"v{n}" for n in range(n_indicators))
    con.execute(f"""
        create or replace temp table {tag}_u as
        select u._row_number, u.ind, trim(coalesce(u.raw, ''), {_BLANKS}) as raw
        from (select _row_number, {on} from {tag}_t where _row_number in (
                select _row_number from {tag}_r where reject_reason is null and copy_number = 1)) as src
        unpivot include nulls (raw for ind in ({on})) as u
    """)
    has_c, latest = con.execute(f"""
        select (select coalesce(bool_or(lower(raw) = 'c'), false) from {tag}_u),
               (select max(cast(time_period as integer)) from {tag}_r where reject_reason is null)
    """).fetchone()
    latest_end_year = period_end_year(latest) if latest is not None else None
    legacy = not has_c and latest_end_year is not None and latest_end_year < 2020
    vintage = ("legacy symbols: no 'c' anywhere and the latest period ends before 2020, so 'x' is read as "
               "suppressed (status c)") if legacy else "current symbols: 'x' is read as not available (status x)"
    x_status = "c" if legacy else "x"
    status_cases = " ".join(f"when {_sql_text(s)} then {_sql_text(v)}" for s, v in STATUS_OF_SYMBOL.items())
    symbols = ", ".join(_sql_text(s) for s in SYMBOLS)
    con.execute(f"""
        create or replace temp table {tag}_c as
        with cells as (
            select u._row_number, i.indicator, i.kind, i.indicator_label, i.indicator_grouping, i.indicator_unit,
                u.raw, lower(u.raw) as low,
                case when u.raw = '' or lower(u.raw) in ({symbols}) then lower(u.raw) end as symbol
            from {tag}_u u join {tag}_i i using (ind)
        ),
        numbers as (
            select *,
                case when symbol is null then
                    case when regexp_full_match(rtrim(raw, '%'), '{_NUMBER.pattern.replace("'", "''")}')
                         then try_cast(replace(ltrim(rtrim(raw, '%'), '+'), ',', '') as double) end
                end as number
            from cells
        )
        select *,
            case
                when symbol is null and number is null then
                    {_sql_text("")} || indicator || ' value ' || '''' || raw || '''' ||
                    ' is neither a number nor a statistics symbol (c, x, z, low, k, u, or legacy : ~ .. . -)'
                when number is not null and kind in ('count', 'rate', 'percent') and number < 0 then
                    indicator || ' is negative (' || raw || '); a ' ||
                    case kind when 'count' then 'count' else 'rate' end || ' cannot be'
                when number is not null and kind = 'percent' and number > 100 then
                    indicator || ' is a percentage (0-100) but ' || raw || ' is over 100'
            end as problem
        from numbers
    """)
    cell_rejections = [
        Rejection(n, indicator, raw, problem)
        for n, indicator, raw, problem in con.execute(
            f"select _row_number, indicator, raw, problem from {tag}_c where problem is not null"
        ).fetchall()
    ]
    staged = f"{tag}_out"
    con.execute(f"""
        create or replace temp table {staged} as
        select
            {_sql_text(layout.kind)} as file_layout,
            r.time_period, r.time_identifier, r.period_label, nullif(r.gl, '') as geographic_level,
            r.geography_level, nullif(r.cc, '') as country_code, nullif(r.rc, '') as region_code,
            nullif(r.rn, '') as region_name, nullif(r.olc, '') as old_la_code, nullif(r.nlc, '') as new_la_code,
            nullif(r.ln, '') as la_name, r.area_code, r.area_name, r.la_code, r.area_region_code,
            r.is_london_subregion, r.breakdown, r.breakdown_published, c.indicator,
            c.indicator_label, c.indicator_grouping, c.indicator_unit, c.kind as indicator_kind,
            c.raw as raw_value,
            case when c.number is not null then replace(ltrim(rtrim(c.raw, '%'), '+'), ',', '') end as value,
            case when c.symbol = 'x' then {_sql_text(x_status)}
                 when c.symbol is not null then case c.symbol {status_cases} end end as status_symbol,
            case when c.symbol is not null then c.raw end as published_symbol,
            c._row_number
        from {tag}_c c join {tag}_r r using (_row_number)
        where c.problem is null
    """)
    loaded, fractional = con.execute(
        f"select count(distinct _row_number), count(*) filter (where indicator_kind = 'count' "
        f"and cast(value as double) <> floor(cast(value as double))) from {staged}").fetchone()
    if fractional:
        vintage += (f"; {fractional} count cell(s) are not whole numbers (DfE apportioned some counts, e.g. pupils "
                    "excluded for several reasons): loaded as published")
    for suffix in ("_t", "_r", "_u", "_c"):
        con.execute(f"drop table if exists {tag}{suffix}")
    for suffix in ("_g", "_b", "_i"):
        con.unregister(f"{tag}{suffix}")
    return staged, loaded, cell_rejections, row_rejections, vintage
