"""SSDA903 returns (children looked after): the CSV tables and the XML return, pseudonymised at ingest.

Layout of the landing folder (``raw/ssda903/``), the year always from the folder name:

* ``<YYYY>/``           the home LA's return (``CSW_HOME_LA``) for the year ending 31 March YYYY;
* ``<la_code>/<YYYY>/`` another LA's return (regional partnerships pooling returns).

A folder ``2017-18`` is read as the year ending 31 March 2018. Files are recognised by their content:

* CSV (or XLSX sheets), one table per file, recognised by its header row: ``Header``, ``Episodes``,
  ``AD1`` and ``PlacedAdoption`` are loaded; the other DfE tables (``Reviews``, ``UASC``, ``OC2``,
  ``OC3``, ``PrevPerm``, ``Missing``, ``SW_Episodes``) are recognised and recorded in
  ``quality.load_log`` as not used, never silently dropped.
* XML (root ``EXPSSDA903``): one ``<CHILD>`` per child, ``<HEADER>`` (``CHILDID`` is the CSVs'
  ``CHILD``; AD1 fields directly inside it; ``AD_PLACED``, ``AREVIEW``, ``AMISSING``, ``OC2``,
  ``PERMANENCE`` nested) and ``<EPISODE>`` elements (``PL`` is the CSVs' ``PLACE``).

Pseudonymisation: the clear ``CHILD`` id never leaves this module; every row carries
``child_key`` (:func:`pipelines.lib.ingest.pseudonymise.child_key` of the LA code and the id), and a
rejection whose column is ``CHILD`` carries the child_key, never the id. Dates of birth are cut to
the first of the month; UPN and ``HOME_POST`` are not read at all, and ``PL_POST`` only to compare a child's
consecutive placements (DfE rules 434-436): it is never kept, nor shown in a reason.

Row rules, all in SQL over the landed text (:func:`read_returns`: the CSV files landed by DuckDB in one call,
the workbook sheets and the XML return read in Python into rows of the same shape, the table of each file or
sheet recognised from its first rows; the child keys made once per distinct LA and CHILD). A row that breaks a
rule is quarantined with file, row, column, value and reason, which starts with the DfE validation rule's number
where there is one ("DfE rule 217: ..."): dates as :func:`pipelines.lib.ingest.parsing.parse_date` reads them; every
code in the DfE list of the return's collection year (``ssda903_code_lists.csv``: list, code, first and last
collection year, label, source; trimmed, upper-cased first, as the DfE validator does); flags written 0/1,
TRUE/FALSE, Y/N or Yes/No in any case read as 0/1; DEC not before DECOM (356); REC on a closed episode (148),
``E11``/``E12`` only from a placement for adoption (390); A3/A5 begun with the same carers (217); a child's
episodes in a file in sequence (501, 142, 433) with RNE agreeing with what changed (434-436); one row per child
(per child and DECOM for episodes, per child and DATE_PLACED for PlacedAdoption) in a file.

Rules across tables, applied by :func:`apply_cross_table_rules` after every file is loaded: an AD1 row whose
``DATE_MATCH`` is after the child moved in with the adopters (331), or whose ``FOSTER_CARE`` contradicts the
placement the child was adopted from (335), in the Episodes of the same return, is quarantined. Because those
rules join files, files are re-read whenever a file of their return (or the home LA, or the pseudonymisation
key) changes: see :func:`mark_for_reload`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.lib.ingest.batch import BatchOutcome, FileRead, empty_rejections
from pipelines.lib.ingest.load import (
    Batching,
    FileRejected,
    RawTable,
    discover_files,
    ensure_quality_schema,
    settle_file_counts,
    sha256_file,
)
from pipelines.lib.ingest.native_csv import columns_sql, land_csv_files, quote_ident
from pipelines.lib.ingest.pseudonymise import child_key
from pipelines.lib.ingest.readers import (
    UnreadableFile,
    find_header_row,
    normalise_header,
    read_tables,
    sniff_format,
)
from pipelines.lib.ingest.rules import ParsedTable, Rejection

SOURCE = "ssda903"
REDACTED = "<redacted>"

# --- DfE code lists by collection year (data: ssda903_code_lists.csv, one row per list and code) -------------
CODE_LISTS_FILE = Path(__file__).with_name("ssda903_code_lists.csv")
CARER_UNCHANGED_RNE = ("L", "T", "U")  # same carers: legal status only; placement; legal status and placement
NEW_CARER_RNE = ("S", "P", "B")
COURT_AUTHORITY_LS = ("E1", "D1")
ADOPTION_PLACEMENTS = ("A3", "A4", "A5", "A6")
LEGACY_ADOPTION_PLACEMENTS = ("A1", "A2")  # returns before 2013-14
ALL_ADOPTION_PLACEMENTS = (*ADOPTION_PLACEMENTS, *LEGACY_ADOPTION_PLACEMENTS)
WITH_CURRENT_FOSTER_CARERS = ("A3", "A5")
ADOPTED_REC = ("E11", "E12")
# list -> (the DfE validation rule that checks it, what its codes are)
LIST_RULES = {
    "RNE": ("143", "reason for new episode"),
    "LS": ("144", "legal status"),
    "CIN": ("145", "category of need"),
    "PLACE": ("146", "placement type"),
    "REC": ("149", "reason episode ceased"),
    "PLACE_PROVIDER": ("178", "placement provider"),
    "REASON_PLACE_CHANGE": ("1009", "reason for placement change"),
    "FOSTER_CARE": ("114", "adopted by foster carer(s) flag"),
    "NB_ADOPTR": ("175", "number of adopters"),
    "SEX_ADOPTR": ("176", "sex of adopter(s)"),
    "LS_ADOPTR": ("177", "legal status of adopter(s)"),
    "REASON_PLACED_CEASED": ("120", "reason the decision to place for adoption ceased"),
}
# Flags as case-management systems write them (any case): the DfE value each stands for.
FLAG_WORDS = {"0": "0", "false": "0", "n": "0", "no": "0", "1": "1", "true": "1", "y": "1", "yes": "1"}


@dataclass(frozen=True)
class CodeSpan:
    """A DfE code and the collection years (years ending 31 March) it is valid in; None: no bound."""

    code: str
    first_year: int | None
    last_year: int | None
    label: str
    source: str

    def valid_in(self, year: int) -> bool:
        return (self.first_year is None or year >= self.first_year) and (
            self.last_year is None or year <= self.last_year
        )


def season(year: int) -> str:
    """A collection year as DfE names it: 2020 -> '2019-20'."""
    return f"{year - 1}-{year % 100:02d}"


def load_code_lists(path: Path = CODE_LISTS_FILE) -> dict[str, dict[str, CodeSpan]]:
    """The code lists: list -> code -> its years, from the CSV (list, code, first_year, last_year, label,
    dfe_source)."""
    import csv

    lists: dict[str, dict[str, CodeSpan]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            years = [int(row[c]) if row[c].strip() else None for c in ("first_year", "last_year")]
            lists.setdefault(row["list"], {})[row["code"]] = CodeSpan(
                row["code"], *years, row["label"], row["dfe_source"]
            )
    return lists


CODE_LISTS = load_code_lists()


def codes_valid_in(list_name: str, year: int) -> tuple[str, ...]:
    """The codes of a list valid in a collection year."""
    return tuple(code for code, span in CODE_LISTS[list_name].items() if span.valid_in(year))


def all_codes(list_name: str) -> tuple[str, ...]:
    """Every code a list has had in any year."""
    return tuple(CODE_LISTS[list_name])


def code_list_table() -> str:
    """The code lists as a Markdown table (docs/adoption.md shows it; a test keeps the two the same)."""
    lines = ["| list (DfE rule) | codes valid in every collection year | codes with years |", "|---|---|---|"]
    for name, (rule, label) in LIST_RULES.items():
        spans = CODE_LISTS[name].values()
        always = ", ".join(s.code for s in spans if s.first_year is None and s.last_year is None) or "-"
        dated = (
            "; ".join(f"`{s.code}` {_years(s)}" for s in spans if s.first_year is not None or s.last_year is not None)
            or "-"
        )
        lines.append(f"| `{name}` {label} ({rule}) | {always} | {dated} |")
    return "\n".join(lines)


def _years(span: CodeSpan) -> str:
    if span.first_year is not None and span.last_year is not None:
        return f"{season(span.first_year)} to {season(span.last_year)}"
    return f"from {season(span.first_year)}" if span.first_year is not None else f"until {season(span.last_year)}"


RNE_CODES, LS_CODES, CIN_CODES, PLACE_CODES, REC_CODES = (
    all_codes(name) for name in ("RNE", "LS", "CIN", "PLACE", "REC")
)


# --- raw tables (text, lower-case DfE names; the clear CHILD, UPN and postcodes are not among them) ---------
CONTEXT_COLUMNS = ("la_code", "collection_year", "child_key")
HEADER_TABLE = RawTable(
    "ssda903_header", (*CONTEXT_COLUMNS, "sex", "birth_month", "ethnic", "mother", "mc_birth_month")
)
EPISODES_TABLE = RawTable(
    "ssda903_episodes",
    (
        *CONTEXT_COLUMNS,
        "decom",
        "rne",
        "ls",
        "cin",
        "place",
        "place_provider",
        "dec",
        "rec",
        "reason_place_change",
        "urn",
    ),
)
AD1_TABLE = RawTable(
    "ssda903_ad1",
    (*CONTEXT_COLUMNS, "birth_month", "date_int", "date_match", "foster_care", "nb_adoptr", "sex_adoptr", "ls_adoptr"),
)
PLACED_ADOPTION_TABLE = RawTable(
    "ssda903_placed_adoption",
    (*CONTEXT_COLUMNS, "birth_month", "date_placed", "date_placed_ceased", "reason_placed_ceased"),
)
TABLES = (HEADER_TABLE, EPISODES_TABLE, AD1_TABLE, PLACED_ADOPTION_TABLE)


@dataclass(frozen=True)
class TableSpec:
    """A DfE table: how its header is recognised, what it needs, where it goes."""

    name: str  # the DfE name
    signatures: tuple[frozenset[str], ...]  # any of these sets of headers identifies the table
    required: tuple[str, ...]  # DfE columns that must be present (else the file is rejected)
    raw: RawTable | None  # None: recognised but not used by the warehouse


def _sig(*names: str) -> frozenset[str]:
    return frozenset(n.lower() for n in names)


USED_SPECS = (
    TableSpec(
        "Episodes",
        (_sig("CHILD", "DECOM"), _sig("CHILD", "RNE", "LS"), _sig("CHILD", "REC", "DEC")),
        ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "DEC", "REC"),
        EPISODES_TABLE,
    ),
    TableSpec("Header", (_sig("CHILD", "ETHNIC"), _sig("CHILD", "UPN")), ("CHILD", "SEX", "DOB"), HEADER_TABLE),
    TableSpec(
        "AD1",
        (_sig("CHILD", "DATE_MATCH"), _sig("CHILD", "DATE_INT"), _sig("CHILD", "FOSTER_CARE")),
        ("CHILD", "DATE_MATCH", "FOSTER_CARE"),
        AD1_TABLE,
    ),
    TableSpec("PlacedAdoption", (_sig("CHILD", "DATE_PLACED"),), ("CHILD", "DATE_PLACED"), PLACED_ADOPTION_TABLE),
)
IGNORED_SPECS = (
    TableSpec("Reviews", (_sig("CHILD", "REVIEW"), _sig("CHILD", "REVIEW_CODE")), (), None),
    TableSpec("UASC", (_sig("CHILD", "DUC"),), (), None),
    TableSpec("OC2", (_sig("CHILD", "SDQ_SCORE"), _sig("CHILD", "CONVICTED"), _sig("CHILD", "HEALTH_CHECK")), (), None),
    TableSpec("OC3", (_sig("CHILD", "IN_TOUCH"), _sig("CHILD", "ACTIV")), (), None),
    TableSpec("PrevPerm", (_sig("CHILD", "PREV_PERM"),), (), None),
    TableSpec("Missing", (_sig("CHILD", "MISSING"), _sig("CHILD", "MIS_START")), (), None),
    TableSpec("SW_Episodes", (_sig("CHILD", "SW_ID"), _sig("CHILD", "SW_DECOM")), (), None),
)
KNOWN_COLUMNS = {
    "CHILD",
    "SEX",
    "DOB",
    "ETHNIC",
    "UPN",
    "MOTHER",
    "MC_DOB",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PL",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
    "DATE_INT",
    "DATE_MATCH",
    "FOSTER_CARE",
    "NB_ADOPTR",
    "SEX_ADOPTR",
    "LS_ADOPTR",
    "DATE_PLACED",
    "DATE_PLACED_CEASED",
    "REASON_PLACED_CEASED",
    "REVIEW",
    "REVIEW_CODE",
    "DUC",
    "PREV_PERM",
    "LA_PERM",
    "DATE_PERM",
    "MISSING",
    "MIS_START",
    "MIS_END",
    "IN_TOUCH",
    "ACTIV",
    "ACCOM",
    "SDQ_SCORE",
    "SDQ_REASON",
    "CONVICTED",
    "HEALTH_CHECK",
}
ALIASES = {"PL": "PLACE", "CHILDID": "CHILD"}

_YEAR = re.compile(r"^((?:19|20)\d{2})$")
_YEAR_SPAN = re.compile(r"^((?:19|20)\d{2})[-_ ](\d{2}|(?:19|20)\d{2})$")
_LA_CODE = re.compile(r"^\d{3}$")
_FLOAT_INTEGER = re.compile(r"^(-?\d+)\.0+$")


# --------------------------------------------------------------------------------------------------------
# Where a file sits: whose return, which year
# --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReturnContext:
    """Whose return a file belongs to and for which year (year ending 31 March)."""

    la_code: str
    collection_year: int


def _folder_year(part: str) -> int | None:
    if match := _YEAR.match(part):
        return int(match.group(1))
    if match := _YEAR_SPAN.match(part):
        first, second = int(match.group(1)), match.group(2)
        ending = int(second) if len(second) == 4 else (first // 100) * 100 + int(second)
        if ending == first + 1:
            return ending
    return None


def return_context(path: Path, root: Path, home_la: str, known_las: Iterable[str] | None = None) -> ReturnContext:
    """The LA and year of a file under ``raw/ssda903/`` from its folders; FileRejected if they cannot be told."""
    try:
        parts = path.relative_to(root).parts[:-1]
    except ValueError:
        parts = path.parent.parts
    for i, part in enumerate(parts):
        year = _folder_year(part)
        if year is not None:
            la_parts = [p for p in parts[:i] if _LA_CODE.match(p)]
            la_code = la_parts[-1] if la_parts else home_la
            if la_code != home_la and known_las is not None and la_code not in set(known_las):
                raise FileRejected(
                    f"folder '{la_code}' is not a DfE LA code in the reference LA list: put another LA's returns "
                    "in raw/ssda903/<la_code>/<YYYY>/ with its 3-digit DfE code"
                )
            return ReturnContext(la_code=la_code, collection_year=year)
    raise FileRejected(
        "the file is not in a year folder: put each SSDA903 return in raw/ssda903/<YYYY>/ (YYYY = the year "
        "ending 31 March, e.g. 2018 for 2017-18), or raw/ssda903/<la_code>/<YYYY>/ for another LA"
    )


# --------------------------------------------------------------------------------------------------------
# The row rules, in SQL over the landed text (one landing table for CSV, workbook sheets and XML)
# --------------------------------------------------------------------------------------------------------
# DfE rule that a date column is a valid date (where the validator has one)
DATE_RULES = {
    "DECOM": "141",
    "DEC": "147",
    "DATE_INT": "112",
    "DATE_MATCH": "113",
    "DATE_PLACED": "115",
    "DATE_PLACED_CEASED": "116",
}
RULE_217_FROM = "2015-04-01"  # DfE rule 217 applies to episodes beginning on or after 1 April 2015
RULE_217_RNE = ("S", "T", "U")  # RNE a placement with the current foster carers may begin with
CONTINUATION_RNE = ("P", "L", "T", "U", "B")
# RNE -> (DfE rule, the legal status changes, the placement changes, what the code says)
RNE_CHANGES = {
    "L": ("434", True, False, "the legal status changed and not the placement"),
    "P": ("435", False, True, "the placement changed and not the legal status"),
    "T": ("435", False, True, "the placement changed and not the legal status"),
    "U": ("436", True, True, "the legal status and the placement changed"),
    "B": ("436", True, True, "the legal status and the placement changed"),
}


@dataclass(frozen=True)
class Column:
    """A DfE column a table reads and how it is read: ``child`` (pseudonymised), ``text`` (trimmed), ``upper``
    (trimmed, upper case), ``date`` (ISO), ``list`` (a code of the DfE list of that name, by year), ``flag``."""

    name: str
    kind: str
    required: bool = False

    @property
    def sql(self) -> str:
        return self.name.lower()


def _columns(*specs: str) -> tuple[Column, ...]:
    """Columns from ``NAME:kind`` (``!`` after the kind: required), in the order their rules are checked."""
    return tuple(Column(s.split(":")[0], s.split(":")[1].rstrip("!"), s.endswith("!")) for s in specs)


# table -> the DfE columns it reads (in the order their rules are checked)
SOURCE_SPECS = {
    EPISODES_TABLE.name: _columns(
        "CHILD:child",
        "DECOM:date!",
        "DEC:date",
        "RNE:list!",
        "LS:list!",
        "CIN:list!",
        "PLACE:list!",
        "REC:list",
        "PLACE_PROVIDER:list",
        "REASON_PLACE_CHANGE:list",
        "URN:text",
        "PL_POST:upper",
    ),
    HEADER_TABLE.name: _columns("CHILD:child", "SEX:text", "DOB:date!", "ETHNIC:upper", "MOTHER:text", "MC_DOB:date"),
    AD1_TABLE.name: _columns(
        "CHILD:child",
        "DOB:date",
        "DATE_INT:date",
        "DATE_MATCH:date",
        "FOSTER_CARE:flag",
        "NB_ADOPTR:list",
        "SEX_ADOPTR:list",
        "LS_ADOPTR:list",
    ),
    PLACED_ADOPTION_TABLE.name: _columns(
        "CHILD:child", "DOB:date", "DATE_PLACED:date!", "DATE_PLACED_CEASED:date", "REASON_PLACED_CEASED:list"
    ),
}
SOURCE_COLUMNS = {table: tuple(c.name for c in columns) for table, columns in SOURCE_SPECS.items()}
# table -> (the columns a row may not repeat in a file, what a repeat is called)
DUPLICATE_KEYS = {
    EPISODES_TABLE.name: (("child_key", "decom"), "episode (same child and DECOM)"),
    HEADER_TABLE.name: (("child_key",), "Header row for the same child"),
    AD1_TABLE.name: (("child_key",), "AD1 row for the same child"),
    PLACED_ADOPTION_TABLE.name: (("child_key", "date_placed"), "PlacedAdoption row (same child and DATE_PLACED)"),
}
MONTH_COLUMNS = {"birth_month": "dob", "mc_birth_month": "mc_dob"}  # cut to the month: never stored whole

# Text, dates and the season, as the DfE validator and pipelines.lib.ingest.parsing.parse_date read them (explicit
# patterns and strptime formats: DuckDB never guesses a date's format here).
MACROS_SQL = r"""
create or replace temp macro s903_strip(x) as
    trim(x, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160));
