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
the first of the month; UPN and ``HOME_POST`` are not read at all, and ``PL_POST`` only to compare a child's
consecutive placements (DfE rules 434-436): it is never kept, nor shown in a reason.

Row rules (a row that breaks one is quarantined with file, row, column, value and reason, which starts with
the DfE validation rule's number where there is one: "DfE rule 217: ..."): dates dd/mm/yyyy; every code in the
DfE list of the return's collection year (``ssda903_code_lists.csv``: list, code, first and last collection
year, label, source; trimmed, upper-cased first, as the DfE validator does); flags written 0/1, TRUE/FALSE,
Y/N or Yes/No in any case read as 0/1; DEC not before DECOM (356); REC on a closed episode (148), ``E11``/
``E12`` only from a placement for adoption (390); A3/A5 begun with the same carers (217); a child's episodes
in a file in sequence (501, 142, 433) with RNE agreeing with what changed (434-436); one row per child (per child and DECOM for episodes, per child and
DATE_PLACED for PlacedAdoption) in a file.

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
import itertools
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
            self.last_year is None or year <= self.last_year)


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
            lists.setdefault(row["list"], {})[row["code"]] = CodeSpan(row["code"], *years, row["label"],
                                                                        row["dfe_source"])
    return lists


CODE_LISTS = load_code_lists()


def codes_valid_in(list_name: str, year: int) -> tuple[str, ...]:
    """The codes of a list valid in a collection year."""
    return tuple(code for code, span in CODE_LISTS[list_name].items() if span.valid_in(year))


def all_codes(list_name: str) -> tuple[str, ...]:
    """Every code a list has had in any year."""
    return tuple(CODE_LISTS[list_name])


def code_problem(list_name: str, value: str, year: int) -> str | None:
    """Why ``value`` is not a valid code of the list in the collection ``year`` (None when it is)."""
    rule, label = LIST_RULES[list_name]
    span = CODE_LISTS[list_name].get(value)
    if span is not None and span.valid_in(year):
        return None
    if span is None:
        valid = ", ".join(codes_valid_in(list_name, year))
        return f"DfE rule {rule}: {list_name} '{value}' is not a DfE {label} code (valid in {season(year)}: {valid})"
    bound = (f"valid from {season(span.first_year)}" if span.first_year is not None and year < span.first_year
             else f"valid until {season(span.last_year)}")
    return (f"DfE rule {rule}: {list_name} '{value}' is not valid in the {season(year)} collection ({bound}); "
            "check the return's year folder or the code")


def code_list_table() -> str:
    """The code lists as a Markdown table (docs/adoption.md shows it; a test keeps the two the same)."""
    lines = ["| list (DfE rule) | codes valid in every collection year | codes with years |", "|---|---|---|"]
    for name, (rule, label) in LIST_RULES.items():
        spans = CODE_LISTS[name].values()
        always = ", ".join(s.code for s in spans if s.first_year is None and s.last_year is None) or "-"
        dated = "; ".join(f"`{s.code}` {_years(s)}" for s in spans
                          if s.first_year is not None or s.last_year is not None) or "-"
        lines.append(f"| `{name}` {label} ({rule}) | {always} | {dated} |")
    return "\n".join(lines)


def _years(span: CodeSpan) -> str:
    if span.first_year is not None and span.last_year is not None:
        return f"{season(span.first_year)} to {season(span.last_year)}"
    return f"from {season(span.first_year)}" if span.first_year is not None else f"until {season(span.last_year)}"


RNE_CODES, LS_CODES, CIN_CODES, PLACE_CODES, REC_CODES = (
    all_codes(name) for name in ("RNE", "LS", "CIN", "PLACE", "REC"))


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


# DfE rule that a date column is a valid date (where the validator has one)
DATE_RULES = {"DECOM": "141", "DEC": "147", "DATE_INT": "112", "DATE_MATCH": "113", "DATE_PLACED": "115",
              "DATE_PLACED_CEASED": "116"}


def _date_rule(column: str, required: bool = False):
    cite = f"DfE rule {DATE_RULES[column]}: " if column in DATE_RULES else ""

    def rule(raw: str | None):
        value = _text(raw)
        if value is None:
            return None, ((column, None, f"{cite}{column} is blank; it is required") if required else None)
        try:
            return parse_date(value).isoformat(), None
        except ValueError as exc:
            return None, (column, value, f"{cite}{column}: {exc}")

    return rule


def _code_rule(column: str, year: int, required: bool = True):
    """A code of the DfE list named ``column``, valid in the return's collection ``year``."""
    rule, label = LIST_RULES[column]

    def check(raw: str | None):
        value = _code(raw)
        if value is None:
            return None, ((column, None, f"DfE rule {rule}: {column} ({label}) is blank; it is required")
                          if required else None)
        problem = code_problem(column, value, year)
        return (None, (column, raw, problem)) if problem else (value, None)

    return check


