"""DfE school statistics files (absence, exclusions): EES open-data CSVs and the pre-EES LA time series.

Pure functions, no Dagster. A file is recognised by its header, never by its name:

* an **EES data file**: ``time_period``, ``time_identifier``, ``geographic_level`` and area columns in any
  order, filter columns and indicator columns. Its ``.meta.csv`` (beside it, same stem) says which columns
  are filters and which indicators, with labels and units; without one the roles are inferred (a column
  whose every value is a number or a symbol is an indicator, any other column a filter) and the load log
  says so. Area columns (``country_*``, ``region_*``, ``*_la_code``, ``la_name``, ``lad_*``...: a rule on
  names, :func:`pipelines.lib.sources.school_breakdowns.is_area_column`) are never filters.
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
  twice); Local authority rows an LA by DfE code, ONS code or name (see :mod:`pipelines.lib.reference.school_areas`),
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
  spelling of a school type, ``pipelines/lib/sources/school_lists/school_types.csv``; ``phase_type_grouping`` ->
  ``school_type``); a filter at its ``Total`` value adds no pair; ``Total`` when no pair is left. A file
  that covers part of the pupils (PRUs only, one phase, one social care group: found from its title, sheet
  or file name, its ``.meta.csv`` labels or its indicator names) gets that part as a pair on every row, so
  it is never read as an LA's total (:mod:`pipelines.lib.sources.school_breakdowns`).
* one row per period, area and breakdown in a file: a repeat is quarantined (the first is kept).
"""

from __future__ import annotations

import calendar
import codecs
import contextlib
import csv
import datetime as dt
import io
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.lib.ingest.batch import BatchOutcome, FileRead, empty_rejections
from pipelines.lib.ingest.load import FileRejected, RawTable
from pipelines.lib.ingest.native_csv import land_csv_files
from pipelines.lib.ingest.readers import (
    UnreadableFile,
    decode_text,
    normalise_header,
    read_workbook,
    sniff_format,
)
from pipelines.lib.ingest.rules import ParsedTable, Rejection, StagedRelation
from pipelines.lib.reference.school_areas import Area, AreaError, AreaReference, Period
from pipelines.lib.sources.school_breakdowns import (
    Coverage,
    apply_coverage,
    breakdown_text,
    file_coverage,
    filter_keys,
    is_area_column,
)
from pipelines.lib.sql import quote_identifier as quote_ident

SOURCES = ("school_absence", "school_exclusions")

VALUE_COLUMNS = (
    "file_layout",
    "time_period",
    "time_identifier",
    "period_label",
    "geographic_level",
    "geography_level",
    "country_code",
    "region_code",
    "region_name",
    "old_la_code",
    "new_la_code",
    "la_name",
    "area_code",
    "area_name",
    "la_code",
    "area_region_code",
    "is_london_subregion",
    "breakdown",
    "breakdown_published",
    "indicator",
    "indicator_label",
    "indicator_grouping",
    "indicator_unit",
    "indicator_kind",
    "raw_value",
    "value",
    "status_symbol",
    "published_symbol",
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
    "time_period": "tp",
    "time_identifier": "ti",
    "geographic_level": "gl",
    "country_code": "cc",
    "country_name": "cn",
    "region_code": "rc",
    "region_name": "rn",
    "old_la_code": "olc",
    "new_la_code": "nlc",
    "la_name": "ln",
}
KEY_COLUMNS = tuple(STANDARD.values())
# The pre-EES series: year and level for time_period and geographic_level, the EES area columns when present
# (SFR35/2017's files have country, region and LA codes and names; clean_la_data.csv only la_name).
PRE_EES_STANDARD = {"year": "tp", "level": "gl", **STANDARD, "la_code": "olc"}

SYMBOLS = ("c", "x", "z", "low", "k", "u", ":", "~", "..", ".", "-")
STATUS_OF_SYMBOL = {
    "c": "c",
    "z": "z",
    "u": "u",
    "low": "low",
    "k": "low",
    "~": "low",
    ":": "x",
    "..": "x",
    ".": "x",
    "-": "x",
    "": "x",
}
STATUS_SYMBOLS = ("c", "x", "z", "low", "u")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$|^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
# The regular expression of a number as SQL text (a constant of this module, never a value read from a file).
_NUMBER_SQL = "'" + _NUMBER.pattern.replace("'", "''") + "'"
_NUMBER_TEMPLATE = _NUMBER_SQL.replace("{", "{{").replace("}", "}}")  # the same inside a str.format template
# What a cell is trimmed of (as Python's str.strip() does): space, tab, line ends, form feeds, no-break space.
_BLANKS = "' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160)"
LEVELS = {
    "national": "national",
    "country": "national",
    "regional": "regional",
    "region": "regional",
    "local authority": "local_authority",
    "local_authority": "local_authority",
    "la": "local_authority",
}


def column_key(header_cell: str | None) -> str:
    """A header cell as a column key: BOM and spaces trimmed, lower case, inner spaces as underscores."""
    return normalise_header(header_cell).replace(" ", "_")