create or replace temp macro s903_text_of(x) as case
    when strpos(x, '.') > 0 and regexp_full_match(s903_strip(x), '-?[0-9]+\.0+')
        then regexp_extract(s903_strip(x), '^(-?[0-9]+)\.0+$', 1)
    else nullif(s903_strip(x), '') end;
create or replace temp macro s903_text(x) as case  -- x: NULL when blank (columns_sql); most need nothing done
    when regexp_matches(x, '^[ \t\n\x0b\x0c\r\xa0]|[ \t\n\x0b\x0c\r\xa0]$|\.') then s903_text_of(x) else x end;
create or replace temp macro s903_iso_re() as '^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$';
create or replace temp macro s903_dmy_re() as '^([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{2}|[0-9]{4})$';
create or replace temp macro s903_int(t, pattern, n) as try_cast(regexp_extract(t, pattern, n) as integer);
create or replace temp macro s903_ymd(t) as case
    when regexp_matches(t, s903_iso_re()) then [s903_int(t, s903_iso_re(), 1), s903_int(t, s903_iso_re(), 2),
        s903_int(t, s903_iso_re(), 3)]
    when regexp_matches(t, s903_dmy_re()) then [s903_int(t, s903_dmy_re(), 3)
        + case when length(regexp_extract(t, s903_dmy_re(), 3)) = 2 then 2000 else 0 end,
        s903_int(t, s903_dmy_re(), 2), s903_int(t, s903_dmy_re(), 1)] end;
