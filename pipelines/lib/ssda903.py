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
``child_key`` (:func:`pipelines.lib.pseudonymise.child_key` of the LA code and the id), and a
rejection whose column is ``CHILD`` carries the child_key, never the id. Dates of birth are cut to
the first of the month; UPN and postcodes (``HOME_POST``, ``PL_POST``) are not read at all.

Row rules (a row that breaks one is quarantined with file, row, column, value and reason): dates
dd/mm/yyyy; RNE, LS, CIN, PLACE, REC in the DfE code lists (trimmed, upper-cased first, as the DfE
validator does); DEC not before DECOM; REC on a closed episode present, and ``E11``/``E12``
(adopted) only where the episode is an adoption placement; one row per child (per child and
DECOM for episodes, per child and DATE_PLACED for PlacedAdoption) in a file.

A rule across tables, applied by :func:`apply_cross_table_rules` after every file is loaded: an AD1
row whose ``DATE_MATCH`` is after the child moved in with the adopters (in the Episodes of the same
return) is quarantined. Because that rule joins files, the whole source is re-read whenever any of
its files (or the home LA, or the pseudonymisation key) changes: see :func:`mark_for_reload`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipelines.lib.ingest import (
    FileRejected, RawTable, discover_files, ensure_quality_schema, settle_file_counts, sha256_file,
)
from pipelines.lib.parsing import parse_date
from pipelines.lib.pseudonymise import child_key
from pipelines.lib.readers import Sheet, UnreadableFile, find_header_row, normalise_header, read_tables, sniff_format
from pipelines.lib.rules import ParsedTable, Rejection

SOURCE = "ssda903"
REDACTED = "<redacted>"

# --- DfE code lists (SSDA903 guidance; the DfE validator's lists, plus codes of older returns) -------------
RNE_CODES = ("S", "P", "L", "T", "U", "B")
CARER_UNCHANGED_RNE = ("L", "B", "U")
LS_CODES = ("C1", "C2", "D1", "E1", "V2", "V3", "V4", "J1", "J2", "J3", "L1", "L2", "L3")
COURT_AUTHORITY_LS = ("E1", "D1")
CIN_CODES = tuple(f"N{i}" for i in range(1, 9))
ADOPTION_PLACEMENTS = ("A3", "A4", "A5", "A6")
LEGACY_ADOPTION_PLACEMENTS = ("A1", "A2")  # before 2013-14
ALL_ADOPTION_PLACEMENTS = (*ADOPTION_PLACEMENTS, *LEGACY_ADOPTION_PLACEMENTS)
PLACE_CODES = (
    *ADOPTION_PLACEMENTS, "H5", "K1", "K2", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1",
    "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1", *LEGACY_ADOPTION_PLACEMENTS,
)
ADOPTED_REC = ("E11", "E12")
REC_CODES = (
    "E11", "E12", "E2", "E3", "E4A", "E4B", "E13", "E41", "E45", "E46", "E47", "E48", "E5", "E6", "E7",
    "E8", "E9", "E14", "E15", "E16", "E17", "X1",
    "E4", "E43", "E44",  # returns before 2016: E4 before E4A/E4B; E43, E44 before E45-E48
)
CODE_LISTS = {
    "RNE": (RNE_CODES, "reason for new episode"),
    "LS": (LS_CODES, "legal status"),
    "CIN": (CIN_CODES, "category of need"),
    "PLACE": (PLACE_CODES, "placement type"),
    "REC": (REC_CODES, "reason episode ceased"),
}
FOSTER_CARE_CODES = ("0", "1")

# --- raw tables (text, lower-case DfE names; the clear CHILD, UPN and postcodes are not among them) ---------
CONTEXT_COLUMNS = ("la_code", "collection_year", "child_key")
HEADER_TABLE = RawTable("ssda903_header", (*CONTEXT_COLUMNS, "sex", "birth_month", "ethnic", "mother",
                                           "mc_birth_month"))
EPISODES_TABLE = RawTable("ssda903_episodes", (*CONTEXT_COLUMNS, "decom", "rne", "ls", "cin", "place",
                                               "place_provider", "dec", "rec", "reason_place_change", "urn"))