def indicator_kind(name: str, unit: str | None = None) -> str:
    """How an indicator's values are checked: 'percent' (0-100), 'rate' (per 100, not negative, may pass
    100), 'count' (not negative) or 'number' (any number).

    The meta file's ``indicator_unit`` decides when it is ``%`` (a percentage) or a unit of money, time or
    percentage points (any number); otherwise the column name: ``*_percent``, ``pt_*``, ``*_perc``, ``*_pct``
    are percentages; ``*_rate`` is a rate per 100 pupils, bounded by 100 when it counts pupils (permanent
    exclusions, pupils with one or more suspensions) and unbounded when it counts events (suspensions,
    fixed-period exclusions); counts are named ``t_*``, ``num_*``, ``sess_*``, ``enrolments*``, ``headcount``,
    ``perm_*``, ``fixed_*``, ``susp*``...
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
    if re.search(
        r"^(t_|num_|n_|number|count|sess_|enrolments|headcount|pupils|perm_|fixed_|susp|suspension|"
        r"one_plus|one_or_more|excl|exclusion|pupil_)|(_count|_number|_headcount|_pupils|_enrolments)$",
        key,
    ):
        return "count"
    return "number"


# ---------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------

WHOLE_PERIOD_IDENTIFIERS = {
    "",
    "academic year",
    "calendar year",
    "financial year",
    "tax year",
    "reporting year",
    "fiscal year",
}
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
        return PeriodInfo(
            Period(int(text), f"{year}-{month:02d}", dt.date(year, month, 1), dt.date(year, month, last)), None
        )
    if tail != (year + 1) % 100:
        raise ValueError(
            f"time_period {time_period!r} is not an academic or financial year: the last two digits should be "
            f"{(year + 1) % 100:02d} ({year}/{(year + 1) % 100:02d} is written {year}{(year + 1) % 100:02d})"
        )
    if key in ("financial year", "tax year", "fiscal year"):
        return PeriodInfo(Period(int(text), f"{year}-{tail:02d}", dt.date(year, 4, 1), dt.date(year + 1, 3, 31)), extra)
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
    """CSV text (any line endings, quoted fields) as rows, split by :func:`_delimiter`."""
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))


def _delimiter(text: str) -> str:
    """The comma unless the first lines are plainly separated by tabs or semicolons (spreadsheet exports). The
    most-separated of the first ten lines decides, so a title row above the header (``Absence; pupil referral
    units``) does not."""
    head = text[:16384].split("\n")[:10]
    return max((",", "\t", ";"), key=lambda d: (max(line.count(d) for line in head), d == ","))


@dataclass(frozen=True)
class Landed:
    """One sheet of a file in the landing table ``table`` on ``con`` (:data:`native_csv.LANDED_COLUMNS`; a CSV
    file's sheet is NULL): what the SQL rules read."""

    con: duckdb.DuckDBPyConnection
    table: str
    file: str
    sheet: str | None
    into: str | None = None  # in a batch: the table the raw rows go to (with _file_path and _sheet)

    def sql(self, template: str, **tables: str) -> str:
        """``template`` with ``{landing}`` and the other named tables as quoted identifiers."""
        return template.format(landing=quote_ident(self.table), **{k: quote_ident(v) for k, v in tables.items()})

    @property
    def params(self) -> list:
        return [self.file, self.sheet]


_OF_SHEET = "_file_path = ? and _sheet is not distinct from ?"
_TOP_ROWS_SQL = "select _row_number, fields from {landing} where " + _OF_SHEET + " and _row_number <= ?"
_BLANK_ROW = f"trim(coalesce(array_to_string(fields, ''), ''), {_BLANKS}) = ''"  # every cell blank"
_FIRST_ROW_SQL = (
    "select fields from {landing} where " + _OF_SHEET + f" and not ({_BLANK_ROW}) order by _row_number limit 1"
)


def _native_csv(path: Path) -> bool:
    """True for a comma-separated text file DuckDB's reader lands (:func:`native_csv.land_csv_files`; it
    takes cp1252 and quoted fields over lines through its Python fallback); workbooks, UTF-16 text, files
    separated by tabs or semicolons and empty files are read by :func:`_read_sheets`."""
    with path.open("rb") as fh:
        head = fh.read(65536)
    if not head.strip() or head[:2] in (b"\xff\xfe", b"\xfe\xff") or sniff_format(head) != "csv":
        return False
    return _delimiter(decode_text(head)[0]) == "," and _is_utf8(path)


def _is_utf8(path: Path) -> bool:
    """True when the whole file is UTF-8. Checked here rather than left to DuckDB's reader refusing it: a
    refused ``read_csv`` aborts the transaction a batch load runs in, so its Python fallback cannot run."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _land(con, table: str, path: Path, meta_path: Path | None) -> tuple[list[tuple[str, str | None]], MetaFile | None]:
    """Land the data file, and its ``.meta.csv``, in ``table`` (one ``read_csv`` call for those DuckDB reads).
    Returns the data file's sheets as (name, landed sheet) and the metadata."""
    paths = [p for p in (path, meta_path) if p is not None and _native_csv(p)]
    land_csv_files(con, paths, table)
    if path in paths:
        sheets: list[tuple[str, str | None]] = [(path.stem, None)]
    else:
        sheets = []
        with path.open("rb") as fh:
            is_workbook = sniff_format(fh.read(65536)) in ("xlsx", "ods")
        for name, rows in _read_sheets(path):
            sheets.append((name, name if is_workbook else None))
            _insert_rows(con, table, path, sheets[-1][1], rows)
    if meta_path is None:
        return sheets, None
    if meta_path in paths:
        return sheets, _meta_of_rows(meta_path, _landed_rows(Landed(con, table, str(meta_path), None)))
    return sheets, read_meta(meta_path)


def _insert_rows(con, table: str, path: Path, sheet: str | None, rows: list[list[str]]) -> None:
    """Rows read in Python (a workbook sheet, a file DuckDB does not read) landed in the same shape."""
    if not rows:
        return
    frame = pd.DataFrame(
        {
            "_row_number": range(1, len(rows) + 1),
            "fields": pd.Series([[str(c) for c in row] for row in rows], dtype="object"),
        }
    )
    con.register("_school_rows", frame)
    try:
        con.execute(
            f"insert into {quote_ident(table)} select ?, ?, _row_number, fields::varchar[] from _school_rows",
            [str(path), sheet],
        )
    finally:
        con.unregister("_school_rows")


def _landed_rows(landed: Landed, count: int | None = None) -> list[list[str]]:
    """The first ``count`` rows of a landed sheet (every row when None) as cells, a blank line as []."""
    found = landed.con.execute(landed.sql(_TOP_ROWS_SQL), [*landed.params, count or 2**62]).fetchall()
    rows: list[list[str]] = [[] for _ in range(count or max((n for n, _f in found), default=0))]
    for number, fields in found:
        rows[number - 1] = [f if f is not None else "" for f in fields]
    return rows


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
        meta = _meta_of_rows(path, rows)
        if meta is not None:
            return meta
    return None


def _meta_of_rows(path: Path, rows: list[list[str]]) -> MetaFile | None:
    at = _header_at(rows, META_REQUIRED, scan=3)
    if at is None:
        return None
    keys = [column_key(c) for c in rows[at]]
    out = []
    for number, row in enumerate(rows[at + 1 :], start=at + 2):
        if not any(c.strip() for c in row):
            continue
        record = {k: (row[i].strip() if i < len(row) else "") for i, k in enumerate(keys) if k}
        record["_row_number"] = number
        out.append(record)
    return MetaFile(path, out)


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
    orphans = [
        p
        for p in siblings
        if p.name.lower().endswith(".meta.csv") and p.name.lower()[: -len(".meta.csv")] + ".csv" not in names
    ]
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


def _layout(top: list[list[str]], meta: MetaFile | None, landed: Landed) -> Layout | None:
    at = _header_at(top, EES_REQUIRED)
    if at is not None:
        return _ees_layout(top, at, meta, landed)
    at = _header_at(top, PRE_EES_REQUIRED)
    if at is not None:
        return _pre_ees_layout(top, at, meta, landed)
    return None


_FILTER_NAMES = re.compile(
    r"(^|_)(age|year_group|nc_year|ncyear|band|characteristic|group|grouping|type|breakdown|phase|term|terms|sex|"
    r"gender|ethnicity|ethnic|reason|category|measure|level|status)(_|$)"
)
TOTAL_FILTER_VALUES = ("total", "all")
# Per candidate column (0-based index i) of a landed sheet: its non-blank cells, how many are neither a number
# nor a symbol (texts), how many are numbers, and whether one says Total.
_COLUMN_PROFILE_SQL = f"""
    select i, count(v), count(v) filter (where not is_symbol and not is_number),
        count(v) filter (where is_number and not is_symbol),
        coalesce(bool_or(list_contains(?::varchar[], lower(v))), false)
    from (
        select i, v, list_contains(?::varchar[], lower(v)) as is_symbol,
            coalesce(regexp_full_match(rtrim(v, '%'), {_NUMBER_TEMPLATE}), false) as is_number
        from (
            select c.i, nullif(trim(coalesce(l.fields[c.i + 1], ''), {_BLANKS}), '') as v
            from {{landing}} l, unnest(?::integer[]) as c(i)
            where l._file_path = ? and l._sheet is not distinct from ? and l._row_number > ?
        )
    )
    group by i
"""


def _roles_by_values(
    landed: Landed, at: int, keys: list[str], candidates: list[int], by_name: bool = True
) -> tuple[list[int], list[int]]:
    """(filters, indicators) among ``candidates`` when no metadata says: a column named like a filter
    (``*_type``, ``*_group``, ``age``...) or holding ``Total`` is a filter; one whose values are numbers and
    symbols is an indicator, even with a few stray texts (at most 1% of its cells; they are quarantined).
    The values are profiled in SQL over the landed rows."""
    if not candidates:
        return [], []
    profiles = {
        i: rest
        for i, *rest in landed.con.execute(
            landed.sql(_COLUMN_PROFILE_SQL),
            [list(TOTAL_FILTER_VALUES), list(SYMBOLS), candidates, *landed.params, at + 1],
        ).fetchall()
    }
    filters, indicators = [], []
    for index in candidates:
        cells, texts, numbers, has_total = profiles.get(index, (0, 0, 0, False))
        named_like_filter = _FILTER_NAMES.search(keys[index]) or has_total
        if not cells or (by_name and named_like_filter):
            filters.append(index)
        elif not texts or (numbers and texts <= max(1, cells // 100)):
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


def _ees_layout(top: list[list[str]], at: int, meta: MetaFile | None, landed: Landed) -> Layout:
    keys = [column_key(c) for c in top[at]]
    first_of = _first_of(keys)
    standard = {STANDARD[k]: i for k, i in first_of.items() if k in STANDARD}
    layout = Layout("ees", at, keys, standard)
    duplicates = sorted({k for i, k in enumerate(keys) if k and first_of[k] != i})
    if duplicates:
        layout.notes.append(f"repeated column(s) {', '.join(duplicates)}: the first of each is read")
    _assign_roles(layout, landed, [i for k, i in first_of.items() if k not in STANDARD], meta)
    return layout


def _pre_ees_layout(top: list[list[str]], at: int, meta: MetaFile | None, landed: Landed) -> Layout:
    keys = [column_key(c) for c in top[at]]
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
    _assign_roles(layout, landed, [i for k, i in first_of.items() if k not in PRE_EES_STANDARD], meta)
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


def _assign_roles(layout: Layout, landed: Landed, candidates: list[int], meta: MetaFile | None) -> None:
    """Filters and indicators among the non-standard columns. Area columns (a rule on names) are neither.
    With a .meta.csv its filters are the filters and its indicators the indicators; a column it does not list
    is an indicator when its values are numbers and symbols, else not used. Without one, roles are inferred
    from names and values."""
    keys = layout.keys
    areas = [i for i in candidates if is_area_column(keys[i])]
    others = [i for i in candidates if i not in areas]
    if meta is None:
        layout.filters, layout.indicators = _roles_by_values(landed, layout.header_index, keys, others)
        layout.notes.insert(
            0,
            "no .meta.csv beside the file: roles inferred from the values (filters: "
            + (", ".join(keys[i] for i in layout.filters) or "none")
            + f"; {len(layout.indicators)} indicators)",
        )
    else:
        _roles_from_meta(layout, landed, others, meta)
    if areas:
        layout.notes.append("area columns, never filters: " + ", ".join(keys[i] for i in areas))
    layout.filters.sort()
    layout.indicators.sort()


def _roles_from_meta(layout: Layout, landed: Landed, others: list[int], meta: MetaFile) -> None:
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
            layout.labels[index] = (
                record.get("label", ""),
                record.get("indicator_grouping", ""),
                record.get("indicator_unit", ""),
                record["_row_number"],
            )
        else:
            unlisted.append(index)
    if unlisted:
        _filters, indicators = _roles_by_values(landed, layout.header_index, keys, unlisted, by_name=False)
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
    path: Path,
    source: str,
    reference: AreaReference,
    con: duckdb.DuckDBPyConnection | None = None,
    into: str | None = None,
) -> list[ParsedTable]:
    """Every statistics table of a file as rows of ``<source>_values``; FileRejected when the file holds none.
    The file (with its ``.meta.csv``) is landed on ``con`` (the loading connection) and its long rows staged
    there as a temporary table by the SQL rules (each table's ``frame``), or inserted into the table ``into``
    (a batch's, with ``_file_path`` and ``_sheet``; no ``frame`` then)."""
    con = con if con is not None else duckdb.connect()
    meta_paths = meta_companions(path)
    landing = f"_school_{next(_counter)}_l"
    try:
        sheets, meta = _land(con, landing, path, meta_paths[0] if meta_paths else None)
        tops = [(name, key, _landed_rows(Landed(con, landing, str(path), key), 10)) for name, key in sheets]
        if any(is_meta_header(top) for _name, _key, top in tops):
            return [_meta_note(path, source)]
        tables: list[ParsedTable] = []
        for name, key, top in tops:
            tables += _parse_sheet(
                Landed(con, landing, str(path), key, into), name, top, len(sheets) > 1, meta, source, reference
            )
        if not tables:
            raise FileRejected(_not_statistics(con, landing, path, sheets))
        return tables
    finally:
        con.execute(f"drop table if exists {quote_ident(landing)}")


def parse_school_statistics_batch(
    con: duckdb.DuckDBPyConnection, paths: list[Path], source: str, reference: AreaReference
) -> BatchOutcome:
    """Every new or changed file of a source for :func:`pipelines.lib.ingest.load.load_source`'s ``batch_parser``:
    each file (with its ``.meta.csv``) parsed by :func:`parse_school_statistics_file` (files of one source
    have different layouts: their columns are recognised from each header), the staged rows of all of them
    gathered in one temporary table and their quarantine entries in another, written set-based."""
    tag = f"_school_{next(_counter)}_batch"
    staged = values_table(source).name
    outcome = BatchOutcome(staged={staged: tag}, rejections=empty_rejections(con, tag + "_rejections"))
    con.execute(
        f"create or replace temp table {quote_ident(tag)} ("
        + ", ".join(f"{quote_ident(c)} varchar" for c in VALUE_COLUMNS)
        + ", _file_path varchar, _sheet varchar, _row_number bigint)"
    )
    for path in paths:
        try:
            tables = parse_school_statistics_file(path, source, reference, con, into=tag)
        except (FileRejected, UnreadableFile) as exc:
            outcome.refused[str(path)] = str(exc)
            continue
        outcome.read[str(path)] = FileRead(
            tables=[t.table_name for t in tables],
            rows_read=sum(t.rows_read for t in tables),
            notes=[n for t in tables for n in t.notes],
        )
        for table in tables:
            _gather(con, outcome, str(path), table)
    return outcome


def _gather(con, outcome: BatchOutcome, file_path: str, table: ParsedTable) -> None:
    """One parsed table's staged rows and quarantine entries into the batch's tables."""
    target = quote_ident(outcome.staged[table.table_name])
    if isinstance(table.frame, StagedRelation):
        con.execute(
            f"insert into {target} select {', '.join(quote_ident(c) for c in VALUE_COLUMNS)}, ?, ?, "
            f"_row_number from {quote_ident(table.frame.table)}",
            [file_path, table.sheet],
        )
        con.execute(f"drop table {quote_ident(table.frame.table)}")
    if table.rejections:
        frame = pd.DataFrame(
            {
                "row_number": pd.Series([r.row_number for r in table.rejections], dtype="Int64"),
                **{
                    name: pd.Series([getattr(r, attribute) for r in table.rejections], dtype="object")
                    for name, attribute in (("column_name", "column"), ("value", "value"), ("reason", "reason"))
                },
            }
        )
        con.register("_school_rejections", frame)
        try:
            con.execute(
                f"insert into {quote_ident(outcome.rejections)} select ?, row_number, column_name, value, "
                "reason, ? from _school_rejections",
                [file_path, table.table_name],
            )
        finally:
            con.unregister("_school_rejections")


def _not_statistics(con, landing: str, path: Path, sheets: list[tuple[str, str | None]]) -> str:
    """Why a file with no statistics table is rejected, with the columns of its first non-blank row."""
    first: list[str] = []
    for _name, key in sheets:
        landed = Landed(con, landing, str(path), key)
        found = con.execute(landed.sql(_FIRST_ROW_SQL), landed.params).fetchone()
        if found:
            first = [f or "" for f in found[0]]
            break
    keys = {column_key(c) for c in first}
    missing = [c for c in EES_REQUIRED if c not in keys]
    return (
        "not a DfE statistics file this warehouse knows: an EES open-data CSV needs the columns "
        f"{', '.join(EES_REQUIRED)} (missing: {', '.join(missing)}), the pre-EES LA time series needs "
        f"{', '.join(PRE_EES_REQUIRED)}; columns found: " + (", ".join(c.strip() for c in first if c.strip()) or "none")
    )


def _parse_sheet(
    landed: Landed,
    name: str,
    top: list[list[str]],
    several: bool,
    meta: MetaFile | None,
    source: str,
    reference: AreaReference,
) -> list[ParsedTable]:
    """The statistics table of one landed sheet (none when its header is not one)."""
    layout = _layout(top, meta, landed)
    if layout is None:
        return []
    tag = f"_school_{next(_counter)}"
    rows_read = _row_shapes(landed, tag, layout)
    sheet = name if several else None
    if not rows_read:
        landed.con.execute(f"drop table if exists {quote_ident(tag + '_s')}")
        empty = ParsedTable(values_table(source).name, sheet=sheet)
        empty.notes.append("the file has a header but no data rows: nothing to load")
        return [empty]
    path = Path(landed.file)
    _find_coverage(layout, top, name if several or name != path.stem else None, path)
    if not layout.indicators:
        raise FileRejected(
            "a statistics file needs at least one indicator column (numbers or symbols); columns found: "
            + ", ".join(k for k in layout.keys if k)
        )
    return [_parse_table(landed, tag, layout, source, reference, sheet, rows_read)]


def _find_coverage(layout: Layout, rows: list[list[str]], sheet: str | None, path: Path) -> None:
    """The part of the pupils the file covers when no column says so (title, sheet or file name, meta labels,
    indicator names), noted in the load log; its breakdown pairs are added to every row."""
    title = [" ".join(c.strip() for c in row if c.strip()) for row in rows[: layout.header_index]]
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


def _meta_note(path: Path, source: str) -> ParsedTable:
    meta = read_meta(path)
    records = meta.rows if meta else []
    filters = [r.get("col_name", "") for r in records if (r.get("col_type") or "").lower() == "filter"]
    indicators = [r for r in records if (r.get("col_type") or "").lower() == "indicator"]
    data_name = path.name[: -len(".meta.csv")] + ".csv" if path.name.lower().endswith(".meta.csv") else None
    data_file = next((p for p in path.parent.glob("*") if data_name and p.name.lower() == data_name.lower()), None)
    used = (
        f"used with its data file {data_file.name}"
        if data_file
        else (f"no data file {data_name or '<name>.csv'} beside it, so it is not used")
    )
    table = ParsedTable(values_table(source).name, rows_read=0)
    table.notes.append(
        f"EES metadata file, not data: {used} (filters: {', '.join(filters) or 'none'}; {len(indicators)} indicators)"
    )
    return table


# ---------------------------------------------------------------------------
# The row rules, in SQL on the loading connection
# ---------------------------------------------------------------------------

# Each data row below the header: blank or not, and its cells (trailing blank cells past the header's width
# not counted, as a spreadsheet export pads rows).
_ROW_SHAPES_SQL = f"""
    create or replace temp table {{shapes}} as
    select _row_number, fields, {_BLANK_ROW} as blank,
        case when len(fields) > ? then greatest(?, coalesce(list_max(list_filter(range(1, len(fields) + 1),
            i -> trim(coalesce(fields[i], ''), {_BLANKS}) <> '')), 0)) else len(fields) end as cells
    from {{landing}} where {_OF_SHEET} and _row_number > ?
"""
_RAGGED_SQL = """
    select _row_number, 'the row has ' || cells || ' cells but the header has ' || ? || ' columns'
    from {shapes} where not blank and cells <> ? order by _row_number
"""
# The declared columns of the layout (KEY_COLUMNS, f0.., v0..) of the rows of the header's width.
_WIDE_SQL = """
    create or replace temp table {wide} as
    select _row_number, {columns} from {shapes} where not blank and cells = ?
"""


def _width(layout: Layout) -> int:
    width = len(layout.keys)
    while width and not layout.keys[width - 1]:
        width -= 1
    return width


def _row_shapes(landed: Landed, tag: str, layout: Layout) -> int:
    """The shapes table ``<tag>_s`` of the sheet's data rows; returns how many are not blank (rows read)."""
    width = _width(layout)
    landed.con.execute(
        landed.sql(_ROW_SHAPES_SQL, shapes=tag + "_s"), [width, width, *landed.params, layout.header_index + 1]
    )
    return landed.con.execute(f"select count(*) filter (where not blank) from {quote_ident(tag + '_s')}").fetchone()[0]


def _declared(layout: Layout) -> dict[str, int | None]:
    """Declared column -> its 0-based position in the file (None when the file has none)."""
    columns: dict[str, int | None] = {short: layout.standard.get(short) for short in KEY_COLUMNS}
    columns.update({f"f{n}": index for n, index in enumerate(layout.filters)})
    columns.update({f"v{n}": index for n, index in enumerate(layout.indicators)})
    return columns


def _land_wide(landed: Landed, tag: str, layout: Layout) -> None:
    """``<tag>_t``: the rows of the header's width with the declared columns (positions bound as parameters:
    NULL gives ''), key and filter cells trimmed, indicator cells as published."""
    declared = _declared(layout)
    keys = {*KEY_COLUMNS, *(c for c in declared if c.startswith("f"))}
    columns = ", ".join(
        f"trim(coalesce(fields[?], ''), {_BLANKS}) as {quote_ident(c)}"
        if c in keys
        else f"fields[?] as {quote_ident(c)}"
        for c in declared
    )
    positions = [None if i is None else i + 1 for i in declared.values()]
    landed.con.execute(
        _WIDE_SQL.format(wide=quote_ident(tag + "_t"), shapes=quote_ident(tag + "_s"), columns=columns),
        [*positions, _width(layout)],
    )


def _parse_table(
    landed: Landed, tag: str, layout: Layout, source: str, reference: AreaReference, sheet: str | None, rows_read: int
) -> ParsedTable:
    con = landed.con
    width = _width(layout)
    rejections = [
        Rejection(n, None, None, reason)
        for n, reason in con.execute(landed.sql(_RAGGED_SQL, shapes=tag + "_s"), [width, width]).fetchall()
    ]
    _land_wide(landed, tag, layout)
    con.execute(f"drop table {quote_ident(tag + '_s')}")
    into = (landed.into, landed.file, sheet) if landed.into else None
    staged, loaded, cell_rejections, rows_rejections, vintage = _stage(con, tag, layout, reference, into)
    rejections += rows_rejections + cell_rejections
    values = ParsedTable(values_table(source).name, rows_read=rows_read, sheet=sheet)
    values.frame = StagedRelation(con, staged, loaded) if staged else None
    values.rejections = sorted(rejections, key=lambda r: (r.row_number or 0, r.column or ""))
    values.notes = [*layout.notes, vintage]
    return values


def _resolve_keys(keys: list[tuple], layout: Layout, reference: AreaReference) -> pd.DataFrame:
    """One row per distinct (period, area) key of the file: the resolved area and period, or why not."""
    out = []
    for key in keys:
        tp, ti, gl, cc, cn, rc, rn, olc, nlc, ln = key
        record = dict(zip(KEY_COLUMNS, key))
        try:
            ti_used = ti if "ti" in layout.standard else ("Academic year" if len(tp.strip()) == 6 else "")
            info = parse_period(tp, ti_used)
            record.update(
                time_period=str(info.period.time_period),
                period_label=info.period.label,
                time_identifier=ti_used,
                extra_key=info.extra_pair[0] if info.extra_pair else None,
                extra_value=info.extra_pair[1] if info.extra_pair else None,
            )
            level = LEVELS.get(" ".join(gl.lower().split()))
            if level is None:
                raise AreaError(
                    "geographic_level",
                    gl,
                    f"geographic level {gl!r} is not kept by this warehouse (only National, Regional and Local "
                    "authority rows are); the row is not loaded",
                )
            area = _area(level, cc, cn, rc, rn, olc, nlc, ln, info.period, layout, reference)
            record.update(
                geography_level=area.geography_level,
                area_code=area.area_code,
                area_name=area.area_name,
                la_code=area.la_code,
                area_region_code=area.region_code,
                is_london_subregion="true" if area.is_london_subregion else "false",
                reject_column=None,
                reject_value=None,
                reject_reason=None,
            )
        except AreaError as exc:
            record.update(reject_column=exc.column, reject_value=exc.value, reject_reason=exc.reason)
        except ValueError as exc:
            column = "year" if layout.kind == "pre_ees" else "time_period"
            record.update(reject_column=column, reject_value=tp, reject_reason=str(exc))
        out.append(record)
    columns = [
        *KEY_COLUMNS,
        "time_period",
        "period_label",
        "time_identifier",
        "extra_key",
        "extra_value",
        "geography_level",
        "area_code",
        "area_name",
        "la_code",
        "area_region_code",
        "is_london_subregion",
        "reject_column",
        "reject_value",
        "reject_reason",
    ]
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
                raise AreaError(
                    "la_name" if exc.column == "region_name" else exc.column, exc.value, exc.reason
                ) from None
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
    columns = [
        "extra_key",
        "extra_value",
        *(f"f{n}" for n in range(len(filter_names))),
        "breakdown",
        "breakdown_published",
    ]
    return pd.DataFrame({c: pd.Series([r[i] for r in out], dtype="object") for i, c in enumerate(columns)})


def period_end_year(time_period: int) -> int:
    """The calendar year a period ends in: 201617 -> 2017, 201204 -> 2012, 2019 -> 2019."""
    if time_period >= 100000:
        year, tail = divmod(time_period, 100)
        return year + 1 if tail == (year + 1) % 100 else year
    return time_period


def _tables(tag: str, *suffixes: str) -> dict[str, str]:
    """The quoted names of a file's working tables ``<tag>_<suffix>``, by suffix."""
    return {s: quote_ident(f"{tag}_{s}") for s in suffixes}


def _using(columns) -> str:
    return ", ".join(quote_ident(c) for c in columns)


# Every row with its resolved period, area (or why not) and breakdown; a repeat of a period, area and
# breakdown numbered after the first.
_ROWS_SQL = """
    create or replace temp table {r} as
    select t._row_number, g.*, b.breakdown, b.breakdown_published,
        case when g.reject_reason is null then row_number() over (
            partition by g.reject_reason is null, g.time_period, g.area_code, b.breakdown
            order by t._row_number) end as copy_number,
        case when g.reject_reason is null then min(t._row_number) over (
            partition by g.reject_reason is null, g.time_period, g.area_code, b.breakdown) end as first_row
    from {t} t
    join {g} g using ({keys})
    join {b} b on b.extra_key is not distinct from g.extra_key
        and b.extra_value is not distinct from g.extra_value{filter_join}
"""
_ROW_REJECTIONS_SQL = """
    select _row_number, reject_column, reject_value, reject_reason from {r} where reject_reason is not null
    union all
    select _row_number, 'breakdown', breakdown,
        'the same period, area and breakdown as row ' || first_row || ' (kept); a row is loaded once'
    from {r} where copy_number > 1
"""


def _resolve_rows(con, tag: str, layout: Layout, reference: AreaReference) -> list[Rejection]:
    """``<tag>_r``: each row's period, area and breakdown, resolved once per distinct key (Python: the area
    rules of :mod:`pipelines.lib.reference.school_areas`) and joined back in SQL; returns the rows quarantined."""
    names = _tables(tag, "t", "g", "b", "r")
    filters = [f"f{n}" for n in range(len(layout.filters))]
    keys = con.execute(f"select distinct {_using(KEY_COLUMNS)} from {names['t']}").fetchall()
    con.register(f"{tag}_g", _resolve_keys(keys, layout, reference))
    combos = con.execute(
        f"select distinct g.extra_key, g.extra_value{''.join(', t.' + quote_ident(f) for f in filters)} "
        f"from {names['t']} t join {names['g']} g using ({_using(KEY_COLUMNS)})"
    ).fetchall()
    con.register(f"{tag}_b", _resolve_breakdowns(combos, layout))
    filter_join = "".join(f" and b.{quote_ident(f)} = t.{quote_ident(f)}" for f in filters)
    con.execute(_ROWS_SQL.format(**names, keys=_using(KEY_COLUMNS), filter_join=filter_join))
    return [
        Rejection(n, column, value, reason)
        for n, column, value, reason in con.execute(_ROW_REJECTIONS_SQL.format(**names)).fetchall()
    ]


# The indicator cells of the rows kept (resolved and not a repeat), one row per cell, trimmed.
_UNPIVOT_SQL = f"""
    create or replace temp table {{u}} as
    select u._row_number, u.ind, trim(coalesce(u.raw, ''), {_BLANKS}) as raw
    from (select _row_number, {{on}} from {{t}} where _row_number in (
            select _row_number from {{r}} where reject_reason is null and copy_number = 1)) as src
    unpivot include nulls (raw for ind in ({{on}})) as u
"""
_VINTAGE_SQL = """
    select (select coalesce(bool_or(lower(raw) = 'c'), false) from {u}),
           (select max(cast(time_period as integer)) from {r} where reject_reason is null)
"""
LEGACY_NOTE = (
    "legacy symbols: no 'c' anywhere and the latest period ends before 2020, so 'x' is read as suppressed (status c)"
)
CURRENT_NOTE = "current symbols: 'x' is read as not available (status x)"


def _unpivot(con, tag: str, n_indicators: int) -> tuple[bool, str]:
    """``<tag>_u``: the cells; returns whether the file is of the legacy vintage (see the module docstring)
    and the note saying which."""
    names = _tables(tag, "t", "r", "u")
    on = _using(f"v{n}" for n in range(n_indicators))
    con.execute(_UNPIVOT_SQL.format(**names, on=on))
    has_c, latest = con.execute(_VINTAGE_SQL.format(**names)).fetchone()
    latest_end_year = period_end_year(latest) if latest is not None else None
    legacy = not has_c and latest_end_year is not None and latest_end_year < 2020
    return legacy, LEGACY_NOTE if legacy else CURRENT_NOTE


def _register_indicators(con, tag: str, layout: Layout) -> None:
    """``<tag>_i``: each indicator column (v0..) with its name, kind, label, grouping and unit."""
    names = [layout.keys[i] for i in layout.indicators]
    labels = [layout.labels.get(i, ("", "", "", 0)) for i in layout.indicators]
    con.register(
        f"{tag}_i",
        pd.DataFrame(
            {
                "ind": pd.Series([f"v{n}" for n in range(len(names))], dtype="object"),
                "indicator": pd.Series(names, dtype="object"),
                "kind": pd.Series([indicator_kind(n, lab[2]) for n, lab in zip(names, labels)], dtype="object"),
                "indicator_label": pd.Series([lab[0] or None for lab in labels], dtype="object"),
                "indicator_grouping": pd.Series([lab[1] or None for lab in labels], dtype="object"),
                "indicator_unit": pd.Series([lab[2] or None for lab in labels], dtype="object"),
            }
        ),
    )


# Each cell as a symbol (parameter 1: the symbols), a number, or the problem that quarantines it.
_CELLS_SQL = f"""
    create or replace temp table {{c}} as
    with cells as (
        select u._row_number, i.indicator, i.kind, i.indicator_label, i.indicator_grouping, i.indicator_unit,
            u.raw, lower(u.raw) as low,
            case when u.raw = '' or list_contains(?::varchar[], lower(u.raw)) then lower(u.raw) end as symbol
        from {{u}} u join {{i}} i using (ind)
    ),
    numbers as (
        select *,
            case when symbol is null then
                case when regexp_full_match(rtrim(raw, '%'), {_NUMBER_TEMPLATE})
                     then try_cast(replace(ltrim(rtrim(raw, '%'), '+'), ',', '') as double) end
            end as number
        from cells
    )
    select *,
        case
            when symbol is null and number is null then
                indicator || ' value ' || '''' || raw || '''' ||
                ' is neither a number nor a statistics symbol (c, x, z, low, k, u, or legacy : ~ .. . -)'
            when number is not null and kind in ('count', 'rate', 'percent') and number < 0 then
                indicator || ' is negative (' || raw || '); a ' ||
                case kind when 'count' then 'count' else 'rate' end || ' cannot be'
            when number is not null and kind = 'percent' and number > 100 then
                indicator || ' is a percentage (0-100) but ' || raw || ' is over 100'
        end as problem
    from numbers
"""
_CELL_REJECTIONS_SQL = "select _row_number, indicator, raw, problem from {c} where problem is not null"


def _check_cells(con, tag: str) -> list[Rejection]:
    """``<tag>_c``: every cell checked; returns the cells quarantined."""
    names = _tables(tag, "u", "i", "c")
    con.execute(_CELLS_SQL.format(**names), [list(SYMBOLS)])
    return [
        Rejection(n, indicator, raw, problem)
        for n, indicator, raw, problem in con.execute(_CELL_REJECTIONS_SQL.format(**names)).fetchall()
    ]


# The raw table's rows. Parameters: the file layout, the status of 'x' (by vintage), the symbols and their
# statuses (STATUS_OF_SYMBOL).
_STAGED_SELECT = """
    select
        ?::varchar as file_layout,
        r.time_period, r.time_identifier, r.period_label, nullif(r.gl, '') as geographic_level,
        r.geography_level, nullif(r.cc, '') as country_code, nullif(r.rc, '') as region_code,
        nullif(r.rn, '') as region_name, nullif(r.olc, '') as old_la_code, nullif(r.nlc, '') as new_la_code,
        nullif(r.ln, '') as la_name, r.area_code, r.area_name, r.la_code, r.area_region_code,
        r.is_london_subregion, r.breakdown, r.breakdown_published, c.indicator,
        c.indicator_label, c.indicator_grouping, c.indicator_unit, c.kind as indicator_kind,
        c.raw as raw_value,
        case when c.number is not null then replace(ltrim(rtrim(c.raw, '%'), '+'), ',', '') end as value,
        case when c.symbol = 'x' then ?::varchar
             when c.symbol is not null then list_extract(?::varchar[], list_position(?::varchar[], c.symbol))
        end as status_symbol,
        case when c.symbol is not null then c.raw end as published_symbol,
        c._row_number
    from {c} c join {r} r using (_row_number)
    where c.problem is null
"""
_CREATE_STAGED_SQL = "create or replace temp table {out} as " + _STAGED_SELECT
# In a batch, straight into the batch's table (parameters: the file and sheet, then those of the select).
_INSERT_STAGED_SQL = (
    "insert into {into} by name select s.*, ?::varchar as _file_path, ?::varchar as _sheet from ("
    + _STAGED_SELECT
    + ") as s"
)
_LOADED_SQL = """
    select count(distinct _row_number) filter (where problem is null),
        count(*) filter (where problem is null and kind = 'count' and number <> floor(number)) from {c}
"""


def _write_staged(
    con, tag: str, layout: Layout, legacy: bool, into: tuple[str, str, str | None] | None
) -> tuple[str | None, int, int]:
    """The raw table's rows as ``<tag>_out``, or inserted into the batch's table ``into`` (table, file, sheet);
    returns the table staged (None in a batch), the rows loaded and the count cells not whole numbers."""
    names = _tables(tag, "c", "r", "out")
    params = [layout.kind, "c" if legacy else "x", list(STATUS_OF_SYMBOL.values()), list(STATUS_OF_SYMBOL)]
    if into is None:
        con.execute(_CREATE_STAGED_SQL.format(**names), params)
    else:
        con.execute(_INSERT_STAGED_SQL.format(**names, into=quote_ident(into[0])), [*into[1:], *params])
    loaded, fractional = con.execute(_LOADED_SQL.format(**names)).fetchone()
    return (f"{tag}_out" if into is None else None), loaded, fractional


def _stage(con, tag: str, layout: Layout, reference: AreaReference, into: tuple[str, str, str | None] | None):
    """The row rules over ``<tag>_t`` (the declared columns): rows resolved and de-duplicated, cells
    unpivoted and checked, the raw table's rows staged as ``<tag>_out`` (or into the batch's table)."""
    try:
        row_rejections = _resolve_rows(con, tag, layout, reference)
        legacy, vintage = _unpivot(con, tag, len(layout.indicators))
        _register_indicators(con, tag, layout)
        cell_rejections = _check_cells(con, tag)
        staged, loaded, fractional = _write_staged(con, tag, layout, legacy, into)
    finally:
        for suffix in ("t", "r", "u", "c"):
            con.execute(f"drop table if exists {quote_ident(f'{tag}_{suffix}')}")
        for suffix in ("g", "b", "i"):
            with contextlib.suppress(Exception):  # not registered when an earlier step failed
                con.unregister(f"{tag}_{suffix}")
    if fractional:
        vintage += (
            f"; {fractional} count cell(s) are not whole numbers (DfE apportioned some counts, e.g. pupils "
            "excluded for several reasons): loaded as published"
        )
    return staged, loaded, cell_rejections, row_rejections, vintage