create or replace temp macro s903_us(t) as not regexp_matches(t, s903_iso_re()) and regexp_matches(t, s903_dmy_re())
    and s903_int(t, s903_dmy_re(), 2) > 12 and s903_int(t, s903_dmy_re(), 1) <= 12;
create or replace temp macro s903_iso_of(ymd) as case when ymd[1] >= 1 then strftime(try_strptime(
    printf('%04d-%02d-%02d', ymd[1], ymd[2], ymd[3]), '%Y-%m-%d'), '%Y-%m-%d') end;
create or replace temp macro s903_iso(t) as case when not s903_us(t) then s903_iso_of(s903_ymd(t)) end;
create or replace temp macro s903_date_error(t) as case
    when s903_ymd(t) is null then '''' || t || ''' is not a date in dd/mm/yyyy or yyyy-mm-dd form'
    when s903_us(t) then '''' || t || ''' looks like a US-style mm/dd date; write dates as dd/mm/yyyy'
    else '''' || t || ''' is not a real date' end;
create or replace temp macro s903_season(y) as (y - 1)::varchar || '-' || lpad((y % 100)::varchar, 2, '0');
"""
CONSTANTS_SQL = """
create or replace temp table _s903_k as select ?::varchar[] as adopted_rec, ?::varchar[] as adoption_places,
    ?::varchar[] as with_carers, ?::varchar[] as rule_217_rne, ?::varchar as rule_217_from,
    ?::varchar[] as continuation_rne"""
VALID_CODES_SQL = """
create or replace temp table _s903_valid as
select codes.list, codes.code, years.year from _s903_codes as codes
cross join _s903_years as years
where (codes.first_year is null or years.year >= codes.first_year)
    and (codes.last_year is null or years.year <= codes.last_year);
create or replace temp table _s903_valid_text as
select codes.list, years.year, string_agg(codes.code, ', ' order by codes.ordinal) filter (where valid.code is not null)
    as valid