AD1_TABLE = RawTable("ssda903_ad1", (*CONTEXT_COLUMNS, "birth_month", "date_int", "date_match", "foster_care",
                                     "nb_adoptr", "sex_adoptr", "ls_adoptr"))
PLACED_ADOPTION_TABLE = RawTable("ssda903_placed_adoption", (*CONTEXT_COLUMNS, "birth_month", "date_placed",
                                                             "date_placed_ceased", "reason_placed_ceased"))
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
    TableSpec("Episodes", (_sig("CHILD", "DECOM"), _sig("CHILD", "RNE", "LS"), _sig("CHILD", "REC", "DEC")), ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "DEC", "REC"),
              EPISODES_TABLE),
    TableSpec("Header", (_sig("CHILD", "ETHNIC"), _sig("CHILD", "UPN")), ("CHILD", "SEX", "DOB"), HEADER_TABLE),
    TableSpec("AD1", (_sig("CHILD", "DATE_MATCH"), _sig("CHILD", "DATE_INT"), _sig("CHILD", "FOSTER_CARE")),
              ("CHILD", "DATE_MATCH", "FOSTER_CARE"), AD1_TABLE),
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
    "CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB", "DECOM", "RNE", "LS", "CIN", "PLACE", "PL",
    "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN", "DATE_INT",
    "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR", "DATE_PLACED", "DATE_PLACED_CEASED",
    "REASON_PLACED_CEASED", "REVIEW", "REVIEW_CODE", "DUC", "PREV_PERM", "LA_PERM", "DATE_PERM", "MISSING",
    "MIS_START", "MIS_END", "IN_TOUCH", "ACTIV", "ACCOM", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK",
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
                    "in raw/ssda903/<la_code>/<YYYY>/ with its 3-digit DfE code")
            return ReturnContext(la_code=la_code, collection_year=year)
    raise FileRejected(
        "the file is not in a year folder: put each SSDA903 return in raw/ssda903/<YYYY>/ (YYYY = the year "
        "ending 31 March, e.g. 2018 for 2017-18), or raw/ssda903/<la_code>/<YYYY>/ for another LA")


# --------------------------------------------------------------------------------------------------------
# Cell rules
# --------------------------------------------------------------------------------------------------------
def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if match := _FLOAT_INTEGER.match(value):  # '1.0' from a spreadsheet or pandas export
        return match.group(1)
    return value


def _code(value: str | None) -> str | None:
    value = _text(value)
    return value.upper() if value else None


def month_of(date_iso: str | None) -> str | None:
    """A date cut to the first of its month (dates of birth are never stored whole)."""
    return date_iso[:8] + "01" if date_iso else None


Problem = tuple[str, "str | None", str]  # a broken rule: (column, value, reason)


def _mapped(values: list, rule) -> list:
    """``rule`` applied once per distinct value: a file repeats few distinct dates, codes and children."""
    outcome = {value: rule(value) for value in set(values)}
    return [outcome[value] for value in values]


def _checked(values: list, rule) -> tuple[list, dict[int, Problem]]:
    """``rule(value) -> (clean value, Problem or None)`` once per distinct value: the clean column, and the
    problems by row index."""
    outcome = {value: rule(value) for value in set(values)}
    bad = {value for value, (_clean, problem) in outcome.items() if problem is not None}
    problems = {i: outcome[value][1] for i, value in enumerate(values) if value in bad} if bad else {}
    return [outcome[value][0] for value in values], problems


def _child_rule(la_code: str, key: str, memo: dict | None = None):
    """CHILD pseudonymised; ``memo`` keeps the keys made so far in one load (a child is in every table and
    year of a return), so the HMAC is computed once per child."""
    memo = {} if memo is None else memo
    if memo.get("la_code") != la_code:  # files come LA by LA: keep one LA's children only
        memo.clear()
        memo["la_code"] = la_code

    def rule(raw: str | None):
        value = _text(raw)
        if value is None:
            return None, ("CHILD", None, "CHILD (the child's identifier) is blank; every row needs it")
        pseudonym = memo.get((la_code, value))
        if pseudonym is None:
            pseudonym = memo[(la_code, value)] = child_key(la_code, value, key)
        return pseudonym, None

    return rule


