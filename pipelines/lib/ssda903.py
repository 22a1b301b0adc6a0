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

from pipelines.lib.ingest import FileRejected, RawTable, discover_files, ensure_quality_schema, sha256_file
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


class _Row:
    """Collects the rejections of one source row (every broken rule is reported, not just the first)."""

    def __init__(self, location: int, where: str = ""):
        self.location = location
        self.where = where  # XML: which element, since XML has no row numbers
        self.rejections: list[Rejection] = []

    def reject(self, column: str, value: str | None, reason: str) -> None:
        self.rejections.append(Rejection(self.location, column, value, f"{self.where}{reason}"))

    def date(self, fields: dict, column: str, required: bool = False) -> str | None:
        value = _text(fields.get(column))
        if value is None:
            if required:
                self.reject(column, None, f"{column} is blank; it is required")
            return None
        try:
            return parse_date(value).isoformat()
        except ValueError as exc:
            self.reject(column, value, f"{column}: {exc}")
            return None

    def code(self, fields: dict, column: str, required: bool = True) -> str | None:
        value = _code(fields.get(column))
        allowed, label = CODE_LISTS[column]
        if value is None:
            if required:
                self.reject(column, None, f"{column} ({label}) is blank; it is required")
            return None
        if value not in allowed:
            self.reject(column, fields.get(column),
                        f"{column} '{value}' is not a DfE {label} code (valid: {', '.join(allowed)})")
            return None
        return value

    def child(self, fields: dict, la_code: str, key: str) -> str | None:
        value = _text(fields.get("CHILD"))
        if value is None:
            self.reject("CHILD", None, "CHILD (the child's identifier) is blank; every row needs it")
            return None
        return child_key(la_code, value, key)


# --------------------------------------------------------------------------------------------------------
# Records: one function per table, shared by the CSV and XML readers
# --------------------------------------------------------------------------------------------------------
def _context(ctx: ReturnContext, key_value: str | None) -> dict:
    return {"la_code": ctx.la_code, "collection_year": str(ctx.collection_year), "child_key": key_value}


def header_record(fields: dict, row: _Row, ctx: ReturnContext, key: str) -> dict:
    record = _context(ctx, row.child(fields, ctx.la_code, key))
    record["sex"] = _text(fields.get("SEX"))
    record["birth_month"] = month_of(row.date(fields, "DOB", required=True))
    record["ethnic"] = _code(fields.get("ETHNIC"))
    record["mother"] = _text(fields.get("MOTHER"))
    record["mc_birth_month"] = month_of(row.date(fields, "MC_DOB"))
    return record


def episode_record(fields: dict, row: _Row, ctx: ReturnContext, key: str) -> dict:
    record = _context(ctx, row.child(fields, ctx.la_code, key))
    record["decom"] = row.date(fields, "DECOM", required=True)
    record["dec"] = row.date(fields, "DEC")
    for column in ("RNE", "LS", "CIN", "PLACE"):
        record[column.lower()] = row.code(fields, column)
    record["rec"] = row.code(fields, "REC", required=False)
    record["place_provider"] = _code(fields.get("PLACE_PROVIDER"))
    record["reason_place_change"] = _code(fields.get("REASON_PLACE_CHANGE"))
    record["urn"] = _text(fields.get("URN"))
    if record["decom"] and record["dec"] and record["dec"] < record["decom"]:
        row.reject("DEC", fields.get("DEC"),
                   f"DEC {fields['DEC'].strip()} is before DECOM {fields['DECOM'].strip()}: an episode cannot end "
                   "before it starts; correct either date")
    if record["dec"] and _code(fields.get("REC")) is None:
        row.reject("REC", None, f"REC is blank although the episode ended (DEC {fields['DEC'].strip()}): give the "
                                "reason the episode ceased (X1 if a new episode began the same day)")
    if record["dec"] and record["rec"] in ADOPTED_REC and record["place"] and \
            record["place"] not in ALL_ADOPTION_PLACEMENTS:
        row.reject("REC", fields.get("REC"),
                   f"REC {record['rec']} (adopted) ends an episode whose placement {record['place']} is not an "
                   f"adoption placement ({', '.join(ALL_ADOPTION_PLACEMENTS)}): a child is adopted from a placement "
                   "for adoption; correct PLACE or REC")
    return record