from _s903_codes as codes cross join _s903_years as years
left join _s903_valid as valid on valid.list = codes.list and valid.code = codes.code and valid.year = years.year
group by all"""


def create_rule_tables(con) -> None:
    """The macros, the constants of the rules, the code lists and the flag words, on ``con`` (temporary)."""
    for statement in MACROS_SQL.split(";\n"):
        if statement.strip():
            con.execute(statement)
    con.execute(
        CONSTANTS_SQL,
        [
            list(ADOPTED_REC),
            list(ALL_ADOPTION_PLACEMENTS),
            list(WITH_CURRENT_FOSTER_CARERS),
            list(RULE_217_RNE),
            RULE_217_FROM,
            list(CONTINUATION_RNE),
        ],
    )
    rows = [
        (name, span.code, span.first_year, span.last_year, n)
        for name, spans in CODE_LISTS.items()
        for n, span in enumerate(spans.values())
    ]
    _table_of(
        con,
        "_s903_codes",
        {"list": "varchar", "code": "varchar", "first_year": "integer", "last_year": "integer", "ordinal": "integer"},
        rows,
    )
    _table_of(
        con,
        "_s903_list_rules",
        {"list": "varchar", "rule": "varchar", "label": "varchar"},
        [(name, rule, label) for name, (rule, label) in LIST_RULES.items()],
    )
    _table_of(con, "_s903_flags", {"word": "varchar", "flag": "varchar"}, list(FLAG_WORDS.items()))
    _table_of(
        con,
        "_s903_rne_changes",
        {
            "rne": "varchar",
            "rule": "varchar",
            "ls_changes": "boolean",
            "placement_changes": "boolean",
            "said": "varchar",
        },
        [(code, *spec) for code, spec in RNE_CHANGES.items()],
    )


def _table_of(con, table: str, columns: dict[str, str], rows: list[tuple]) -> None:
    """A temporary table ``table`` of ``rows`` (bound as one list per column, unnested together)."""
    select = ", ".join(f"unnest(?::{kind}[]) as {quote_ident(name)}" for name, kind in columns.items())
    values = [list(column) for column in zip(*rows)] if rows else [[] for _ in columns]
    con.execute(f"create or replace temp table {quote_ident(table)} as select {select}", values)


@dataclass(frozen=True)
class Check:
    """One rule as SQL over a typed table ``t`` (and the rules' constants ``k``): the rows ``where`` it is broken,
    the column named, the value shown and the reason (``reason`` an SQL expression, its ``?`` bound to
    ``params``); ``code_list``: a code not valid in its list, the reason made from the lists."""

    column: str
    where: str
    value: str = "null"
    reason: str = "null"
    params: tuple = ()
    code_list: str | None = None
    code: str = "null"


def _column_checks(column: Column) -> list[Check]:
    """The rules of one column, as :class:`Check` (a blank CHILD; a date; a code of a DfE list; a flag)."""
    name, x = column.name, column.sql
    if column.kind == "child":
        return [
            Check(
                name,
                "t.t_child is null",
                reason="?",
                params=("CHILD (the child's identifier) is blank; every row needs it",),
            )
        ]
    checks = []
    if column.kind == "date":
        cite = f"DfE rule {DATE_RULES[name]}: " if name in DATE_RULES else ""
        if column.required:
            checks.append(
                Check(name, f"t.t_{x} is null", reason="?", params=(f"{cite}{name} is blank; it is required",))
            )
        checks.append(
            Check(name, f"t.t_{x} is not null and t.{x} is null", f"t.t_{x}", f"? || t.e_{x}", (f"{cite}{name}: ",))
        )
    elif column.kind in ("list", "flag"):
        rule, label = LIST_RULES[name]
        if column.required:
            checks.append(
                Check(
                    name,
                    f"t.t_{x} is null",
                    reason="?",
                    params=(f"DfE rule {rule}: {name} ({label}) is blank; it is required",),
                )
            )
        code = f"upper(t.t_{x})"
        if column.kind == "flag":
            code = f"t.f_{x}"
            words = (
                f"DfE rule {rule}: {name} '",
                f"' is not a flag ({label}): write 0 or 1 (also read: TRUE/FALSE, Y/N, Yes/No)",
            )
            checks.append(
                Check(name, f"t.t_{x} is not null and t.f_{x} is null", f"t.r_{x}", f"? || t.t_{x} || ?", words)
            )
        checks.append(Check(name, f"{code} is not null and t.{x} is null", f"t.r_{x}", code_list=name, code=code))
    return checks


EPISODE_CHECKS = (
    Check(
        "DEC",
        "t.decom is not null and t.dec is not null and t.dec < t.decom",
        "t.r_dec",
        "'DfE rule 356: DEC ' || s903_strip(t.r_dec) || ' is before DECOM ' || s903_strip(t.r_decom) || ': an '"
        " || 'episode cannot end before it starts; correct either date'",
    ),
    Check(
        "REC",
        "t.dec is not null and t.t_rec is null",
        "null",
        "'DfE rule 148: REC is blank although the episode ended (DEC ' || s903_strip(t.r_dec) || '): give the '"
        " || 'reason the episode ceased (X1 if a new episode began the same day)'",
    ),
    Check(
        "REC",
        "t.dec is not null and list_contains(k.adopted_rec, t.rec) and t.place is not null "
        "and not list_contains(k.adoption_places, t.place)",
        "t.r_rec",
        "'DfE rule 390: REC ' || t.rec || ' (adopted) ends an episode whose placement ' || t.place || ' is not an '"
        " || 'adoption placement (' || array_to_string(k.adoption_places, ', ') || '): a child is adopted from a '"
        " || 'placement for adoption; correct PLACE or REC'",
    ),
    Check(
        "RNE",
        "list_contains(k.with_carers, t.place) and t.rne is not null and not list_contains(k.rule_217_rne, "
        "t.rne) and t.decom is not null and t.decom >= k.rule_217_from",
        "t.r_rne",
        "'DfE rule 217: PLACE ' || t.place || ' (placed for adoption with the current foster carers) begins with '"
        " || 'RNE ' || t.rne || ', which says the carers changed: it must be S, T or U (same carers); correct RNE '"
        " || 'or PLACE'",
    ),
)
PLACED_ADOPTION_CHECKS = (
    Check(
        "DATE_PLACED_CEASED",
        "t.date_placed is not null and t.date_placed_ceased is not null and t.date_placed_ceased < t.date_placed",
        "t.r_date_placed_ceased",
        "'DfE rule 522: DATE_PLACED_CEASED ' || s903_strip(t.r_date_placed_ceased) || ' is before DATE_PLACED '"
        " || s903_strip(t.r_date_placed) || ': correct either date'",
    ),
)
TABLE_CHECKS = {EPISODES_TABLE.name: EPISODE_CHECKS, PLACED_ADOPTION_TABLE.name: PLACED_ADOPTION_CHECKS}

# The DfE rules on a child's episodes in the file, in DECOM order (:func:`sequence_problems_sql`)
SEQUENCE_SQL = """
with episodes as (  -- one per child and DECOM: of the same episode twice, the first (the one kept) stays
    select * from {typed} as t where t.t_child is not null and t.decom is not null
    qualify row_number() over (partition by t._file_path, t._sheet, t.t_child, t.decom order by t._row_number) = 1
), paired as (
    select *, lag(_row_number) over w as b_row, lag(decom) over w as b_decom, lag(dec) over w as b_dec,
        lag(ls) over w as b_ls, ls is distinct from lag(ls) over w as ls_changed,
        (place is distinct from lag(place) over w or place_provider is distinct from lag(place_provider) over w
         or pl_post is distinct from lag(pl_post) over w or urn is distinct from lag(urn) over w) as placement_changed
    from episodes window w as (partition by _file_path, _sheet, t_child order by decom, _row_number)
), judged as (
    select p.*, ch.rule as change_rule, ch.said, ch.rne is not null and p.ls is not null and p.b_ls is not null
            and (p.ls_changed <> ch.ls_changes or p.placement_changed <> ch.placement_changes) as wrong_rne,
        p.b_dec is null or p.b_dec > p.decom as overlapping,
        list_contains(k.continuation_rne, p.rne) and p.b_dec <> p.decom as gapped
    from paired as p cross join _s903_k as k left join _s903_rne_changes as ch on ch.rne = p.rne
    where p.b_row is not null
)
select _file_path, _sheet, _row_number, collection_year, _where, case when overlapping then 'DECOM' else 'RNE' end
    as column_name, case when overlapping then decom else rne end as value, case
    when overlapping then 'DfE rule ' || case when b_dec is null then '142' else '501' end
        || ': this episode begins on ' || decom || ', before the child''s episode from '
        || b_decom || ' ended (' || coalesce(b_dec, 'still open')
        || '): close the earlier episode on this DECOM or correct the dates'
    when gapped then 'DfE rule 433: RNE ' || rne || ' says this episode continues the one before, but that episode '
        || 'ended on ' || b_dec || ', not on this DECOM ' || decom || ': use RNE S for a new period of care, or '
        || 'correct the dates'
    else 'DfE rule ' || change_rule || ': RNE ' || rne || ' says ' || said || ', but LS '
        || case when ls_changed then 'changed' else 'is unchanged' end || ' (' || b_ls || ' to ' || ls
        || ') and the placement ' || case when placement_changed then 'changed' else 'is unchanged' end
        || ' (PLACE, PLACE_PROVIDER, PL_POST, URN): correct RNE or the episode' end as reason,
    null as code_list, null as code
from judged where overlapping or gapped or wrong_rne"""


def _name(kind: str, table: str) -> str:
    """The temporary table of one step (``kind``) for one raw table."""
    return quote_ident(f"_s903_{kind}_{table}")


def typed_sql(table: str) -> tuple[str, list]:
    """SQL (and its parameters) of the typed rows of ``table``'s cells: per column ``r_x`` (as written), ``t_x``
    (text: trimmed, blank NULL, '1.0' read as '1') and ``x``, the clean value (NULL where a rule is broken)."""
    columns = SOURCE_SPECS[table]
    picked, joins, params = [], [], []
    for col in columns:
        x = col.sql
        if col.kind in ("text", "upper"):
            picked.append(f"c.t_{x} as {x}" if col.kind == "text" else f"upper(c.t_{x}) as {x}")
        elif col.kind == "date":  # each distinct text read once (:data:`DATES_SQL`)
            joins.append(f"left join _s903_dates as d_{x} on d_{x}.t = c.t_{x}")
            picked.append(f"d_{x}.iso as {x}, d_{x}.error as e_{x}")
        elif col.kind in ("list", "flag"):
            code = f"upper(c.t_{x})"
            if col.kind == "flag":
                joins.append(f"left join _s903_flags as fl_{x} on fl_{x}.word = lower(c.t_{x})")
                picked.append(f"fl_{x}.flag as f_{x}")
                code = f"fl_{x}.flag"
            joins.append(
                f"left join _s903_valid as v_{x} on v_{x}.list = ? and v_{x}.year = c.collection_year "
                f"and v_{x}.code = {code}"
            )
            params.append(col.name)
            picked.append(f"v_{x}.code as {x}")
    sql = (
        f"select c.*, coalesce(c.r__where, '') as _where, {', '.join(picked)} from {_name('cells', table)} as c "
        f"{' '.join(joins)}"
    )
    return sql, params


PROBLEM_COLUMNS = (
    "_file_path, _sheet, _row_number, collection_year, _where, column_name, value, reason, code_list, code"
)


def problems_sql(table: str) -> tuple[str, list]:
    """SQL (and parameters) of every broken rule of ``table``'s typed rows, numbered ``_check`` in the order the
    rules are checked (a row's quarantine entries keep that order)."""
    checks = [c for col in SOURCE_SPECS[table] for c in _column_checks(col)] + list(TABLE_CHECKS.get(table, ()))
    parts, params = [], []
    for number, check in enumerate(checks, 1):
        parts.append(
            f"select ?::integer as _check, t._file_path, t._sheet, t._row_number, t.collection_year, "
            f"t._where, ?::varchar as column_name, {check.value}::varchar as value, "
            f"{check.reason}::varchar as reason, ?::varchar as code_list, {check.code}::varchar as code "
            f"from {_name('typed', table)} as t cross join _s903_k as k where {check.where}"
        )
        params += [number, check.column, *check.params, check.code_list]
    if table == EPISODES_TABLE.name:
        parts.append(
            f"select ?::integer as _check, {PROBLEM_COLUMNS} from ({SEQUENCE_SQL.format(typed=_name('typed', table))})"
        )
        params.append(len(checks) + 1)
    return " union all ".join(parts), params


CODE_REASON_SQL = """
case when codes.code is null then
    'DfE rule ' || lists.rule || ': ' || p.code_list || ' ''' || p.code || ''' is not a DfE ' || lists.label
    || ' code (valid in ' || s903_season(p.collection_year) || ': ' || coalesce(valid.valid, '') || ')'
else 'DfE rule ' || lists.rule || ': ' || p.code_list || ' ''' || p.code || ''' is not valid in the '
    || s903_season(p.collection_year) || ' collection (' || case when codes.first_year is not null
    and p.collection_year < codes.first_year then 'valid from ' || s903_season(codes.first_year)
    else 'valid until ' || s903_season(codes.last_year) end || '); check the return''s year folder or the code'
end"""
REJECTIONS_SQL = """
select p._file_path, p._sheet, p._row_number, p._check, p.column_name, p.value,
    p._where || coalesce(p.reason, {code_reason}) as reason
from {problems} as p
left join _s903_codes as codes on codes.list = p.code_list and codes.code = p.code
left join _s903_list_rules as lists on lists.list = p.code_list
left join _s903_valid_text as valid on valid.list = p.code_list and valid.year = p.collection_year
union all
select _file_path, _sheet, _row_number, 1000000, 'CHILD', child_key,
    _where || 'duplicate ' || ? || ': ' || seen_as || ' ' || _first || ' of this file is kept'
from (
    select t.*, keys.child_key, row_number() over w as _n, first_value(t._row_number) over w as _first
    from {typed} as t
    left join _s903_keys as keys on keys.la_code = t.la_code and keys.child = t.t_child
    anti join {problems} as p
        on p._file_path = t._file_path and p._sheet is not distinct from t._sheet and p._row_number = t._row_number
    window w as (partition by t._file_path, t._sheet, {partition} order by t._row_number)
) where _n > 1"""
STAGED_SQL = """
select t.la_code, t.collection_year::varchar as collection_year, keys.child_key, {outputs},
    t._file_path, t._label as _sheet, t._row_number
from {typed} as t
left join _s903_keys as keys on keys.la_code = t.la_code and keys.child = t.t_child
anti join {rejections} as r
    on r._file_path = t._file_path and r._sheet is not distinct from t._sheet and r._row_number = t._row_number"""


def apply_row_rules(con, table: str) -> None:
    """The typed rows of ``table`` from its cells; its quarantine entries (``_s903_rejections_<table>``) and the
    rows that pass every rule (``_s903_staged_<table>``, the raw table's columns). Needs the child keys."""
    problems, rejections, typed = _name("problems", table), _name("rejections", table), _name("typed", table)
    sql, params = problems_sql(table)
    con.execute(f"create or replace temp table {problems} as {sql}", params)
    keys, what = DUPLICATE_KEYS[table]
    partition = ", ".join("keys.child_key" if c == "child_key" else f"t.{quote_ident(c)}" for c in keys)
    con.execute(
        f"create or replace temp table {rejections} as "
        + REJECTIONS_SQL.format(code_reason=CODE_REASON_SQL, problems=problems, typed=typed, partition=partition),
        [what],
    )
    raw = next(t for t in TABLES if t.name == table)
    outputs = ", ".join(
        (f"substr(t.{MONTH_COLUMNS[c]}, 1, 8) || '01'" if c in MONTH_COLUMNS else f"t.{quote_ident(c)}")
        + f" as {quote_ident(c)}"
        for c in raw.columns
        if c not in CONTEXT_COLUMNS
    )
    con.execute(
        f"create or replace temp table {_name('staged', table)} as "
        + STAGED_SQL.format(outputs=outputs, typed=typed, rejections=rejections)
    )


DATES_SQL = """
create or replace temp table _s903_dates as
select t, case when error is null then iso end as iso, error from (
    select t, s903_iso(t) as iso, case when s903_iso(t) is null then s903_date_error(t) end as error
    from ({texts}) where t is not null)"""


def read_dates(con, tables: Iterable[str]) -> None:
    """``_s903_dates``: every distinct text of a date column of the cells of ``tables``, read once (ISO, or why
    it is not a date): a file repeats few distinct dates."""
    texts = " union ".join(
        f"select distinct t_{c.sql} as t from {_name('cells', table)}"
        for table in tables
        for c in SOURCE_SPECS[table]
        if c.kind == "date"
    )
    con.execute(DATES_SQL.format(texts=texts))


def pseudonymise_children(con, tables: Iterable[str], key: str, memo: dict | None = None) -> None:
    """``_s903_keys``: the child_key of every distinct (LA, CHILD) of the typed ``tables``, computed once each in
    Python (:func:`pipelines.lib.ingest.pseudonymise.child_key`, the one definition) and joined back in SQL.
    ``memo`` keeps one LA's keys across calls (a child is in every table and year of a return)."""
    union = " union ".join(
        f"select distinct la_code, t_child from {_name('typed', t)} where t_child is not null" for t in tables
    )
    pairs = sorted(con.execute(union).fetchall()) if union else []
    memo = {} if memo is None else memo
    rows = []
    for la_code, child in pairs:
        if memo.get("la_code") != la_code:  # files come LA by LA: keep one LA's children only
            memo.clear()
            memo["la_code"] = la_code
        pseudonym = memo.get((la_code, child))
        if pseudonym is None:
            pseudonym = memo[(la_code, child)] = child_key(la_code, child, key)
        rows.append((la_code, child, pseudonym))
    _frame_table(con, "_s903_keys", ("la_code", "child", "child_key"), rows)


def _frame_table(con, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """A temporary text table of many ``rows`` (through a pandas frame: faster to hand over than bound lists)."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(columns), dtype="object")
    con.register("_s903_frame", frame)
    try:
        picked = ", ".join(f"{quote_ident(c)}::varchar as {quote_ident(c)}" for c in columns)
        con.execute(f"create or replace temp table {quote_ident(table)} as select {picked} from _s903_frame")
    finally:
        con.unregister("_s903_frame")


# --------------------------------------------------------------------------------------------------------
# Files: landed in one table, each file's (or sheet's) table recognised from its header
# --------------------------------------------------------------------------------------------------------
LANDED = "_s903_landed"
ROWS = "_s903_rows"  # the landed rows with a cell that is not blank
NONBLANK_ROWS_SQL = (
    f"create or replace temp table {ROWS} as select * from {LANDED} "
    # a cell not blank: a character other than white space in the row's text
    "where regexp_matches(array_to_string(fields, ''), '[^ \\t\\n\\x0b\\x0c\\r\\xa0]')"
)


@dataclass
class SheetPlan:
    """One table of a file (a CSV file, a workbook sheet, a table of an XML return) and how it is read."""

    sheet: str | None  # ``_sheet`` in the landing table
    label: str | None  # the sheet as the load log names it
    table_name: str  # the raw table (``ssda903_reviews`` for a table recognised and not used)
    raw: RawTable | None
    header_row: int = 0
    positions: dict[str, int] = field(default_factory=dict)  # DfE column (or _WHERE) -> 1-based field
    seen_as: str = "row"
    notes: list[str] = field(default_factory=list)
    rows_read: int = 0


@dataclass
class FilePlan:
    """A file of the batch: whose return, its format, its tables, what to say about it."""

    path: Path
    ctx: ReturnContext
    fmt: str = "csv"
    sheet_names: list[str | None] = field(default_factory=lambda: [None])  # landed sheets, in the file's order
    sheets: list[SheetPlan] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    note: str | None = None  # said on the file's first table


@dataclass
class ReadBatch:
    """What :func:`read_returns` made on its connection: per raw table the staged rows and the quarantine entries
    (temporary tables), the files read and the files refused (path -> reason)."""

    staged: dict[str, str]
    rejections: dict[str, str]
    files: dict[str, FilePlan]
    refused: dict[str, str]


def _plan_file(path: Path, root: Path, home_la: str, known_las) -> FilePlan:
    """The return and the format of a file (FileRejected / UnreadableFile when it cannot be read at all)."""
    ctx = return_context(path, root, home_la, known_las)
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head.strip() and path.stat().st_size <= len(head):
        raise UnreadableFile("the file is empty")
    return FilePlan(path, ctx, fmt=sniff_format(head) if not head.startswith(b"PK") else "workbook")


def _land_rows(con, path: Path, sheet: str | None, numbers: Iterable[int], rows: list[list]) -> None:
    """Rows read in Python (a workbook sheet, a table of an XML return) landed in the shape of the CSV files."""
    import pandas as pd

    if not rows:
        return
    batch = pd.DataFrame(
        {
            "_file_path": str(path),
            "_sheet": sheet,
            "_row_number": list(numbers),
            "fields": pd.Series(rows, dtype="object"),
        }
    )
    con.register("_s903_batch", batch)
    try:
        con.execute(f"insert into {LANDED} select _file_path, _sheet, _row_number, fields::varchar[] from _s903_batch")
    finally:
        con.unregister("_s903_batch")


def _land_files(con, plans: dict[str, FilePlan], refused: dict[str, str]) -> None:
    """CSV files by DuckDB in one call; workbooks by their Python reader, sheet by sheet (same shape)."""
    land_csv_files(con, [p.path for p in plans.values() if p.fmt == "csv"], LANDED)
    for name, plan in list(plans.items()):
        if plan.fmt in ("csv", "xml"):
            continue
        try:
            plan.fmt, sheets = read_tables(plan.path)
        except (FileRejected, UnreadableFile) as exc:
            refused[name] = str(exc)
            del plans[name]
            continue
        plan.sheet_names = [sheet.name for sheet in sheets]
        for sheet in sheets:
            _land_rows(con, plan.path, sheet.name, range(1, len(sheet.rows) + 1), sheet.rows)


def recognise_table(rows: list[list[str | None]]) -> tuple[TableSpec, int] | None:
    """The DfE table a sheet holds and the index of its header row, from the header alone."""
    for spec in (*USED_SPECS, *IGNORED_SPECS):
        for signature in spec.signatures:
            at = find_header_row(rows, set(signature), max_scan=10)
            if at is not None:
                return spec, at
    return None


def _column_index(header: list[str | None]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, cell in enumerate(header):
        name = normalise_header(cell).upper().replace(" ", "_")
        name = ALIASES.get(name, name)
        if name and name not in index:
            index[name] = i
    return index


def _unrecognised(rows: list[list[str | None]]) -> FileRejected:
    first = next((r for r in rows if any(r)), [])
    named = sorted({normalise_header(c).upper() for c in first if c} & KNOWN_COLUMNS)
    what = (
        f"its first row names {', '.join(named)}"
        if named
        else f"its first row ({sum(1 for c in first if c)} cells) names no SSDA903 column"
    )
    return FileRejected(
        f"not an SSDA903 table this warehouse knows: expected a header row naming CHILD and the DfE columns of "
        f"Header, Episodes, AD1 or PlacedAdoption (or Reviews, UASC, OC2, OC3, PrevPerm, Missing), but {what}"
    )


def plan_sheet(rows: list[list[str | None]], plan: FilePlan, sheet: str | None) -> SheetPlan:
    """How one CSV file or workbook sheet is read, from its first rows (FileRejected when it cannot be)."""
    found = recognise_table(rows)
    if found is None:
        raise _unrecognised(rows)
    spec, at = found
    label = plan.path.stem if sheet is None else sheet
    if spec.raw is None:
        return SheetPlan(sheet, label, f"ssda903_{spec.name.lower()}", None, header_row=at + 1, notes=[spec.name])
    index = _column_index(rows[at])
    missing = [c for c in spec.required if c not in index]
    if missing:
        found_columns = ", ".join(c for c in index if c in KNOWN_COLUMNS) or "none"
        raise FileRejected(
            f"the SSDA903 {spec.name} table lacks required column(s) {', '.join(missing)}; "
            f"SSDA903 columns found: {found_columns}"
        )
    positions = {c: index[c] + 1 for c in SOURCE_COLUMNS[spec.raw.name] if c in index}
    note = f"SSDA903 {spec.name} of {plan.ctx.la_code} for {plan.ctx.collection_year}"
    return SheetPlan(sheet, label, spec.raw.name, spec.raw, at + 1, positions, notes=[note])


TOP_ROWS_SQL = f"select _file_path, _sheet, _row_number, fields from {LANDED} where _row_number <= 30 order by all"


def recognise_sheets(con, plans: dict[str, FilePlan]) -> None:
    """Each landed CSV file's and workbook sheet's table, decided in Python from its first rows (one decision per
    sheet, never per row); an empty sheet is skipped."""
    filled = {(f, s) for f, s in con.execute(f"select distinct _file_path, _sheet from {ROWS}").fetchall()}
    top: dict[tuple[str, str | None], list[list]] = {}
    for file, sheet, number, fields in con.execute(TOP_ROWS_SQL).fetchall():
        rows = top.setdefault((file, sheet), [])
        rows.extend([[]] * (number - len(rows) - 1))
        rows.append(list(fields))
    for file, plan in plans.items():
        for sheet in plan.sheet_names if plan.fmt != "xml" else ():
            if (file, sheet) not in filled:
                continue
            try:
                plan.sheets.append(plan_sheet(top[(file, sheet)], plan, sheet))
            except FileRejected as exc:
                plan.problems.append(str(exc) if len(plan.sheet_names) == 1 else f"sheet '{sheet}': {exc}")


COUNTS_SQL = f"""
select r._file_path, r._sheet, count(*) from {ROWS} as r
join (select unnest(?::varchar[]) as _file_path, unnest(?::varchar[]) as _sheet, unnest(?::bigint[]) as _header_row)
    as h on h._file_path = r._file_path and h._sheet is not distinct from r._sheet
where r._row_number > h._header_row group by all"""


def count_rows(con, plans: dict[str, FilePlan]) -> None:
    """Each table's data rows (rows with a cell that is not blank, below the header), in one query."""
    sheets = [(file, s) for file, plan in plans.items() for s in plan.sheets]
    counts = {
        (f, s): n
        for f, s, n in con.execute(
            COUNTS_SQL, [[f for f, _ in sheets], [s.sheet for _, s in sheets], [s.header_row for _, s in sheets]]
        ).fetchall()
    }
    for file, sheet in sheets:
        sheet.rows_read = counts.get((file, sheet.sheet), 0)
        if sheet.raw is None:  # rows of a table not used are not read as data: counted in the note only
            sheet.notes = [
                (
                    f"recognised as the SSDA903 {sheet.notes[0]} table ({sheet.rows_read} rows): not used "
                    "by the warehouse, so not loaded"
                )
            ]
            sheet.rows_read = 0


def stage_cells(con, plans: dict[str, FilePlan], table: str) -> None:
    """``_s903_cells_<table>``: the declared columns of every sheet holding ``table`` (:func:`columns_sql`, by
    each sheet's positions), with the return's LA and year."""
    columns = [f"r_{c.lower()}" for c in (*SOURCE_COLUMNS[table], "_WHERE")]
    sheets = [(plan, s) for plan in plans.values() for s in plan.sheets if s.raw is not None and s.raw.name == table]
    kinds = {
        "_file_path": "varchar",
        "_sheet": "varchar",
        "_header_row": "bigint",
        "la_code": "varchar",
        "collection_year": "integer",
        "seen_as": "varchar",
        "_label": "varchar",
        **dict.fromkeys(columns, "integer"),
    }
    _table_of(
        con,
        "_s903_positions",
        kinds,
        [
            (
                str(plan.path),
                s.sheet,
                s.header_row,
                plan.ctx.la_code,
                plan.ctx.collection_year,
                s.seen_as,
                s.label,
                *(s.positions.get(c.removeprefix("r_").upper()) for c in columns),
            )
            for plan, s in sheets
        ],
    )
    texts = ", ".join(f"s903_text(c.r_{col.sql}) as t_{col.sql}" for col in SOURCE_SPECS[table])
    con.execute(
        f"create or replace temp table {_name('cells', table)} as select c.*, {texts}, p.la_code, "
        f"p.collection_year, p.seen_as, p._label from ({columns_sql(ROWS, '_s903_positions', columns)}) as c "
        "join _s903_positions as p on c._file_path = p._file_path and c._sheet is not distinct from p._sheet"
    )


# --------------------------------------------------------------------------------------------------------
# XML
# --------------------------------------------------------------------------------------------------------
XML_ROOT = "EXPSSDA903"
XML_IGNORED = {
    "AREVIEW": "reviews",
    "AMISSING": "missing spells",
    "OC2": "OC2 outcomes",
    "PERMANENCE": "previous permanence",
    "UASC": None,
    "DUC": "UASC",
    "IN_TOUCH": "OC3 care leaver records",
}
AD1_FIELDS = ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")
REPEATING = {"AREVIEW", "AMISSING", "AD_PLACED", "EPISODE"}


def _tag(node: ET.Element) -> str:
    """The element's DfE name: namespace dropped, upper case, CHILDID as CHILD and PL as PLACE."""
    tag = str(node.tag).rsplit("}", 1)[-1].strip().upper()
    return ALIASES.get(tag, tag)


def _leaves(element: ET.Element) -> dict[str, str | None]:
    """Values under ``element``, tag -> text: its own leaf children first, then leaves nested in singleton
    sub-elements (say an ``<AD1>`` wrapper); never the repeating sub-tables (reviews, episodes...)."""
    values: dict[str, str | None] = {}
    nested: list[ET.Element] = []
    for node in element:
        if len(node) == 0:
            values.setdefault(_tag(node), node.text)
        elif _tag(node) not in REPEATING:
            nested.append(node)
    for node in nested:
        for tag, text in _leaves(node).items():
            values.setdefault(tag, text)
    return values


def _filled(value: str | None) -> bool:
    return bool(value and value.strip())


class _XmlTable:
    """The records of one table of an XML return, gathered element by element, landed as a sheet whose header
    names the table's DfE columns and ``_WHERE`` (which element: XML has no row numbers; starts each reason)."""

    def __init__(self, table: RawTable, sheet: str, seen_as: str):
        self.table, self.sheet, self.seen_as = table, sheet, seen_as
        self.records: list[list] = []
        self.locations: list[int] = []

    def add(self, fields: dict, location: int, where: str) -> None:
        self.records.append([*(fields.get(c) for c in SOURCE_COLUMNS[self.table.name]), where])
        self.locations.append(location)

    def land(self, con, path: Path) -> SheetPlan:
        columns = [*SOURCE_COLUMNS[self.table.name], "_WHERE"]
        _land_rows(con, path, self.sheet, [0, *self.locations], [columns, *self.records])
        return SheetPlan(
            self.sheet,
            self.sheet,
            self.table.name,
            self.table,
            0,
            {c: i for i, c in enumerate(columns, 1)},
            self.seen_as,
        )


def xml_tables(data: bytes) -> tuple[list[_XmlTable], dict[str, int]]:
    """The XML return's Header, Episodes, AD1 and PlacedAdoption records, and the other sub-tables counted."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FileRejected(f"the XML cannot be read ({exc}); export the return again") from None
    if _tag(root) != XML_ROOT:
        raise FileRejected(f"an XML file whose root element is <{root.tag}>, not <{XML_ROOT}>: not an SSDA903 return")
    tables = {
        t.name: _XmlTable(t, f"XML {tag}", seen_as)
        for t, tag, seen_as in (
            (HEADER_TABLE, "CHILD", "<CHILD>"),
            (EPISODES_TABLE, "EPISODE", "<EPISODE>"),
            (AD1_TABLE, "CHILD (AD1)", "<CHILD>"),
            (PLACED_ADOPTION_TABLE, "AD_PLACED", "<AD_PLACED>"),
        )
    }
    ignored: dict[str, int] = {}
    episode_number = placed_number = 0
    for child_number, child in enumerate((c for c in root if _tag(c) == "CHILD"), start=1):
        header = next((h for h in child if _tag(h) == "HEADER"), None)
        fields = _leaves(child)  # HEADER is a singleton sub-element: its values are found through it
        where = f"<CHILD> {child_number}: "
        tables[HEADER_TABLE.name].add(fields, child_number, where)
        if any(_filled(fields.get(f)) for f in AD1_FIELDS):
            tables[AD1_TABLE.name].add(fields, child_number, where)
        for tag in ("DUC", "IN_TOUCH"):
            if _filled(fields.get(tag)):
                ignored[XML_IGNORED[tag]] = ignored.get(XML_IGNORED[tag], 0) + 1
        for sub in header if header is not None else []:
            tag = _tag(sub)
            if tag == "AD_PLACED":
                placed_number += 1
                tables[PLACED_ADOPTION_TABLE.name].add(
                    {**fields, **_leaves(sub)}, placed_number, f"{where}<AD_PLACED> {placed_number}: "
                )
            elif len(sub) and XML_IGNORED.get(tag):
                ignored[XML_IGNORED[tag]] = ignored.get(XML_IGNORED[tag], 0) + 1
        for number_in_child, episode in enumerate((e for e in child if _tag(e) == "EPISODE"), 1):
            episode_number += 1
            tables[EPISODES_TABLE.name].add(
                {"CHILD": fields.get("CHILD"), **_leaves(episode)},
                episode_number,
                f"{where}<EPISODE> {number_in_child} (episode {episode_number} of the file): ",
            )
    return list(tables.values()), ignored


def land_xml(con, plan: FilePlan) -> None:
    """An XML return read in Python and landed as four sheets (one per table), with the note of the file."""
    tables, ignored = xml_tables(plan.path.read_bytes())
    plan.sheets = [t.land(con, plan.path) for t in tables]
    note = f"SSDA903 XML return of {plan.ctx.la_code} for {plan.ctx.collection_year}"
    if ignored:
        note += (
            "; also holds "
            + ", ".join(f"{n} {what}" for what, n in sorted(ignored.items()))
            + ", not used by the warehouse, so not loaded"
        )
    plan.note = note


# --------------------------------------------------------------------------------------------------------
# A batch of files, and a file
# --------------------------------------------------------------------------------------------------------
def plan_files(con, paths: Iterable[Path], root: Path, home_la: str, known_las) -> tuple[dict, dict]:
    """Every file landed (:data:`LANDED`) and planned: file path -> :class:`FilePlan`; and the files refused
    whole (path -> reason): no return folder, empty, not readable, no SSDA903 table."""
    plans: dict[str, FilePlan] = {}
    refused: dict[str, str] = {}
    for path in paths:
        try:
            plans[str(path)] = _plan_file(path, root, home_la, known_las)
        except (FileRejected, UnreadableFile) as exc:
            refused[str(path)] = str(exc)
    _land_files(con, plans, refused)
    for name, plan in list(plans.items()):
        if plan.fmt == "xml":
            try:
                land_xml(con, plan)
            except FileRejected as exc:
                refused[name] = str(exc)
                del plans[name]
    con.execute(NONBLANK_ROWS_SQL)
    recognise_sheets(con, plans)
    for name, plan in list(plans.items()):
        if not plan.sheets:
            refused[name] = "; ".join(plan.problems) or "no SSDA903 table in the file"
            del plans[name]
    count_rows(con, plans)
    return plans, refused


def read_returns(
    con,
    paths: Iterable[Path],
    *,
    root: Path,
    home_la: str,
    key: str,
    known_las: Iterable[str] | None = None,
    memo: dict | None = None,
) -> ReadBatch:
    """Every file of ``paths`` landed, recognised and put through the row rules in SQL on ``con``: per raw table
    the rows that pass (``_s903_staged_<table>``) and the quarantine entries (``_s903_rejections_<table>``)."""
    create_rule_tables(con)
    plans, refused = plan_files(con, paths, root, home_la, known_las)
    years = sorted({plan.ctx.collection_year for plan in plans.values()})
    _table_of(con, "_s903_years", {"year": "integer"}, [(y,) for y in years])
    for statement in VALID_CODES_SQL.split(";\n"):
        con.execute(statement)
    names = [t.name for t in TABLES]
    for table in names:
        stage_cells(con, plans, table)
    _drop(con, LANDED, ROWS)  # what is kept of each step is dropped when the next has read it (memory)
    read_dates(con, names)
    for table in names:
        sql, params = typed_sql(table)
        con.execute(f"create or replace temp table {_name('typed', table)} as {sql}", params)
        _drop(con, f"_s903_cells_{table}")
    pseudonymise_children(con, names, key, memo)
    for table in names:
        apply_row_rules(con, table)
        _drop(con, f"_s903_typed_{table}", f"_s903_problems_{table}")
    return ReadBatch(
        {t: f"_s903_staged_{t}" for t in names}, {t: f"_s903_rejections_{t}" for t in names}, plans, refused
    )


def _drop(con, *tables: str) -> None:
    for table in tables:
        con.execute(f"drop table if exists {quote_ident(table)}")


def file_read(plan: FilePlan) -> FileRead:
    """What the load log says of a file read: its tables, its data rows, the notes of its tables."""
    notes = [n for s in plan.sheets for n in s.notes]
    if plan.note:
        notes.insert(0, plan.note)
    notes += plan.problems
    return FileRead([s.table_name for s in plan.sheets], sum(s.rows_read for s in plan.sheets), notes)


BATCH_REJECTIONS_SQL = (
    "select _file_path as file_path, _row_number as row_number, column_name, value, reason, "
    "?::varchar as table_name from {table}"
)


def ssda903_batching(folder: Path, progress=None) -> Batching:
    """How the refresh (and the bench floor) chunk SSDA903's files: an LA's returns together (its folder under
    ``folder``; the home LA's years each), a few LAs at a time."""
    return Batching(group=lambda path: path.relative_to(folder).parts[0], progress=progress)


def ssda903_batch(
    con, paths: list[Path], *, root: Path, home_la: str, key: str, known_las: Iterable[str] | None = None
) -> BatchOutcome:
    """The batch parser of the SSDA903 source (``load_source(batch_parser=...)``): every changed file at once."""
    batch = read_returns(con, paths, root=root, home_la=home_la, key=key, known_las=known_las)
    empty_rejections(con, "_s903_rejections")
    for table, rejections in batch.rejections.items():
        con.execute(
            "insert into _s903_rejections " + BATCH_REJECTIONS_SQL.format(table=quote_ident(rejections)), [table]
        )
    return BatchOutcome(
        staged=batch.staged,
        rejections="_s903_rejections",
        read={name: file_read(plan) for name, plan in batch.files.items()},
        refused=batch.refused,
    )


def parse_ssda903_file(
    path: Path,
    *,
    root: Path,
    home_la: str,
    key: str,
    known_las: Iterable[str] | None = None,
    as_frame: bool = False,
    memo: dict | None = None,
) -> list[ParsedTable]:
    """Every table of one landing file, pseudonymised, with the row rules applied: :func:`read_returns` of the one
    file (the same SQL as the batch) on a DuckDB of its own, as :class:`ParsedTable` (file by file loading).

    ``as_frame``: each table's rows as a DataFrame (``ParsedTable.frame``) rather than a list of dicts; the rules
    and the rows are the same. ``memo``: a dict kept for one load, in which the child keys made are remembered."""
    con = duckdb.connect()
    try:
        batch = read_returns(con, [path], root=root, home_la=home_la, key=key, known_las=known_las, memo=memo)
        if str(path) in batch.refused:
            raise FileRejected(batch.refused[str(path)])
        plan = batch.files[str(path)]
        tables = [_parsed_table(con, batch, plan, sheet, as_frame) for sheet in plan.sheets]
    finally:
        con.close()
    if plan.note:
        tables[0].notes.insert(0, plan.note)
    tables[0].notes.extend(plan.problems)
    return tables


def _parsed_table(con, batch: ReadBatch, plan: FilePlan, sheet: SheetPlan, as_frame: bool) -> ParsedTable:
    parsed = ParsedTable(sheet.table_name, sheet=sheet.label, rows_read=sheet.rows_read, notes=list(sheet.notes))
    if sheet.raw is None:
        return parsed
    where = "where _file_path = ? and _sheet is not distinct from ? order by _row_number"
    rejected = con.execute(
        f"select _row_number, column_name, value, reason from "
        f"{quote_ident(batch.rejections[sheet.raw.name])} {where}, _check",
        [str(plan.path), sheet.sheet],
    ).fetchall()
    parsed.rejections = [Rejection(*row) for row in rejected]
    rows = con.execute(
        f"select * exclude (_file_path, _sheet) from {quote_ident(batch.staged[sheet.raw.name])} {where}",
        [str(plan.path), sheet.label],
    )  # staged: the sheet as the load log names it
    if as_frame:
        parsed.frame = rows.df().astype(object)
        parsed.frame["_row_number"] = parsed.frame["_row_number"].astype("int64")
    else:
        names = [d[0] for d in rows.description]
        parsed.rows = [dict(zip(names, values)) for values in rows.fetchall()]
    return parsed


# --------------------------------------------------------------------------------------------------------
# Across tables and files
# --------------------------------------------------------------------------------------------------------
def adoption_placement_starts(episodes: Iterable[dict]) -> dict[tuple[str, str, str], str]:
    """When each adopted child moved in with the adopters, per return: ``(la_code, collection_year, child_key)``
    -> ISO date.

    From the return's last closed episode ending in adoption (REC E11/E12), step back through the episodes
    of the same placement for adoption: while the episode began with the same carers (RNE L, T or U) and the
    episode before it (ending on its DECOM) was also a placement for adoption. The DECOM where the
    stepping stops is the move-in date. Earlier placements for adoption with other carers (a disruption)
    are not the placement with these adopters.
    """
    by_child: dict[tuple[str, str, str], list[dict]] = {}
    for e in episodes:
        by_child.setdefault((e["la_code"], str(e["collection_year"]), e["child_key"]), []).append(e)
    starts = {}
    for child, rows in by_child.items():
        adopted = [e for e in rows if e.get("dec") and e.get("rec") in ADOPTED_REC]
        if not adopted:
            continue
        current = max(adopted, key=lambda e: e["dec"])
        ended_on = {e["dec"]: e for e in rows if e.get("dec")}
        while current.get("rne") in CARER_UNCHANGED_RNE:
            before = ended_on.get(current["decom"])
            if before is None or before is current or before.get("place") not in ALL_ADOPTION_PLACEMENTS:
                break
            current = before
        starts[child] = current["decom"]
    return starts


def date_match_violations(ad1_rows: Iterable[dict], starts: dict[tuple[str, str, str], str]) -> list[dict]:
    """AD1 rows whose DATE_MATCH is after the child moved in with the adopters (same return)."""
    bad = []
    for row in ad1_rows:
        start = starts.get((row["la_code"], str(row["collection_year"]), row["child_key"]))
        if start and row.get("date_match") and row["date_match"] > start:
            bad.append({**row, "adoption_placement_start": start})
    return bad


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def placement_starts_sql(episodes: str = f"raw.{EPISODES_TABLE.name}") -> str:
    """A query of :func:`adoption_placement_starts`, set-based: ``la_code, collection_year, child_key,
    adoption_placement_start`` (ISO text) and ``adoption_place`` (PLACE of the episode ending in adoption) per
    return with an adoption, from the episodes in ``episodes``.

    Where several episodes of a return tie (the same DEC), the order of the rows (file, then row) decides
    as the order of the rows decides in :func:`adoption_placement_starts`."""
    adopted, unchanged, placements = (
        _sql_list(ADOPTED_REC),
        _sql_list(CARER_UNCHANGED_RNE),
        _sql_list(ALL_ADOPTION_PLACEMENTS),
    )
    return f"""
        with recursive closed as (
            select la_code, collection_year, child_key, decom, dec, rne, place, rec, _file_path, _row_number
            from {episodes}
            where dec is not null and dec <> ''
        ),
        adoption as (  -- the return's last episode ending in adoption
            select * from closed where rec in ({adopted})
            qualify row_number() over (partition by la_code, collection_year, child_key
                                       order by dec desc, _file_path, _row_number) = 1
        ),
        ended_on as (  -- the episode ending on each day (the last row of those that do)
            select * from closed
            qualify row_number() over (partition by la_code, collection_year, child_key, dec
                                       order by _file_path desc, _row_number desc) = 1
        ),
        walk as (  -- step back while the carers did not change and the episode before was with adopters
            select la_code, collection_year, child_key, decom, rne, _file_path, _row_number, 0 as step,
                place as adoption_place
            from adoption
            union all
            select walk.la_code, walk.collection_year, walk.child_key, before.decom, before.rne, before._file_path,
                before._row_number, walk.step + 1, walk.adoption_place
            from walk
            join ended_on as before
                on before.la_code = walk.la_code and before.collection_year = walk.collection_year
                and before.child_key = walk.child_key and before.dec = walk.decom
            where walk.rne in ({unchanged}) and before.place in ({placements})
                and not (before._file_path = walk._file_path and before._row_number = walk._row_number)
        )
        select la_code, collection_year, child_key, arg_max(decom, step) as adoption_placement_start,
            any_value(adoption_place) as adoption_place
        from walk
        group by la_code, collection_year, child_key
    """


def cross_table_violations_sql() -> str:
    """AD1 rows that contradict the Episodes of the same return, one row per broken rule: ``_file_path,
    _row_number, column_name, value, reason``. DfE rule 331: DATE_MATCH after the child moved in with the
    adopters; DfE rule 335: FOSTER_CARE contradicting the placement the child was adopted from."""
    with_carers, others = _sql_list(WITH_CURRENT_FOSTER_CARERS), _sql_list(("A4", "A6"))
    return f"""
        with ad1 as (
            select ad1._file_path, ad1._row_number, ad1.date_match, ad1.foster_care, starts.adoption_placement_start,
                starts.adoption_place
            from raw.{AD1_TABLE.name} as ad1
            join ({placement_starts_sql()}) as starts using (la_code, collection_year, child_key)
        )
        select _file_path, _row_number, 'DATE_MATCH' as column_name, date_match as value,
            'DfE rule 331: DATE_MATCH ' || date_match || ' is after the child moved in with the adopters ('
            || adoption_placement_start || ', the placement for adoption in this return''s Episodes): a child is '
            || 'matched before the placement; correct DATE_MATCH or the episode dates' as reason
        from ad1
        where date_match is not null and date_match <> '' and date_match > adoption_placement_start
        union all
        select _file_path, _row_number, 'FOSTER_CARE', foster_care,
            'DfE rule 335: FOSTER_CARE ' || foster_care || ' contradicts the placement the child was adopted from ('
            || adoption_place || case when foster_care = '0' then ', with the current foster carers)'
            else ', not with the current foster carers)' end || ': correct FOSTER_CARE or PLACE'
        from ad1
        where (foster_care = '0' and adoption_place in ({with_carers}))
            or (foster_care = '1' and adoption_place in ({others}))
    """


def apply_cross_table_rules(con, run_id: str, now: dt.datetime | None = None) -> int:
    """Quarantine the AD1 rows that contradict the same return's Episodes (:func:`cross_table_violations_sql`);
    returns how many rows were moved.

    The rows leave ``raw.ssda903_ad1`` for ``quality.rejected_rows`` (under their own file and row, one entry per
    rule broken), and the file's ``quality.load_log`` row of this run is corrected. Set-based.
    """
    now = now or dt.datetime.now()
    con.execute(f"create or replace temp table _ad1_broken as {cross_table_violations_sql()}")
    try:
        moved = con.execute("select count(distinct (_file_path, _row_number)) from _ad1_broken").fetchone()[0]
        if not moved:
            return 0
        con.execute("begin")
        try:
            con.execute(f"""
                delete from raw.{AD1_TABLE.name} as ad1 using _ad1_broken as bad
                where ad1._file_path = bad._file_path and ad1._row_number = bad._row_number""")
            con.execute(
                """insert into quality.rejected_rows
                       (file_path, row_number, column_name, value, reason, rejected_at, source, table_name, run_id)
                   select _file_path, _row_number, column_name, value, reason, ?, ?, ?, ?
                   from _ad1_broken
                   order by _file_path, _row_number, column_name""",
                [now, SOURCE, AD1_TABLE.name, run_id],
            )
            con.execute(
                """update quality.load_log as log
                   set rows_loaded = log.rows_loaded - moved.n, rows_rejected = log.rows_rejected + moved.n
                   from (select _file_path, count(distinct _row_number) as n from _ad1_broken group by _file_path)
                       as moved
                   where log.run_id = ? and log.source = ? and log.file_path = moved._file_path""",
                [run_id, SOURCE],
            )
            settle_file_counts(con, run_id, SOURCE)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        return moved
    finally:
        con.execute("drop table if exists _ad1_broken")


CONTEXT_TABLE = "ssda903_ingest_context"


def key_fingerprint(key: str) -> str:
    """A fingerprint of the pseudonymisation key (not the key): tells whether the key has changed."""
    return hmac.new(key.encode(), b"csw-ssda903-key-fingerprint", hashlib.sha256).hexdigest()[:16]


def _return_of(path: Path, folder: Path, home_la: str) -> tuple[str, int] | None:
    """The return (LA, year) a file belongs to, from its folders; None for a file in no year folder."""
    try:
        ctx = return_context(path, folder, home_la)
    except FileRejected:
        return None
    return ctx.la_code, ctx.collection_year


def mark_for_reload(con, folder: Path, home_la: str, key: str) -> bool:
    """Make the next load re-read the files that must be read again; returns whether any will be.

    The AD1 rule joins the Episodes of the same return (LA and year), which may be another file: so when a
    file is added, changed or removed, every file of its return is read again (the other returns are not:
    the rule never joins two returns), and the rule is applied afresh. Files recorded as repeating another
    file's content are read again too (that file may be the one that changed). The child_key depends on the
    home LA and the key: when either changes, every file is read again.
    """
    ensure_quality_schema(con)
    con.execute(f"create table if not exists raw.{CONTEXT_TABLE} (home_la varchar, key_fingerprint varchar)")
    context = (home_la, key_fingerprint(key))
    stored = con.execute(f"select home_la, key_fingerprint from raw.{CONTEXT_TABLE}").fetchall()
    state = {
        path: (sha, status)
        for path, sha, status in con.execute(
            "select file_path, sha256, status from quality.file_state where source = ?", [SOURCE]
        ).fetchall()
    }
    current = {str(p): p for p in discover_files(folder)}
    if [tuple(r) for r in stored] != [context]:
        con.execute("update quality.file_state set sha256 = 'reload' where source = ?", [SOURCE])
        con.execute(f"delete from raw.{CONTEXT_TABLE}")
        con.execute(f"insert into raw.{CONTEXT_TABLE} values (?, ?)", list(context))
        return True
    changed = [p for p in current if p not in state or sha256_file(current[p]) != state[p][0]]
    changed += [p for p in state if p not in current]
    if not changed:
        return False
    returns = {_return_of(Path(p), folder, home_la) for p in changed}
    again = [
        p
        for p, (_sha, status) in state.items()
        if status == "unchanged" or _return_of(Path(p), folder, home_la) in returns
    ]
    if again:
        con.execute(
            "update quality.file_state set sha256 = 'reload' where source = ? and file_path in "
            "(select unnest(?::varchar[]))",
            [SOURCE, again],
        )
    return True