def _date_rule(column: str, required: bool = False):
    def rule(raw: str | None):
        value = _text(raw)
        if value is None:
            return None, ((column, None, f"{column} is blank; it is required") if required else None)
        try:
            return parse_date(value).isoformat(), None
        except ValueError as exc:
            return None, (column, value, f"{column}: {exc}")

    return rule


def _code_rule(column: str, required: bool = True):
    allowed, label = CODE_LISTS[column]

    def rule(raw: str | None):
        value = _code(raw)
        if value is None:
            return None, ((column, None, f"{column} ({label}) is blank; it is required") if required else None)
        if value not in allowed:
            return None, (column, raw, f"{column} '{value}' is not a DfE {label} code (valid: {', '.join(allowed)})")
        return value, None

    return rule


def _foster_care_rule(raw: str | None):
    value = _text(raw)
    if value is not None and value not in FOSTER_CARE_CODES:
        return None, ("FOSTER_CARE", raw,
                      f"FOSTER_CARE '{value}' is not 0 (not adopted by the foster carers) or 1 (adopted by them)")
    return value, None


NB_ADOPTR_CODES = ("1", "2")


def _nb_adoptr_rule(raw: str | None):
    """NB_ADOPTR is typed as a number in the warehouse: anything but 1 or 2 (adopters) is quarantined at ingest."""
    value = _text(raw)
    if value is not None and value not in NB_ADOPTR_CODES:
        return None, ("NB_ADOPTR", raw, f"NB_ADOPTR '{value}' is not 1 or 2 (the number of adopters)")
    return value, None


@dataclass
class _Cells:
    """The cells of one table of a file, a list per DfE column, and where each row is in the file."""

    values: dict[str, list]
    locations: list[int]  # row number (CSV, sheet) or element number (XML)
    wheres: list[str] | None = None  # XML: which element, since XML has no row numbers (starts each reason)
    seen_as: str = "row"

    def __len__(self) -> int:
        return len(self.locations)

    def get(self, column: str) -> list:
        values = self.values.get(column)
        return values if values is not None else [None] * len(self.locations)


# --------------------------------------------------------------------------------------------------------
# Records: one function per table, shared by the CSV and XML readers. Each gives the raw table's columns
# and, in the order the rules are checked, the problems by row (a row reports every rule it breaks).
# --------------------------------------------------------------------------------------------------------
def header_columns(cells: _Cells, ctx: ReturnContext, key: str, memo: dict | None = None
                   ) -> tuple[dict[str, list], list[dict]]:
    out: dict[str, list] = {}
    out["child_key"], child = _checked(cells.get("CHILD"), _child_rule(ctx.la_code, key, memo))
    out["sex"] = _mapped(cells.get("SEX"), _text)
    dob, dob_problems = _checked(cells.get("DOB"), _date_rule("DOB", required=True))
    out["birth_month"] = _mapped(dob, month_of)
    out["ethnic"] = _mapped(cells.get("ETHNIC"), _code)
    out["mother"] = _mapped(cells.get("MOTHER"), _text)
    mc_dob, mc_problems = _checked(cells.get("MC_DOB"), _date_rule("MC_DOB"))
    out["mc_birth_month"] = _mapped(mc_dob, month_of)
    return out, [child, dob_problems, mc_problems]