def ad1_record(fields: dict, row: _Row, ctx: ReturnContext, key: str) -> dict:
    record = _context(ctx, row.child(fields, ctx.la_code, key))
    record["birth_month"] = month_of(row.date(fields, "DOB"))
    record["date_int"] = row.date(fields, "DATE_INT")
    record["date_match"] = row.date(fields, "DATE_MATCH")
    foster_care = _text(fields.get("FOSTER_CARE"))
    if foster_care is not None and foster_care not in FOSTER_CARE_CODES:
        row.reject("FOSTER_CARE", fields.get("FOSTER_CARE"),
                   f"FOSTER_CARE '{foster_care}' is not 0 (not adopted by the foster carers) or 1 (adopted by them)")
        foster_care = None
    record["foster_care"] = foster_care
    record["nb_adoptr"] = _text(fields.get("NB_ADOPTR"))
    record["sex_adoptr"] = _code(fields.get("SEX_ADOPTR"))
    record["ls_adoptr"] = _code(fields.get("LS_ADOPTR"))
    return record


def placed_adoption_record(fields: dict, row: _Row, ctx: ReturnContext, key: str) -> dict:
    record = _context(ctx, row.child(fields, ctx.la_code, key))
    record["birth_month"] = month_of(row.date(fields, "DOB"))
    record["date_placed"] = row.date(fields, "DATE_PLACED", required=True)
    record["date_placed_ceased"] = row.date(fields, "DATE_PLACED_CEASED")
    record["reason_placed_ceased"] = _code(fields.get("REASON_PLACED_CEASED"))
    if record["date_placed"] and record["date_placed_ceased"] and \
            record["date_placed_ceased"] < record["date_placed"]:
        row.reject("DATE_PLACED_CEASED", fields.get("DATE_PLACED_CEASED"),
                   f"DATE_PLACED_CEASED {fields['DATE_PLACED_CEASED'].strip()} is before DATE_PLACED "
                   f"{fields['DATE_PLACED'].strip()}: correct either date")
    return record


RECORD_BUILDERS = {
    EPISODES_TABLE.name: (episode_record, ("child_key", "decom"), "episode (same child and DECOM)"),
    HEADER_TABLE.name: (header_record, ("child_key",), "Header row for the same child"),
    AD1_TABLE.name: (ad1_record, ("child_key",), "AD1 row for the same child"),
    PLACED_ADOPTION_TABLE.name: (placed_adoption_record, ("child_key", "date_placed"),
                                 "PlacedAdoption row (same child and DATE_PLACED)"),
}


class _TableBuilder:
    """Accumulates the rows of one raw table from one file, with the duplicate rule."""

    def __init__(self, table: RawTable, ctx: ReturnContext, key: str, sheet: str | None):
        self.build, self.key_columns, self.what = RECORD_BUILDERS[table.name]
        self.parsed = ParsedTable(table.name, sheet=sheet)
        self.ctx, self.key = ctx, key
        self.seen: dict[tuple, int] = {}

    def add(self, fields: dict, location: int, where: str = "", seen_as: str = "row") -> None:
        self.parsed.rows_read += 1
        row = _Row(location, where)
        record = self.build(fields, row, self.ctx, self.key)
        if not row.rejections:
            dup_key = tuple(record[c] for c in self.key_columns)
            if dup_key in self.seen:
                row.reject("CHILD", record["child_key"],
                           f"duplicate {self.what}: {seen_as} {self.seen[dup_key]} of this file is kept")
            else:
                self.seen[dup_key] = location
        if row.rejections:
            self.parsed.rejections.extend(row.rejections)
            return
        record["_row_number"] = location
        self.parsed.rows.append(record)


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