def _flag_rule(column: str, year: int):
    """A flag written 0/1, TRUE/FALSE, Y/N or Yes/No (any case) read as the DfE's 0 or 1, then checked against
    the column's list; a flag that cannot be read quarantines the row, naming the column."""
    rule, label = LIST_RULES[column]

    def check(raw: str | None):
        value = _text(raw)
        if value is None:
            return None, None
        flag = FLAG_WORDS.get(value.lower())
        if flag is None:
            return None, (column, raw, f"DfE rule {rule}: {column} '{value}' is not a flag ({label}): write 0 or 1 "
                                       "(also read: TRUE/FALSE, Y/N, Yes/No)")
        problem = code_problem(column, flag, year)
        return (None, (column, raw, problem)) if problem else (flag, None)

    return check


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
    year = ctx.collection_year
    out["child_key"], problems = _checked(cells.get("CHILD"), _child_rule(ctx.la_code, key, memo))
    checks.append(problems)
    for column, required in (("DECOM", True), ("DEC", False)):
        out[column.lower()], problems = _checked(cells.get(column), _date_rule(column, required))
        checks.append(problems)
    for column, required in (("RNE", True), ("LS", True), ("CIN", True), ("PLACE", True), ("REC", False),
                             ("PLACE_PROVIDER", False), ("REASON_PLACE_CHANGE", False)):
        out[column.lower()], problems = _checked(cells.get(column), _code_rule(column, year, required))
        checks.append(problems)
    out["urn"] = _mapped(cells.get("URN"), _text)
    checks.extend(_episode_rules(out, cells))
    # PL_POST is compared here and never kept (nor shown in a reason): the placement's postcode
    placements = list(zip(out["place"], out["place_provider"], _mapped(cells.get("PL_POST"), _code), out["urn"]))
    checks.append(sequence_problems(out, placements))
    return out, checks


def _episode_rules(out: dict[str, list], cells: _Cells) -> list[dict]:
    """The DfE rules on one episode: its dates in order (356), DEC with REC (148), adopted from a placement for
    adoption (390), a placement with current foster carers begun with the same carers (217)."""
    raw_decom, raw_dec, raw_rec, raw_rne = cells.get("DECOM"), cells.get("DEC"), cells.get("REC"), cells.get("RNE")
    decom, dec, rec, place, rne = out["decom"], out["dec"], out["rec"], out["place"], out["rne"]
    any_rec = _mapped(raw_rec, _code)
    return [{
        i: ("DEC", raw_dec[i], f"DfE rule 356: DEC {raw_dec[i].strip()} is before DECOM {raw_decom[i].strip()}: an "
                               "episode cannot end before it starts; correct either date")
        for i, (start, end) in enumerate(zip(decom, dec)) if start and end and end < start}, {
        i: ("REC", None, f"DfE rule 148: REC is blank although the episode ended (DEC {raw_dec[i].strip()}): give the "
                         "reason the episode ceased (X1 if a new episode began the same day)")
        for i, (end, code) in enumerate(zip(dec, any_rec)) if end and code is None}, {
        i: ("REC", raw_rec[i],
            f"DfE rule 390: REC {rec[i]} (adopted) ends an episode whose placement {place[i]} is not an adoption "
            f"placement ({', '.join(ALL_ADOPTION_PLACEMENTS)}): a child is adopted from a placement for adoption; "
            "correct PLACE or REC")
        for i, (end, code, placement) in enumerate(zip(dec, rec, place))
        if end and code in ADOPTED_REC and placement and placement not in ALL_ADOPTION_PLACEMENTS}, {
        i: ("RNE", raw_rne[i],
            f"DfE rule 217: PLACE {place[i]} (placed for adoption with the current foster carers) begins with RNE "
            f"{code}, which says the carers changed: it must be S, T or U (same carers); correct RNE or PLACE")
        for i, (start, code, placement) in enumerate(zip(decom, rne, place))
        if placement in WITH_CURRENT_FOSTER_CARERS and code and code not in ("S", "T", "U")
        and start and start >= RULE_217_FROM}]


RULE_217_FROM = "2015-04-01"  # DfE rule 217 applies to episodes beginning on or after 1 April 2015
CONTINUATION_RNE = ("P", "L", "T", "U", "B")