def episode_columns(cells: _Cells, ctx: ReturnContext, key: str, memo: dict | None = None
                    ) -> tuple[dict[str, list], list[dict]]:
    out: dict[str, list] = {}
    checks = []
    out["child_key"], problems = _checked(cells.get("CHILD"), _child_rule(ctx.la_code, key, memo))
    checks.append(problems)
    for column, required in (("DECOM", True), ("DEC", False)):
        out[column.lower()], problems = _checked(cells.get(column), _date_rule(column, required))
        checks.append(problems)
    for column in ("RNE", "LS", "CIN", "PLACE"):
        out[column.lower()], problems = _checked(cells.get(column), _code_rule(column))
        checks.append(problems)
    out["rec"], problems = _checked(cells.get("REC"), _code_rule("REC", required=False))
    checks.append(problems)
    out["place_provider"] = _mapped(cells.get("PLACE_PROVIDER"), _code)
    out["reason_place_change"] = _mapped(cells.get("REASON_PLACE_CHANGE"), _code)
    out["urn"] = _mapped(cells.get("URN"), _text)
    raw_decom, raw_dec, raw_rec = cells.get("DECOM"), cells.get("DEC"), cells.get("REC")
    decom, dec, rec, place = out["decom"], out["dec"], out["rec"], out["place"]
    checks.append({
        i: ("DEC", raw_dec[i], f"DEC {raw_dec[i].strip()} is before DECOM {raw_decom[i].strip()}: an episode cannot "
                               "end before it starts; correct either date")
        for i, (start, end) in enumerate(zip(decom, dec)) if start and end and end < start})
    any_rec = _mapped(raw_rec, _code)
    checks.append({
        i: ("REC", None, f"REC is blank although the episode ended (DEC {raw_dec[i].strip()}): give the reason the "
                         "episode ceased (X1 if a new episode began the same day)")
        for i, (end, code) in enumerate(zip(dec, any_rec)) if end and code is None})
    checks.append({
        i: ("REC", raw_rec[i],
            f"REC {rec[i]} (adopted) ends an episode whose placement {place[i]} is not an adoption placement "
            f"({', '.join(ALL_ADOPTION_PLACEMENTS)}): a child is adopted from a placement for adoption; correct "
            "PLACE or REC")
        for i, (end, code, placement) in enumerate(zip(dec, rec, place))
        if end and code in ADOPTED_REC and placement and placement not in ALL_ADOPTION_PLACEMENTS})
    return out, checks


def _child_and_birth_month(cells: _Cells, ctx: ReturnContext, key: str, memo: dict | None
                           ) -> tuple[dict[str, list], list[dict]]:
    """The pseudonymised child and the month of birth (DOB optional) of an AD1 or PlacedAdoption table."""
    out: dict[str, list] = {}
    out["child_key"], child = _checked(cells.get("CHILD"), _child_rule(ctx.la_code, key, memo))
    dob, dob_problems = _checked(cells.get("DOB"), _date_rule("DOB"))
    out["birth_month"] = _mapped(dob, month_of)
    return out, [child, dob_problems]


def ad1_columns(cells: _Cells, ctx: ReturnContext, key: str, memo: dict | None = None
                ) -> tuple[dict[str, list], list[dict]]:
    out, checks = _child_and_birth_month(cells, ctx, key, memo)
    for column in ("DATE_INT", "DATE_MATCH"):
        out[column.lower()], problems = _checked(cells.get(column), _date_rule(column))
        checks.append(problems)
    out["foster_care"], problems = _checked(cells.get("FOSTER_CARE"), _foster_care_rule)
    checks.append(problems)
    out["nb_adoptr"], problems = _checked(cells.get("NB_ADOPTR"), _nb_adoptr_rule)
    checks.append(problems)
    out["sex_adoptr"] = _mapped(cells.get("SEX_ADOPTR"), _code)
    out["ls_adoptr"] = _mapped(cells.get("LS_ADOPTR"), _code)
    return out, checks


def placed_adoption_columns(cells: _Cells, ctx: ReturnContext, key: str, memo: dict | None = None
                            ) -> tuple[dict[str, list], list[dict]]:
    out, checks = _child_and_birth_month(cells, ctx, key, memo)
    for column, required in (("DATE_PLACED", True), ("DATE_PLACED_CEASED", False)):
        out[column.lower()], problems = _checked(cells.get(column), _date_rule(column, required))
        checks.append(problems)
    out["reason_placed_ceased"] = _mapped(cells.get("REASON_PLACED_CEASED"), _code)
    raw_placed, raw_ceased = cells.get("DATE_PLACED"), cells.get("DATE_PLACED_CEASED")
    checks.append({
        i: ("DATE_PLACED_CEASED", raw_ceased[i], f"DATE_PLACED_CEASED {raw_ceased[i].strip()} is before DATE_PLACED "
                                                 f"{raw_placed[i].strip()}: correct either date")
        for i, (placed, ceased) in enumerate(zip(out["date_placed"], out["date_placed_ceased"]))
        if placed and ceased and ceased < placed})
    return out, checks