def parse_sheet(sheet: Sheet, ctx: ReturnContext, key: str) -> ParsedTable:
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
    builder = _TableBuilder(spec.raw, ctx, key, sheet.name)
    for number, row in data_rows:
        fields = {col: (row[i] if i < len(row) else None) for col, i in index.items()}
        builder.add(fields, number)
    builder.parsed.notes.append(f"SSDA903 {spec.name} of {ctx.la_code} for {ctx.collection_year}")
    return builder.parsed


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


def parse_xml(data: bytes, ctx: ReturnContext, key: str) -> list[ParsedTable]:
    """The XML return: Header, Episodes, AD1 and PlacedAdoption rows; the other sub-tables counted in a note."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FileRejected(f"the XML cannot be read ({exc}); export the return again") from None
    if _tag(root) != XML_ROOT:
        raise FileRejected(f"an XML file whose root element is <{root.tag}>, not <{XML_ROOT}>: not an SSDA903 return")
    builders = {t.name: _TableBuilder(t, ctx, key, f"XML {tag}") for t, tag in (
        (HEADER_TABLE, "CHILD"), (EPISODES_TABLE, "EPISODE"), (AD1_TABLE, "CHILD (AD1)"),
        (PLACED_ADOPTION_TABLE, "AD_PLACED"))}
    ignored: dict[str, int] = {}
    episode_number = placed_number = 0
    for child_number, child in enumerate((c for c in root if _tag(c) == "CHILD"), start=1):
        header = next((h for h in child if _tag(h) == "HEADER"), None)
        fields = _leaves(child)  # HEADER is a singleton sub-element: its values are found through it
        where = f"<CHILD> {child_number}: "
        builders[HEADER_TABLE.name].add(fields, child_number, where, seen_as="<CHILD>")
        if any(_text(fields.get(f)) for f in AD1_FIELDS):
            builders[AD1_TABLE.name].add(fields, child_number, where, seen_as="<CHILD>")
        for tag in ("DUC", "IN_TOUCH"):
            if _text(fields.get(tag)):
                ignored[XML_IGNORED[tag]] = ignored.get(XML_IGNORED[tag], 0) + 1
        for sub in (header if header is not None else []):
            tag = _tag(sub)
            if tag == "AD_PLACED":
                placed_number += 1
                builders[PLACED_ADOPTION_TABLE.name].add(
                    {**fields, **_leaves(sub)}, placed_number, f"{where}<AD_PLACED> {placed_number}: ",
                    seen_as="<AD_PLACED>")
            elif len(sub) and XML_IGNORED.get(tag):
                ignored[XML_IGNORED[tag]] = ignored.get(XML_IGNORED[tag], 0) + 1
        for number_in_child, episode in enumerate((e for e in child if _tag(e) == "EPISODE"), 1):
            episode_number += 1
            builders[EPISODES_TABLE.name].add(
                {**{"CHILD": fields.get("CHILD")}, **_leaves(episode)}, episode_number,
                f"{where}<EPISODE> {number_in_child} (episode {episode_number} of the file): ", seen_as="<EPISODE>")
    tables = [b.parsed for b in builders.values()]
    note = f"SSDA903 XML return of {ctx.la_code} for {ctx.collection_year}"
    if ignored:
        note += "; also holds " + ", ".join(f"{n} {what}" for what, n in sorted(ignored.items())) + \
                ", not used by the warehouse, so not loaded"
    tables[0].notes.append(note)
    return tables


# --------------------------------------------------------------------------------------------------------
# A file
# --------------------------------------------------------------------------------------------------------
def parse_ssda903_file(path: Path, *, root: Path, home_la: str, key: str,
                       known_las: Iterable[str] | None = None) -> list[ParsedTable]:
    """Every table of one landing file, pseudonymised, with the row rules applied."""
    ctx = return_context(path, root, home_la, known_las)
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile("the file is empty")
    if sniff_format(data) == "xml":
        return parse_xml(data, ctx, key)
    _fmt, sheets = read_tables(path)
    tables = []
    problems = []
    for sheet in sheets:
        if not any(any(c for c in row) for row in sheet.rows):
            continue
        try:
            tables.append(parse_sheet(sheet, ctx, key))
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


def apply_cross_table_rules(con, run_id: str, now: dt.datetime | None = None) -> int:
    """Quarantine AD1 rows whose DATE_MATCH is after the adoption placement; returns how many were moved.

    The rows leave ``raw.ssda903_ad1`` for ``quality.rejected_rows`` (under their own file and row), and the
    file's ``quality.load_log`` row of this run is corrected.
    """
    now = now or dt.datetime.now()
    episodes = con.execute(
        "select la_code, collection_year, child_key, decom, dec, rne, place, rec from raw.ssda903_episodes"
    ).df().to_dict("records")
    ad1 = con.execute(
        "select la_code, collection_year, child_key, date_match, _file_path, _row_number from raw.ssda903_ad1"
    ).df().to_dict("records")
    bad = date_match_violations(ad1, adoption_placement_starts(_none_for_nan(episodes)))
    if not bad:
        return 0
    con.execute("begin")
    try:
        for row in bad:
            con.execute("delete from raw.ssda903_ad1 where _file_path = ? and _row_number = ?",
                        [row["_file_path"], int(row["_row_number"])])
            con.execute(
                "insert into quality.rejected_rows values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [row["_file_path"], int(row["_row_number"]), "DATE_MATCH", row["date_match"],
                 f"DATE_MATCH {row['date_match']} is after the child moved in with the adopters "
                 f"({row['adoption_placement_start']}, the placement for adoption in this return's Episodes): a "
                 "child is matched before the placement; correct DATE_MATCH or the episode dates",
                 now, SOURCE, AD1_TABLE.name, run_id])
            con.execute(
                "update quality.load_log set rows_loaded = rows_loaded - 1, rows_rejected = rows_rejected + 1 "
                "where run_id = ? and source = ? and file_path = ?", [run_id, SOURCE, row["_file_path"]])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return len(bad)


def _none_for_nan(rows: list[dict]) -> list[dict]:
    return [{k: (None if v != v else v) for k, v in r.items()} for r in rows]  # NaN != NaN


CONTEXT_TABLE = "ssda903_ingest_context"


def key_fingerprint(key: str) -> str:
    """A fingerprint of the pseudonymisation key (not the key): tells whether the key has changed."""
    return hmac.new(key.encode(), b"csw-ssda903-key-fingerprint", hashlib.sha256).hexdigest()[:16]


def mark_for_reload(con, folder: Path, home_la: str, key: str) -> bool:
    """Make the next load re-read every SSDA903 file if anything changed; returns whether it will.

    The AD1 rule joins the Episodes of the same return, which may be another file, and the child_key
    depends on the home LA and the key: so when a file is added, changed or removed, or the home LA or the
    key changes, every file is read again (the returns are small), and the rule is applied afresh.
    """
    ensure_quality_schema(con)
    con.execute(f"create table if not exists raw.{CONTEXT_TABLE} (home_la varchar, key_fingerprint varchar)")
    context = (home_la, key_fingerprint(key))
    stored = con.execute(f"select home_la, key_fingerprint from raw.{CONTEXT_TABLE}").fetchall()
    state = dict(con.execute(
        "select file_path, sha256 from quality.file_state where source = ?", [SOURCE]).fetchall())
    current = {str(p): None for p in discover_files(folder)}
    changed = [tuple(r) for r in stored] != [context] or set(current) != set(state)
    if not changed:
        changed = any(sha256_file(Path(p)) != state[p] for p in current)
    if changed:
        con.execute("update quality.file_state set sha256 = 'reload' where source = ?", [SOURCE])
        con.execute(f"delete from raw.{CONTEXT_TABLE}")
        con.execute(f"insert into raw.{CONTEXT_TABLE} values (?, ?)", list(context))
    return changed