def sequence_problems(out: dict[str, list], placements: list[tuple] | None = None) -> dict[int, Problem]:
    """The DfE rules on a child's episodes in the file, in DECOM order: an episode may not begin before the one
    before it ended (501, 142); an episode continuing the one before (RNE P, L, T, U, B) begins the day it ended
    (433), and its RNE agrees with what changed (434, 435, 436). The later episode is the one quarantined.
    ``placements``: per row, what identifies the placement (PLACE, PLACE_PROVIDER, PL_POST, URN)."""
    by_child: dict[str, list[int]] = {}
    for i, (child, start) in enumerate(zip(out["child_key"], out["decom"])):
        if child and start:
            by_child.setdefault(child, []).append(i)
    decom, dec, rne = out["decom"], out["dec"], out["rne"]
    problems: dict[int, Problem] = {}
    for rows in by_child.values():
        rows.sort(key=lambda i: decom[i])  # stable: of the same episode twice, the first (the one kept) stays
        rows = [i for n, i in enumerate(rows) if n == 0 or decom[rows[n - 1]] != decom[i]]
        for before, i in itertools.pairwise(rows):
            ended = dec[before]
            if ended is None or ended > decom[i]:
                problems[i] = ("DECOM", decom[i], (
                    f"DfE rule {'142' if ended is None else '501'}: this episode begins on {decom[i]}, before the "
                    f"child's episode from {decom[before]} ended ({ended or 'still open'}): close the earlier "
                    "episode on this DECOM or correct the dates"))
            elif rne[i] in CONTINUATION_RNE and ended != decom[i]:
                problems[i] = ("RNE", rne[i], (
                    f"DfE rule 433: RNE {rne[i]} says this episode continues the one before, but that episode "
                    f"ended on {ended}, not on this DECOM {decom[i]}: use RNE S for a new period of care, or "
                    "correct the dates"))
            elif placements is not None and (problem := _what_changed(out, placements, before, i)):
                problems[i] = problem
    return problems


# RNE -> (DfE rule, the legal status changes, the placement changes)
RNE_CHANGES = {"L": ("434", True, False), "P": ("435", False, True), "T": ("435", False, True),
               "U": ("436", True, True), "B": ("436", True, True)}


def _what_changed(out: dict[str, list], placements: list[tuple], before: int, i: int) -> Problem | None:
    """Whether RNE agrees with what changed from the episode before: the legal status (LS), the placement (any of
    PLACE, PLACE_PROVIDER, PL_POST, URN)."""
    code = out["rne"][i]
    if code not in RNE_CHANGES or out["ls"][i] is None or out["ls"][before] is None:
        return None
    rule, ls_changes, placement_changes = RNE_CHANGES[code]
    ls_changed = out["ls"][i] != out["ls"][before]
    placement_changed = placements[i] != placements[before]
    if (ls_changed, placement_changed) == (ls_changes, placement_changes):
        return None
    said = {"L": "the legal status changed and not the placement", "P": "the placement changed and not the "
            "legal status", "T": "the placement changed and not the legal status", "U": "the legal status and the "
            "placement changed", "B": "the legal status and the placement changed"}[code]
    found = (f"LS {'changed' if ls_changed else 'is unchanged'} ({out['ls'][before]} to {out['ls'][i]}) and the "
             f"placement {'changed' if placement_changed else 'is unchanged'} (PLACE, PLACE_PROVIDER, PL_POST, URN)")
    return ("RNE", code, f"DfE rule {rule}: RNE {code} says {said}, but {found}: correct RNE or the episode")


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
    out["foster_care"], problems = _checked(cells.get("FOSTER_CARE"), _flag_rule("FOSTER_CARE", ctx.collection_year))
    checks.append(problems)
    for column in ("NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"):
        out[column.lower()], problems = _checked(cells.get(column), _code_rule(column, ctx.collection_year, False))
        checks.append(problems)
    return out, checks


def placed_adoption_columns(cells: _Cells, ctx: ReturnContext, key: str, memo: dict | None = None
                            ) -> tuple[dict[str, list], list[dict]]:
    out, checks = _child_and_birth_month(cells, ctx, key, memo)
    for column, required in (("DATE_PLACED", True), ("DATE_PLACED_CEASED", False)):
        out[column.lower()], problems = _checked(cells.get(column), _date_rule(column, required))
        checks.append(problems)
    out["reason_placed_ceased"], problems = _checked(
        cells.get("REASON_PLACED_CEASED"), _code_rule("REASON_PLACED_CEASED", ctx.collection_year, False))
    checks.append(problems)
    raw_placed, raw_ceased = cells.get("DATE_PLACED"), cells.get("DATE_PLACED_CEASED")
    checks.append({
        i: ("DATE_PLACED_CEASED", raw_ceased[i], f"DfE rule 522: DATE_PLACED_CEASED {raw_ceased[i].strip()} is before "
                                                 f"DATE_PLACED "
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
    EPISODES_TABLE.name: ("CHILD", "DECOM", "DEC", "RNE", "LS", "CIN", "PLACE", "REC", "PLACE_PROVIDER", "PL_POST",
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
                [now, SOURCE, AD1_TABLE.name, run_id])
            con.execute(
                """update quality.load_log as log
                   set rows_loaded = log.rows_loaded - moved.n, rows_rejected = log.rows_rejected + moved.n
                   from (select _file_path, count(distinct _row_number) as n from _ad1_broken group by _file_path)
                       as moved
                   where log.run_id = ? and log.source = ? and log.file_path = moved._file_path""",
                [run_id, SOURCE])
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