# table -> (its columns and problems, the columns a row may not repeat in a file, what a repeat is called)
TABLE_RULES = {
    EPISODES_TABLE.name: (episode_columns, ("child_key", "decom"), "episode (same child and DECOM)"),
    HEADER_TABLE.name: (header_columns, ("child_key",), "Header row for the same child"),
    AD1_TABLE.name: (ad1_columns, ("child_key",), "AD1 row for the same child"),
    PLACED_ADOPTION_TABLE.name: (placed_adoption_columns, ("child_key", "date_placed"),
                                 "PlacedAdoption row (same child and DATE_PLACED)"),
}
SOURCE_COLUMNS = {  # the DfE columns each table reads
    EPISODES_TABLE.name: ("CHILD", "DECOM", "DEC", "RNE", "LS", "CIN", "PLACE", "REC", "PLACE_PROVIDER",
                          "REASON_PLACE_CHANGE", "URN"),
    HEADER_TABLE.name: ("CHILD", "SEX", "DOB", "ETHNIC", "MOTHER", "MC_DOB"),
    AD1_TABLE.name: ("CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"),
    PLACED_ADOPTION_TABLE.name: ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
}


def build_table(table: RawTable, cells: _Cells, ctx: ReturnContext, key: str, sheet: str | None,
                as_frame: bool = False, memo: dict | None = None) -> ParsedTable:
    """The rows of one table of a file after the row rules, a column at a time (each distinct value checked
    once), with the duplicate rule: ``rows`` (dicts), or ``frame`` (a DataFrame, for large files)."""
    columns_of, key_columns, what = TABLE_RULES[table.name]
    out, checks = columns_of(cells, ctx, key, memo)
    parsed = ParsedTable(table.name, sheet=sheet, rows_read=len(cells))
    problems: dict[int, list[Problem]] = {}
    for check in checks:  # a row's problems in the order its rules are checked
        for i, problem in check.items():
            problems.setdefault(i, []).append(problem)
    seen: dict[tuple, int] = {}
    for i, dup_key in enumerate(zip(*(out[c] for c in key_columns))):
        if i in problems:
            continue
        if dup_key in seen:
            problems[i] = [("CHILD", out["child_key"][i],
                            f"duplicate {what}: {cells.seen_as} {seen[dup_key]} of this file is kept")]
        else:
            seen[dup_key] = cells.locations[i]
    wheres = cells.wheres
    parsed.rejections = [
        Rejection(cells.locations[i], column, value, f"{wheres[i] if wheres else ''}{reason}")
        for i in sorted(problems) for column, value, reason in problems[i]]
    keep = [i for i in range(len(cells)) if i not in problems] if problems else None
    context = {"la_code": ctx.la_code, "collection_year": str(ctx.collection_year)}
    names = [c for c in table.columns if c not in context]
    kept = {c: (out[c] if keep is None else [out[c][i] for i in keep]) for c in names}
    numbers = cells.locations if keep is None else [cells.locations[i] for i in keep]
    if as_frame:
        import pandas as pd

        parsed.frame = pd.DataFrame({
            **{c: pd.Series([value] * len(numbers), dtype="object") for c, value in context.items()},
            **{c: pd.Series(kept[c], dtype="object") for c in names},
            "_row_number": pd.Series(numbers, dtype="int64"),
        })
    else:
        parsed.rows = [{**context, **dict(zip(names, values)), "_row_number": number}
                       for *values, number in zip(*(kept[c] for c in names), numbers)]
    return parsed


# --------------------------------------------------------------------------------------------------------
# CSV / XLSX
# --------------------------------------------------------------------------------------------------------
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


def _unrecognised(sheet: Sheet) -> FileRejected:
    first = next((r for r in sheet.rows if any(r)), [])
    named = sorted({normalise_header(c).upper() for c in first if c} & KNOWN_COLUMNS)
    what = (f"its first row names {', '.join(named)}" if named else
            f"its first row ({sum(1 for c in first if c)} cells) names no SSDA903 column")
    return FileRejected(
        f"not an SSDA903 table this warehouse knows: expected a header row naming CHILD and the DfE columns of "
        f"Header, Episodes, AD1 or PlacedAdoption (or Reviews, UASC, OC2, OC3, PrevPerm, Missing), but {what}")


def parse_sheet(sheet: Sheet, ctx: ReturnContext, key: str, as_frame: bool = False,
                memo: dict | None = None) -> ParsedTable:
    """One CSV file or workbook sheet: the rows of its table, or a note that it is recognised but not used."""
    found = recognise_table(sheet.rows)
    if found is None:
        raise _unrecognised(sheet)
    spec, at = found
    index = _column_index(sheet.rows[at])
    data_rows = [(n, row) for n, row in enumerate(sheet.rows[at + 1:], start=at + 2) if any(c for c in row)]
    if spec.raw is None:
        return ParsedTable(  # rows of a table not used are not read as data: counted in the note only
            f"ssda903_{spec.name.lower()}", sheet=sheet.name,
            notes=[f"recognised as the SSDA903 {spec.name} table ({len(data_rows)} rows): not used by the "
                   "warehouse, so not loaded"])
    missing = [c for c in spec.required if c not in index]
    if missing:
        found_columns = ", ".join(c for c in index if c in KNOWN_COLUMNS) or "none"
        raise FileRejected(
            f"the SSDA903 {spec.name} table lacks required column(s) {', '.join(missing)}; "
            f"SSDA903 columns found: {found_columns}")
    wanted = {column: i for column, i in index.items() if column in SOURCE_COLUMNS[spec.raw.name]}
    rows = [row for _number, row in data_rows]
    if rows and min(map(len, rows)) > max(wanted.values(), default=-1):
        by_position = list(zip(*rows))  # every row reaches every column wanted: transpose in one go
        values = {column: list(by_position[i]) for column, i in wanted.items()}
    else:
        values = {column: [row[i] if i < len(row) else None for row in rows] for column, i in wanted.items()}
    cells = _Cells(values, [number for number, _row in data_rows])
    parsed = build_table(spec.raw, cells, ctx, key, sheet.name, as_frame, memo)
    parsed.notes.append(f"SSDA903 {spec.name} of {ctx.la_code} for {ctx.collection_year}")
    return parsed


# --------------------------------------------------------------------------------------------------------
# XML
# --------------------------------------------------------------------------------------------------------
XML_ROOT = "EXPSSDA903"
XML_IGNORED = {"AREVIEW": "reviews", "AMISSING": "missing spells", "OC2": "OC2 outcomes",
               "PERMANENCE": "previous permanence", "UASC": None, "DUC": "UASC", "IN_TOUCH": "OC3 care leaver records"}
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


class _XmlTable:
    """The records of one table of an XML return, gathered element by element."""

    def __init__(self, table: RawTable, sheet: str, seen_as: str):
        self.table, self.sheet, self.seen_as = table, sheet, seen_as
        self.records: list[dict] = []
        self.locations: list[int] = []
        self.wheres: list[str] = []

    def add(self, fields: dict, location: int, where: str) -> None:
        self.records.append(fields)
        self.locations.append(location)
        self.wheres.append(where)

    def build(self, ctx: ReturnContext, key: str, as_frame: bool, memo: dict | None) -> ParsedTable:
        values = {c: [r.get(c) for r in self.records] for c in SOURCE_COLUMNS[self.table.name]}
        cells = _Cells(values, self.locations, self.wheres, self.seen_as)
        return build_table(self.table, cells, ctx, key, self.sheet, as_frame, memo)


def parse_xml(data: bytes, ctx: ReturnContext, key: str, as_frame: bool = False,
              memo: dict | None = None) -> list[ParsedTable]:
    """The XML return: Header, Episodes, AD1 and PlacedAdoption rows; the other sub-tables counted in a note."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FileRejected(f"the XML cannot be read ({exc}); export the return again") from None
    if _tag(root) != XML_ROOT:
        raise FileRejected(f"an XML file whose root element is <{root.tag}>, not <{XML_ROOT}>: not an SSDA903 return")
    tables = {t.name: _XmlTable(t, f"XML {tag}", seen_as) for t, tag, seen_as in (
        (HEADER_TABLE, "CHILD", "<CHILD>"), (EPISODES_TABLE, "EPISODE", "<EPISODE>"),
        (AD1_TABLE, "CHILD (AD1)", "<CHILD>"), (PLACED_ADOPTION_TABLE, "AD_PLACED", "<AD_PLACED>"))}
    ignored: dict[str, int] = {}
    episode_number = placed_number = 0
    for child_number, child in enumerate((c for c in root if _tag(c) == "CHILD"), start=1):
        header = next((h for h in child if _tag(h) == "HEADER"), None)
        fields = _leaves(child)  # HEADER is a singleton sub-element: its values are found through it
        where = f"<CHILD> {child_number}: "
        tables[HEADER_TABLE.name].add(fields, child_number, where)
        if any(_text(fields.get(f)) for f in AD1_FIELDS):
            tables[AD1_TABLE.name].add(fields, child_number, where)
        for tag in ("DUC", "IN_TOUCH"):
            if _text(fields.get(tag)):
                ignored[XML_IGNORED[tag]] = ignored.get(XML_IGNORED[tag], 0) + 1
        for sub in (header if header is not None else []):
            tag = _tag(sub)
            if tag == "AD_PLACED":
                placed_number += 1
                tables[PLACED_ADOPTION_TABLE.name].add(
                    {**fields, **_leaves(sub)}, placed_number, f"{where}<AD_PLACED> {placed_number}: ")
            elif len(sub) and XML_IGNORED.get(tag):
                ignored[XML_IGNORED[tag]] = ignored.get(XML_IGNORED[tag], 0) + 1
        for number_in_child, episode in enumerate((e for e in child if _tag(e) == "EPISODE"), 1):
            episode_number += 1
            tables[EPISODES_TABLE.name].add(
                {**{"CHILD": fields.get("CHILD")}, **_leaves(episode)}, episode_number,
                f"{where}<EPISODE> {number_in_child} (episode {episode_number} of the file): ")
    parsed = [t.build(ctx, key, as_frame, memo) for t in tables.values()]
    note = f"SSDA903 XML return of {ctx.la_code} for {ctx.collection_year}"
    if ignored:
        note += "; also holds " + ", ".join(f"{n} {what}" for what, n in sorted(ignored.items())) + \
                ", not used by the warehouse, so not loaded"
    parsed[0].notes.append(note)
    return parsed


# --------------------------------------------------------------------------------------------------------
# A file
# --------------------------------------------------------------------------------------------------------
def parse_ssda903_file(path: Path, *, root: Path, home_la: str, key: str,
                       known_las: Iterable[str] | None = None, as_frame: bool = False,
                       memo: dict | None = None) -> list[ParsedTable]:
    """Every table of one landing file, pseudonymised, with the row rules applied.

    ``as_frame``: each table's rows as a DataFrame (``ParsedTable.frame``, inserted in one statement) rather
    than a list of dicts; the rules and the rows are the same. ``memo``: a dict kept for one load, in which
    the child keys made are remembered across its files."""
    ctx = return_context(path, root, home_la, known_las)
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile("the file is empty")
    if sniff_format(data) == "xml":
        return parse_xml(data, ctx, key, as_frame, memo)
    _fmt, sheets = read_tables(path)
    tables = []
    problems = []
    for sheet in sheets:
        if not any(any(c for c in row) for row in sheet.rows):
            continue
        try:
            tables.append(parse_sheet(sheet, ctx, key, as_frame, memo))
        except FileRejected as exc:
            if len(sheets) == 1:
                raise
            problems.append(f"sheet '{sheet.name}': {exc}")
    if not tables:
        raise FileRejected("; ".join(problems) or "no SSDA903 table in the file")
    if problems:
        tables[0].notes.extend(problems)
    return tables


# --------------------------------------------------------------------------------------------------------
# Across tables and files
# --------------------------------------------------------------------------------------------------------
def adoption_placement_starts(episodes: Iterable[dict]) -> dict[tuple[str, str, str], str]:
    """When each adopted child moved in with the adopters, per return: ``(la_code, collection_year, child_key)``
    -> ISO date.

    From the return's last closed episode ending in adoption (REC E11/E12), step back through the episodes
    of the same placement for adoption: while the episode began without a change of carer (RNE L, B or U)
    and the episode before it (ending on its DECOM) was also a placement for adoption. The DECOM where the
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
    adoption_placement_start`` (ISO text) per return with an adoption, from the episodes in ``episodes``.

    Where several episodes of a return tie (the same DEC), the order of the rows (file, then row) decides
    as the order of the rows decides in :func:`adoption_placement_starts`."""
    adopted, unchanged, placements = (_sql_list(ADOPTED_REC), _sql_list(CARER_UNCHANGED_RNE),
                                      _sql_list(ALL_ADOPTION_PLACEMENTS))
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
            select la_code, collection_year, child_key, decom, rne, _file_path, _row_number, 0 as step
            from adoption
            union all
            select walk.la_code, walk.collection_year, walk.child_key, before.decom, before.rne, before._file_path,
                before._row_number, walk.step + 1
            from walk
            join ended_on as before
                on before.la_code = walk.la_code and before.collection_year = walk.collection_year
                and before.child_key = walk.child_key and before.dec = walk.decom
            where walk.rne in ({unchanged}) and before.place in ({placements})
                and not (before._file_path = walk._file_path and before._row_number = walk._row_number)
        )
        select la_code, collection_year, child_key, arg_max(decom, step) as adoption_placement_start
        from walk
        group by la_code, collection_year, child_key
    """


def apply_cross_table_rules(con, run_id: str, now: dt.datetime | None = None) -> int:
    """Quarantine AD1 rows whose DATE_MATCH is after the adoption placement; returns how many were moved.

    The rows leave ``raw.ssda903_ad1`` for ``quality.rejected_rows`` (under their own file and row), and the
    file's ``quality.load_log`` row of this run is corrected. Set-based (:func:`placement_starts_sql`).
    """
    now = now or dt.datetime.now()
    con.execute(f"""
        create or replace temp table _ad1_after_placement as
        select ad1._file_path, ad1._row_number, ad1.date_match, starts.adoption_placement_start
        from raw.{AD1_TABLE.name} as ad1
        join ({placement_starts_sql()}) as starts using (la_code, collection_year, child_key)
        where ad1.date_match is not null and ad1.date_match <> ''
            and ad1.date_match > starts.adoption_placement_start
    """)
    try:
        moved = con.execute("select count(*) from _ad1_after_placement").fetchone()[0]
        if not moved:
            return 0
        con.execute("begin")
        try:
            con.execute(f"""
                delete from raw.{AD1_TABLE.name} as ad1 using _ad1_after_placement as bad
                where ad1._file_path = bad._file_path and ad1._row_number = bad._row_number""")
            con.execute(
                """insert into quality.rejected_rows
                       (file_path, row_number, column_name, value, reason, rejected_at, source, table_name, run_id)
                   select _file_path, _row_number, 'DATE_MATCH', date_match,
                       'DATE_MATCH ' || date_match || ' is after the child moved in with the adopters ('
                       || adoption_placement_start || ', the placement for adoption in this return''s Episodes): a '
                       || 'child is matched before the placement; correct DATE_MATCH or the episode dates',
                       ?, ?, ?, ?
                   from _ad1_after_placement
                   order by _file_path, _row_number""",
                [now, SOURCE, AD1_TABLE.name, run_id])
            con.execute(
                """update quality.load_log as log
                   set rows_loaded = log.rows_loaded - moved.n, rows_rejected = log.rows_rejected + moved.n
                   from (select _file_path, count(*) as n from _ad1_after_placement group by _file_path) as moved
                   where log.run_id = ? and log.source = ? and log.file_path = moved._file_path""",
                [run_id, SOURCE])
            settle_file_counts(con, run_id, SOURCE)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        return moved
    finally:
        con.execute("drop table if exists _ad1_after_placement")


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
    state = {path: (sha, status) for path, sha, status in con.execute(
        "select file_path, sha256, status from quality.file_state where source = ?", [SOURCE]).fetchall()}
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
    again = [p for p, (_sha, status) in state.items()
             if status == "unchanged" or _return_of(Path(p), folder, home_la) in returns]
    if again:
        con.execute("update quality.file_state set sha256 = 'reload' where source = ? and file_path in "
                    f"(select unnest(?::varchar[]))", [SOURCE, again])
    return True
