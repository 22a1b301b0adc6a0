"""Case-file audits: the exports of a council's case-file audit tool (raw/case_audits/).

Two tables, each recognised by its header, never by file or sheet name: **audits** (one row per
audited case, with optional theme grades in any ``grade_*`` columns) and **actions** (follow-up
actions raised by audits). A CSV holds one of them; a workbook may hold both as two sheets.

What reaches the raw tables:
- ``child_id`` never: it becomes ``child_key`` (:func:`pipelines.lib.ingest.pseudonymise.child_key` of the
  home LA code and the id, the same function and inputs as SSDA903), and the home LA code is kept
  beside it as ``la_code``. A quarantined ``child_id`` is written as ``<redacted>``.
- ``description`` (free text that may hold personal data) never: it is not read at all.
- Theme grades in long form: one ``case_audit_theme_grades`` row per non-blank ``grade_*`` cell.

Rules applied per file (a breaking row is quarantined with a reason; the others load): a date
that does not exist, an audit dated in the future, a completed date in the future, an unknown
case type or grade, a Y/N flag that is neither, a required value left blank, a ``child_id`` longer
than 40 characters (written ``<redacted>``), an ``audit_id`` or ``action_id`` repeated in the file
(the first is kept). The rules that need every loaded file (an action whose audit does not exist,
an action completed before its audit) are applied after loading, in dbt
(``int_case_audit_actions_validated``), and written to ``quality.rejected_rows`` by
:func:`record_cross_file_rejections`.

How (:func:`parse_case_audit_files`, the batch parser of the ingest): every changed file is landed in one
temporary table of text rows (CSVs by DuckDB's own reader in one call, see :mod:`pipelines.lib.ingest.native_csv`;
workbook sheets by the Python reader, in the same shape), the header of each sheet is found and classified
in SQL, the declared columns are picked by position in SQL, and every row rule above is a SQL statement over
all the files at once; each distinct date text is parsed once, and each distinct ``child_id`` is keyed once
(an HMAC, in Python, over the distinct values only), joined back in SQL. The ``description`` field stays in
the temporary landing table and is never selected. :func:`parse_case_audit_file` runs the same SQL on one
file and hands back :class:`ParsedTable` objects (tests, per-file callers).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.lib.ingest.batch import BatchOutcome, FileRead
from pipelines.lib.ingest.load import FileRejected, RawTable, settle_file_counts
from pipelines.lib.ingest.native_csv import (
    BLANK,
    columns_sql,
    land_csv_files,
    land_rows,
    quote_ident,
)
from pipelines.lib.ingest.pseudonymise import child_key
from pipelines.lib.ingest.readers import (
    Sheet,
    UnreadableFile,
    normalise_header,
    read_tables,
    read_workbook,
    sniff_format,
)
from pipelines.lib.ingest.rules import ParsedTable, Rejection

SOURCE = "case_audits"
REDACTED = "<redacted>"
MAX_CHILD_ID_LENGTH = 40

CASE_TYPES = {
    "EH": "early help",
    "CIN": "child in need",
    "CP": "child protection plan",
    "CLA": "looked after",
    "CL": "care leaver",
}
# Canonical spelling of every accepted grade word (the scale of parsing.GRADE_RANKS).
GRADE_LABELS = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires improvement": "Requires improvement",
    "requires improvement to be good": "Requires improvement to be good",
    "adequate": "Adequate",
    "inadequate": "Inadequate",
}
YES = {"y", "yes", "true", "1"}
NO = {"n", "no", "false", "0"}

AUDIT_COLUMNS = (
    "audit_id",
    "child_id",
    "audit_date",
    "team",
    "case_type",
    "auditor_type",
    "overall_grade",
    "cp_plan_needed",
    "assessment_up_to_date",
)
AUDIT_REQUIRED = ("audit_id", "child_id", "audit_date", "team", "case_type", "overall_grade", "cp_plan_needed")
ACTION_COLUMNS = ("action_id", "audit_id", "action_type", "owner_team", "due_date", "completed_date", "description")
ACTION_REQUIRED = ("action_id", "audit_id", "due_date", "completed_date")
# Columns that tell the two tables apart (audit_id is in both).
AUDIT_MARKERS = set(AUDIT_COLUMNS) - {"audit_id"}
ACTION_MARKERS = set(ACTION_COLUMNS) - {"audit_id"}
GRADE_PREFIX = "grade_"
NOT_READ = {"description"}

AUDITS_TABLE = RawTable(
    "case_audit_rows",
    (
        "audit_id",
        "child_key",
        "la_code",
        "pseudonym_check",
        "audit_date",
        "team",
        "case_type",
        "auditor_type",
        "overall_grade",
        "cp_plan_needed",
        "assessment_up_to_date",
    ),
)
THEMES_TABLE = RawTable("case_audit_theme_grades", ("audit_id", "theme", "grade"))
ACTIONS_TABLE = RawTable(
    "case_audit_action_rows",
    ("action_id", "audit_id", "action_type", "owner_team", "due_date", "completed_date"),
)
TABLES = (AUDITS_TABLE, THEMES_TABLE, ACTIONS_TABLE)
# The table_name of the rows that the cross-file rules keep out of the mart (quality.rejected_rows).
CROSS_FILE_TABLE = "marts.case_audit_actions"
CROSS_FILE_MODEL = ("intermediate", "int_case_audit_actions_validated")

_NON_WORD = re.compile(r"[^0-9a-z]+")


class ThemeGrades(ParsedTable):
    """Theme grades of the audits of one sheet: counted with their audit row, not as rows of their own."""

    @property
    def rows_loaded(self) -> int:
        return 0

    @property
    def rows_rejected(self) -> int:
        return 0


def column_key(header: str | None) -> str:
    """A header cell as a column name: ``Audit ID`` and ``audit-id`` both give ``audit_id``."""
    return _NON_WORD.sub("_", normalise_header(header)).strip("_")


def pseudonym_check(home_la: str, key: str) -> str:
    """A short fingerprint of (home LA, key) stored with the keys, to notice when either changes."""
    return child_key(home_la, "\x00pseudonym-check", key)[:12]


def classify_header(row: list[str | None]) -> str | None:
    """``audits``, ``actions`` or None for a row of header cells (what :data:`_HEADERS_SQL` does in SQL)."""
    names = {column_key(c) for c in row if c}
    if "audit_id" not in names and "action_id" not in names:
        return None
    audit_hits = len(names & AUDIT_MARKERS) + (1 if any(n.startswith(GRADE_PREFIX) for n in names) else 0)
    action_hits = len(names & ACTION_MARKERS)
    if max(audit_hits, action_hits) < 2:
        return None
    return "actions" if action_hits > audit_hits else "audits"


# --- landing: every file's rows as text in one table (native_csv's shape) --------------------------------------

LANDED = "_ca_landed"
SHEETS = "_ca_sheets"
HEADERS = "_ca_headers"


def _file_format(path: Path) -> str:
    """``csv``, ``xlsx`` or ``ods`` from the file's first bytes; UnreadableFile (the reader's reason) otherwise."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    data = path.read_bytes() if head[:4] == b"PK\x03\x04" or not head.strip() else head
    if not data.strip():
        raise UnreadableFile("the file is empty")
    fmt = sniff_format(data)
    if fmt not in ("csv", "xlsx", "ods"):
        read_tables(path)  # raises the reader's reason for every other format
    return fmt


def _land_sheet(con, path: Path, sheet: Sheet) -> None:
    """One workbook sheet's rows (read by the Python reader) landed in the CSV landing shape."""
    land_rows(con, LANDED, path, sheet.name, sheet.rows)


def land_files(con, paths: Sequence[Path]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Every file's rows in :data:`LANDED` (CSVs by DuckDB in one call, workbook sheets by the Python reader),
    the sheet order in :data:`SHEETS`, blank rows dropped. Returns (refused file -> reason, file -> sheet names)."""
    refused: dict[str, str] = {}
    sheet_names: dict[str, list[str]] = {}
    csvs, books = [], []
    for path in paths:
        try:
            if _file_format(path) == "csv":
                csvs.append(path)
                sheet_names[str(path)] = [path.stem]
            else:
                books.append((path, read_workbook(path)))
        except UnreadableFile as exc:
            refused[str(path)] = str(exc)
    land_csv_files(con, csvs, LANDED)
    order = [(str(p), None, 0) for p in csvs]
    for path, sheets in books:
        sheet_names[str(path)] = [s.name for s in sheets]
        for i, sheet in enumerate(sheets):
            _land_sheet(con, path, sheet)
            order.append((str(path), sheet.name, i))
    con.execute(
        f"create or replace temp table {quote_ident(SHEETS)} (_file_path varchar, _sheet varchar, _sheet_order integer)"
    )
    if order:
        con.executemany(f"insert into {quote_ident(SHEETS)} values (?, ?, ?)", order)
    # A blank row has no text in any field; the first field's test spares the join of the others for most rows.
    con.execute(
        f"delete from {quote_ident(LANDED)} where coalesce(trim(fields[1], ?), '') = '' "
        "and coalesce(trim(array_to_string(fields, ''), ?), '') = ''",
        [BLANK, BLANK],
    )
    return refused, sheet_names


# --- headers: which table each sheet holds, and where its columns are ------------------------------------------

_KEY_SQL = "trim(regexp_replace(lower(replace(coalesce(f, ''), '\ufeff', '')), '[^0-9a-z]+', '_', 'g'), '_')"
_HEADERS_SQL = f"""
select _file_path, _sheet, arg_min(_row_number, _row_number) as _header_row, arg_min(kind, _row_number) as kind,
       arg_min(keys, _row_number) as keys, arg_min(fields, _row_number) as fields
from (
    select *, case when (list_contains(names, 'audit_id') or list_contains(names, 'action_id'))
                    and greatest(audit_hits, action_hits) >= 2
               then case when action_hits > audit_hits then 'actions' else 'audits' end end as kind
    from (
        select *, len(list_intersect(names, ?::varchar[]))
                  + (len(list_filter(names, n -> starts_with(n, '{GRADE_PREFIX}'))) > 0)::int as audit_hits,
               len(list_intersect(names, ?::varchar[])) as action_hits
        from (select *, list_distinct(list_filter(keys, k -> k <> '')) as names
              from (select *, list_transform(fields, f -> {_KEY_SQL}) as keys from _ca_top))))
where kind is not null
group by _file_path, _sheet"""


def find_headers(con, max_scan: int = 30) -> None:
    """:data:`HEADERS`: per file and sheet, the first row within ``max_scan`` that is an audits or actions header
    (see :func:`classify_header`), its kind, its column keys and its cells."""
    con.execute(
        f"create or replace temp table _ca_top as select * from {quote_ident(LANDED)} where _row_number <= ?",
        [max_scan],
    )
    try:
        con.execute(
            f"create or replace temp table {quote_ident(HEADERS)} as {_HEADERS_SQL}",
            [sorted(AUDIT_MARKERS), sorted(ACTION_MARKERS)],
        )
    finally:
        con.execute("drop table if exists _ca_top")


def header_problems(con, sheet_names: dict[str, list[str]]) -> dict[str, str]:
    """File -> why it is rejected whole: a sheet that looks like a table but lacks a required column (the first
    such sheet), or no table at all (the file's cells never echoed: they may start with a child's identifier)."""
    rows = con.execute(
        f"select h._file_path, h._sheet, h.kind, h.keys, h.fields from {quote_ident(HEADERS)} h join "
        f"{quote_ident(SHEETS)} s on h._file_path = s._file_path and h._sheet is not distinct from s._sheet "
        "order by h._file_path, s._sheet_order"
    ).fetchall()
    problems: dict[str, str] = {}
    for file, sheet, kind, keys, fields in rows:
        required = AUDIT_REQUIRED if kind == "audits" else ACTION_REQUIRED
        missing = [c for c in required if c not in keys]
        if missing and file not in problems:
            found = ", ".join(k for k, f in zip(keys, fields) if f and f.strip()) or "none"
            name = sheet if sheet is not None else Path(file).stem
            problems[file] = (
                f"sheet '{name}' looks like the case-audit {kind} table but lacks required column(s) "
                f"{', '.join(missing)}; columns found: {found}"
            )
    with_table = {r[0] for r in rows}
    for file, names in sheet_names.items():
        if file not in with_table:
            problems[file] = (
                "not a case-audit export: no sheet has an audits header (audit_id, child_id, audit_date, team, "
                "case_type, overall_grade, cp_plan_needed, ...) or an actions header (action_id, audit_id, "
                f"due_date, completed_date, ...) in its first 30 rows; sheets read: {', '.join(names)}"
            )
    return problems


# --- cells: the declared columns of every data row, as the old reader saw them ---------------------------------

_SPACES = r"[\s\x{a0}\x{b}\x{1c}-\x{1f}\x{85}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]+"


# A text that needs no cleaning is printable ASCII without outer or double spaces (most cells): one cheap test.
_NEEDS_CLEANING = "^ |  | $|[^ -~]"


def _clean(column: str) -> str:
    """SQL: the text of ``column`` with runs of white space made one space and outer spaces gone; NULL if blank
    (what the reader's ``" ".join(cell.split())`` did)."""
    col = quote_ident(column)
    return (
        f"case when regexp_matches({col}, '{_NEEDS_CLEANING}') then "
        f"nullif(trim(regexp_replace({col}, '{_SPACES}', ' ', 'g')), '') else nullif({col}, '') end"
    )


def pick_cells(con, kind: str, columns: Sequence[str], id_column: str, target: str) -> None:
    """``target``: the cleaned ``columns`` of every data row under the ``kind`` headers, with the sheet order."""
    positions = ", ".join(f"list_position(keys, ?) as {quote_ident(c)}" for c in columns)
    con.execute(
        f"create or replace temp table _ca_positions as select _file_path, _sheet, _header_row, {positions} "
        f"from {quote_ident(HEADERS)} where kind = ?",
        [*columns, kind],
    )
    cleaned = ", ".join(f"{_clean(c)} as {quote_ident(c)}" for c in columns)
    con.execute(
        f"create or replace temp table {quote_ident(target)} as select c._file_path, c._sheet, c._row_number, "
        f"s._sheet_order, {cleaned}, {_clean(id_column)} as _id "
        f"from ({columns_sql(LANDED, '_ca_positions', columns)}) c join "
        f"{quote_ident(SHEETS)} s on c._file_path = s._file_path and c._sheet is not distinct from s._sheet"
    )
    con.execute("drop table _ca_positions")


def pick_theme_cells(con) -> None:
    """``_ca_theme_cells``: every non-blank ``grade_*`` cell of the audit rows, one row per row and theme (the
    first column of each name counts, as for every column), in header order."""
    con.execute(
        f"""create or replace temp table _ca_themes as
        select _file_path, _sheet, _header_row, substr(k, {len(GRADE_PREFIX) + 1}) as theme, i as _position
        from (select _file_path, _sheet, _header_row, keys, unnest(keys) as k, generate_subscripts(keys, 1) as i
              from {quote_ident(HEADERS)} where kind = 'audits')
        where starts_with(k, ?) and list_position(keys, k) = i""",
        [GRADE_PREFIX],
    )
    con.execute(f"""create or replace temp table _ca_theme_cells as
        select * from (
            select _file_path, _sheet, _row_number, theme, _position, {_clean("value")} as value
            from (select l._file_path, l._sheet, l._row_number, t.theme, t._position, l.fields[t._position] as value
                  from {quote_ident(LANDED)} l join _ca_themes t
                  on l._file_path = t._file_path and l._sheet is not distinct from t._sheet
                  where l._row_number > t._header_row))
        where value is not null""")


# --- the row rules, in SQL --------------------------------------------------------------------------------------

_ISO = r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
_DMY = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$"
# parsing.parse_date in SQL: [year, month, day] of a date written yyyy-mm-dd, dd/mm/yyyy or dd/mm/yy (20yy).
_MACROS = (
    f"""create or replace temp macro _ca_ymd(v) as case
        when regexp_matches(v, '{_ISO}') then [regexp_extract(v, '{_ISO}', 1)::int,
            regexp_extract(v, '{_ISO}', 2)::int, regexp_extract(v, '{_ISO}', 3)::int]
        when regexp_matches(v, '{_DMY}') then [
            regexp_extract(v, '{_DMY}', 3)::int + case when length(regexp_extract(v, '{_DMY}', 3)) = 2
                                                       then 2000 else 0 end,
            regexp_extract(v, '{_DMY}', 2)::int, regexp_extract(v, '{_DMY}', 1)::int] end""",
    """create or replace temp macro _ca_date(ymd) as case when ymd[1] >= 1
        then try_cast(format('{:04d}-{:02d}-{:02d}', ymd[1], ymd[2], ymd[3]) as date) end""",
    f"""create or replace temp macro _ca_date_problem(v) as case
        when v is null then null
        when _ca_ymd(v) is null then '''' || v || ''' is not a date in dd/mm/yyyy or yyyy-mm-dd form'
        when not regexp_matches(v, '{_ISO}') and _ca_ymd(v)[2] > 12 and _ca_ymd(v)[3] <= 12
            then '''' || v || ''' looks like a US-style mm/dd date; write dates as dd/mm/yyyy'
        when _ca_date(_ca_ymd(v)) is null then '''' || v || ''' is not a real date' end""",
    "create or replace temp macro _ca_iso(v) as strftime(_ca_date(_ca_ymd(v)), '%Y-%m-%d')",
)
GRADE_SCALE = "use Outstanding, Good, Requires improvement (or Adequate) or Inadequate"


def _allowed_case_types() -> str:
    codes = [f"{c} ({words})" for c, words in CASE_TYPES.items()]
    return ", ".join(codes[:-1]) + " or " + codes[-1]


def _create_vocabularies(con) -> None:
    """The macros, and the accepted words as tables: grade words with their canonical label, Y/N words."""
    for macro in _MACROS:
        con.execute(macro)
    con.execute(
        "create or replace temp table _ca_grade_words as select unnest(?::varchar[]) as word, "
        "unnest(?::varchar[]) as label",
        [list(GRADE_LABELS), list(GRADE_LABELS.values())],
    )
    con.execute(
        "create or replace temp table _ca_flag_words as select unnest(?::varchar[]) as word, "
        "unnest(?::varchar[]) as flag",
        [[*YES, *NO], ["Y"] * len(YES) + ["N"] * len(NO)],
    )


def _date_rules(column: str, label: str, required: bool, rule: int, suffix: str = "") -> list[tuple[str, list]]:
    """(SQL, parameters) of the rules of a date column: not a date, blank when required, in the future (after
    ``_ca_today``), each date text parsed once (``_ca_dates``). Each selects :data:`_RULE_COLUMNS` from ``_cells``."""
    col = quote_ident(column)
    dated = f"from _cells join _ca_dates d on d.v = _cells.{col}"
    rules = [
        (
            f"select {rule}, ?, {col}, ? || ' ' || d.problem || ?, {_KEYS} {dated} where d.problem is not null",
            [column, column, suffix],
        ),
        (
            (
                f"select {rule}, ?, {col}, ? || ' ' || d.iso || ' is in the future (the file was loaded on ' "
                f"|| strftime((select today from _ca_today), '%Y-%m-%d') || ')' || ?, {_KEYS} {dated} "
                "where d.d > (select today from _ca_today)"
            ),
            [column, column, suffix],
        ),
    ]
    if required:
        rules.append(
            (
                f"select {rule}, ?, null, ?, {_KEYS} from _cells where {col} is null",
                [column, f"{column} is blank: every {label} needs one"],
            )
        )
    return rules


def _parse_dates(con) -> None:
    """``_ca_dates``: every distinct date text of both tables parsed once (there are few: days, not rows)."""
    con.execute("""create or replace temp table _ca_dates as
        select v, _ca_date_problem(v) as problem, _ca_iso(v) as iso, _ca_date(_ca_ymd(v)) as d
        from (select audit_date as v from _ca_audit_cells union select due_date from _ca_action_cells
              union select completed_date from _ca_action_cells) where v is not null""")


_KEYS = "_file_path, _sheet, _sheet_order, _row_number, _id"
_RULE_COLUMNS = (
    "_rule",
    "column_name",
    "value",
    "reason",
    "_file_path",
    "_sheet",
    "_sheet_order",
    "_row_number",
    "_id",
)


def _word_rule(rule: int, column: str, words: str, blank: str | None, bad: str) -> tuple[str, list]:
    """(SQL, parameters): ``column`` not one of the words of table ``words`` (lower case); blank -> ``blank``
    (None: a blank is allowed); ``bad`` the reason after "column 'value' "."""
    col = quote_ident(column)
    blank_sql = "?" if blank is not None else "null"
    known = f"exists (select 1 from {quote_ident(words)} w where w.word = lower({col}))"
    sql = (
        f"select {rule}, ?, {col}, case when {col} is null then {blank_sql} else ? || ' ''' || {col} || ''' ' || ? "
        f"end, {_KEYS} from _cells where ({col} is null and {blank_sql} is not null) or ({col} is not null "
        f"and not {known})"
    )
    return sql, [column, *([blank] if blank is not None else []), column, bad, *([blank] if blank is not None else [])]


def _audit_rules() -> list[tuple[str, list]]:
    """Every rule of an audit row but the theme grades and the duplicates, as (SQL, parameters)."""
    case_types = _allowed_case_types()
    too_long = (
        f"child_id is longer than {MAX_CHILD_ID_LENGTH} characters (value not shown): write the child's "
        "identifier from the case management system"
    )
    return [
        (
            (
                f"select 1, 'audit_id', null, 'audit_id is blank: every audit needs one', {_KEYS} from _cells "
                "where audit_id is null"
            ),
            [],
        ),
        (
            f"select 2, 'child_id', null, ?, {_KEYS} from _cells where child_id is null",
            ["child_id is blank: every audit needs the child's identifier"],
        ),
        (
            f"select 2, 'child_id', ?, ?, {_KEYS} from _cells where length(child_id) > ?",
            [REDACTED, too_long, MAX_CHILD_ID_LENGTH],
        ),
        *_date_rules("audit_date", "audit", True, 3),
        _word_rule(
            4,
            "case_type",
            "_ca_case_types",
            f"case_type is blank: use {case_types}",
            f"is not a case type: use {case_types}",
        ),
        _word_rule(
            5,
            "overall_grade",
            "_ca_grade_words",
            f"overall_grade is blank: {GRADE_SCALE}",
            f"is not a grade: {GRADE_SCALE}",
        ),
        _word_rule(6, "cp_plan_needed", "_ca_flag_words", "cp_plan_needed is blank: write Y or N", "is not Y or N"),
        _word_rule(7, "assessment_up_to_date", "_ca_flag_words", None, "is not Y, N or blank"),
    ]


def _action_rules() -> list[tuple[str, list]]:
    return [
        (
            (
                f"select 1, 'action_id', null, 'action_id is blank: every action needs one', {_KEYS} from _cells "
                "where action_id is null"
            ),
            [],
        ),
        (
            (
                f"select 2, 'audit_id', null, 'audit_id is blank: every action needs one', {_KEYS} from _cells "
                "where audit_id is null"
            ),
            [],
        ),
        *_date_rules("due_date", "action", True, 3),
        *_date_rules("completed_date", "action", False, 4, " (leave it blank while the action is open)"),
    ]


def _quarantine(con, cells: str, rules: list[tuple[str, list]], target: str) -> None:
    """``target``: every rule's entries for the rows of ``cells`` (``_ca_bad`` columns)."""
    con.execute(f"create or replace temp view _cells as select * from {quote_ident(cells)}")
    union = " union all ".join(sql for sql, _ in rules)
    names = ", ".join(_RULE_COLUMNS)
    con.execute(
        f"create or replace temp table {quote_ident(target)} as select * from ({union}) as r({names})",
        [p for _, params in rules for p in params],
    )


def _theme_rule_sql() -> tuple[str, list]:
    sql = (
        "select 8 + t._position, ? || t.theme, t.value, ? || t.theme || ' ''' || t.value || ''' is not a "
        "grade: ' || ?, c._file_path, c._sheet, c._sheet_order, c._row_number, c._id from _ca_theme_cells t "
        "join _cells c on t._file_path = c._file_path and t._sheet is not distinct from c._sheet "
        "and t._row_number = c._row_number where not exists (select 1 from _ca_grade_words w "
        "where w.word = lower(t.value))"
    )
    return sql, [GRADE_PREFIX, GRADE_PREFIX, GRADE_SCALE]


def _add_duplicates(con, cells: str, bad: str, id_column: str) -> None:
    """Entries for a row whose id repeats an earlier row's of the same file (sheet order, then row), among the
    rows that broke no other rule: the first is kept and named."""
    place = "'row ' || first_row || coalesce(' of sheet ''' || first_sheet || '''', '')"
    con.execute(
        f"""insert into {quote_ident(bad)}
        select 99, ?, _id, 'duplicate ' || ? || ': the same ' || ? || ' is on ' || {place} || ', which is kept',
               _file_path, _sheet, _sheet_order, _row_number, _id
        from (select *, first_value(_sheet) over w as first_sheet, first_value(_row_number) over w as first_row,
                     row_number() over w as n
              from {quote_ident(cells)} c where _id is not null and not exists (select 1 from {quote_ident(bad)} b
                  where b._file_path = c._file_path and b._sheet is not distinct from c._sheet
                  and b._row_number = c._row_number)
              window w as (partition by _file_path, _id order by _sheet_order, _row_number))
        where n > 1""",
        [id_column, id_column, id_column],
    )


def _kept(cells: str, bad: str) -> str:
    """SQL: the rows of ``cells`` with no quarantine entry in ``bad``."""
    return (
        f"select * from {quote_ident(cells)} c where not exists (select 1 from {quote_ident(bad)} b where "
        "b._file_path = c._file_path and b._sheet is not distinct from c._sheet and b._row_number = c._row_number)"
    )


def _stage_child_keys(con, home_la: str, key: str) -> None:
    """``_ca_child_keys``: the key of each distinct child_id of the kept audits, computed once per child (an
    HMAC, which DuckDB has not: in Python, over the distinct values only)."""
    ids = [r[0] for r in con.execute("select distinct child_id from _ca_kept_audits").fetchall()]
    frame = pd.DataFrame(
        {
            "child_id": pd.Series(ids, dtype="object"),
            "child_key": pd.Series([child_key(home_la, i, key) for i in ids], dtype="object"),
        }
    )
    con.register("_ca_keys_frame", frame)
    try:
        con.execute(
            "create or replace temp table _ca_child_keys as select child_id::varchar as child_id, "
            "child_key::varchar as child_key from _ca_keys_frame"
        )
    finally:
        con.unregister("_ca_keys_frame")


def _stage_audits(con, home_la: str, key: str) -> None:
    """The staged audit rows (child_id replaced by its key) and their theme grades, canonical words."""
    con.execute(f"create or replace temp table _ca_kept_audits as {_kept('_ca_audit_cells', '_ca_bad_audits')}")
    _stage_child_keys(con, home_la, key)
    con.execute(
        """create or replace temp table _ca_staged_audits as
        select a.audit_id, k.child_key, ?::varchar as la_code, ?::varchar as pseudonym_check,
               dd.iso as audit_date, a.team, upper(a.case_type) as case_type, a.auditor_type,
               g.label as overall_grade, f1.flag as cp_plan_needed, f2.flag as assessment_up_to_date,
               a._file_path, a._sheet, a._row_number
        from _ca_kept_audits a join _ca_child_keys k using (child_id) join _ca_dates dd on dd.v = a.audit_date
        join _ca_grade_words g on g.word = lower(a.overall_grade)
        join _ca_flag_words f1 on f1.word = lower(a.cp_plan_needed)
        left join _ca_flag_words f2 on f2.word = lower(a.assessment_up_to_date)""",
        [home_la, pseudonym_check(home_la, key)],
    )
    con.execute("""create or replace temp table _ca_staged_themes as
        select a.audit_id, t.theme, g.label as grade, t._file_path, t._sheet, t._row_number, t._position
        from _ca_theme_cells t join _ca_kept_audits a on t._file_path = a._file_path
            and t._sheet is not distinct from a._sheet and t._row_number = a._row_number
        join _ca_grade_words g on g.word = lower(t.value)""")


def _stage_actions(con) -> None:
    con.execute(f"""create or replace temp table _ca_staged_actions as
        select action_id, audit_id, action_type, owner_team, d1.iso as due_date, d2.iso as completed_date,
               _file_path, _sheet, _row_number
        from ({_kept("_ca_action_cells", "_ca_bad_actions")}) a join _ca_dates d1 on d1.v = a.due_date
        left join _ca_dates d2 on d2.v = a.completed_date""")


def _rejections(con) -> None:
    """``_ca_rejections``: the quarantine entries of both tables, each reason saying where and which row."""
    parts = []
    for bad, what, table in (("_ca_bad_audits", "audit", AUDITS_TABLE), ("_ca_bad_actions", "action", ACTIONS_TABLE)):
        parts.append(
            (
                (
                    f"select _file_path, _row_number, column_name, value, coalesce('sheet ''' || _sheet || ''', ', "
                    f"'') || ? || coalesce(_id, ?) || ': ' || reason, ?, _sheet_order, _rule "
                    f"from {quote_ident(bad)}"
                ),
                [f"{what} ", f"(no {what}_id)", table.name],
            )
        )
    con.execute(
        "create or replace temp table _ca_rejections as select file_path, row_number, column_name, value, "
        "reason, table_name from (" + " union all ".join(p for p, _ in parts) + ") as r(file_path, "
        "row_number, column_name, value, reason, table_name, _sheet_order, _rule) "
        "order by file_path, _sheet_order, row_number, _rule",
        [x for _, ps in parts for x in ps],
    )


def _apply_rules(con, today: dt.date) -> None:
    """The quarantine of both tables (``_ca_bad_audits``, ``_ca_bad_actions``), every rule in SQL."""
    con.execute("create or replace temp table _ca_today as select ?::date as today", [today])
    _parse_dates(con)
    con.execute(
        "create or replace temp table _ca_case_types as select lower(unnest(?::varchar[])) as word", [list(CASE_TYPES)]
    )
    _quarantine(con, "_ca_audit_cells", [*_audit_rules(), _theme_rule_sql()], "_ca_bad_audits")
    _add_duplicates(con, "_ca_audit_cells", "_ca_bad_audits", "audit_id")
    _quarantine(con, "_ca_action_cells", _action_rules(), "_ca_bad_actions")
    _add_duplicates(con, "_ca_action_cells", "_ca_bad_actions", "action_id")
    _rejections(con)


def parse_case_audit_files(
    con, paths: Sequence[Path], *, home_la: str, key: str, today: dt.date | None = None
) -> BatchOutcome:
    """Every audits and actions table of ``paths``, landed, checked and staged in SQL on ``con`` in one pass
    (the batch parser of :func:`pipelines.lib.ingest.load.load_source`). A file with neither table is refused."""
    refused, sheet_names = land_files(con, paths)
    find_headers(con)
    refused.update(header_problems(con, sheet_names))
    con.execute(
        f"delete from {quote_ident(HEADERS)} where _file_path in (select unnest(?::varchar[]))", [list(refused)]
    )
    _create_vocabularies(con)
    pick_cells(con, "audits", AUDIT_COLUMNS, "audit_id", "_ca_audit_cells")
    pick_theme_cells(con)
    pick_cells(con, "actions", ACTION_COLUMNS[:-1], "action_id", "_ca_action_cells")
    _apply_rules(con, today or dt.date.today())
    _stage_audits(con, home_la, key)
    _stage_actions(con)
    outcome = BatchOutcome(
        staged={
            AUDITS_TABLE.name: "_ca_staged_audits",
            THEMES_TABLE.name: "_ca_staged_themes",
            ACTIONS_TABLE.name: "_ca_staged_actions",
        },
        rejections="_ca_rejections",
        refused=refused,
        not_counted={THEMES_TABLE.name},
    )
    outcome.read = _files_read(con, [str(p) for p in paths if str(p) not in refused])
    return outcome


def _files_read(con, files: list[str]) -> dict[str, FileRead]:
    """Per file parsed: its tables (as the headers say) and its data rows (non-blank rows under a header)."""
    read = {f: FileRead() for f in files}
    for file, kind, rows in con.execute(
        "select h._file_path, h.kind, count(c._row_number) from _ca_headers h left join (select _file_path, "
        "_sheet, _row_number from _ca_audit_cells union all select _file_path, _sheet, _row_number from "
        "_ca_action_cells) c on c._file_path = h._file_path and c._sheet is not distinct from h._sheet "
        "group by all"
    ).fetchall():
        tables = [AUDITS_TABLE.name, THEMES_TABLE.name] if kind == "audits" else [ACTIONS_TABLE.name]
        read[file].tables.extend(t for t in tables if t not in read[file].tables)
        read[file].rows_read += rows
    return read


def parse_case_audit_file(path: Path, *, home_la: str, key: str, today: dt.date | None = None) -> list[ParsedTable]:
    """One file through :func:`parse_case_audit_files` on a connection of its own, as a ParsedTable per sheet
    and table (for a per-file ``parser`` and for tests); FileRejected when the file is refused."""
    con = duckdb.connect()
    try:
        outcome = parse_case_audit_files(con, [path], home_la=home_la, key=key, today=today)
        if str(path) in outcome.refused:
            raise FileRejected(outcome.refused[str(path)])
        return _parsed_tables(con)
    finally:
        con.close()


def _parsed_tables(con) -> list[ParsedTable]:
    tables: list[ParsedTable] = []
    headers = con.execute(
        "select h._sheet, h.kind, s._sheet_order from _ca_headers h join _ca_sheets s on "
        "h._file_path = s._file_path and h._sheet is not distinct from s._sheet "
        "order by 3"
    ).fetchall()
    for sheet, kind, _order in headers:
        staged = (
            [("_ca_staged_audits", AUDITS_TABLE, ParsedTable), ("_ca_staged_themes", THEMES_TABLE, ThemeGrades)]
            if kind == "audits"
            else [("_ca_staged_actions", ACTIONS_TABLE, ParsedTable)]
        )
        cells = "_ca_audit_cells" if kind == "audits" else "_ca_action_cells"
        for name, table, cls in staged:
            parsed = cls(table.name, sheet=sheet)
            frame = con.execute(
                f"select * exclude (_file_path, _sheet) from {quote_ident(name)} "
                "where _sheet is not distinct from ? order by _row_number",
                [sheet],
            ).df()
            frame = frame.drop(columns=[c for c in ("_position",) if c in frame.columns]).astype(object)
            parsed.rows = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in frame.to_dict("records")]
            if cls is ParsedTable:
                parsed.rows_read = con.execute(
                    f"select count(*) from {quote_ident(cells)} where _sheet is not distinct from ?", [sheet]
                ).fetchone()[0]
                parsed.rejections = [
                    Rejection(*r)
                    for r in con.execute(
                        "select r.row_number, r.column_name, r.value, r.reason from _ca_rejections r where "
                        "r.table_name = ? and (r.reason like ? or ? is null)",
                        [table.name, f"sheet '{sheet}', %", sheet],
                    ).fetchall()
                ]
            tables.append(parsed)
    return tables


def stale_pseudonyms(con, home_la: str, key: str) -> bool:
    """True when raw audit rows were pseudonymised with another home LA or key (they must be re-read)."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = ?",
        [AUDITS_TABLE.name],
    ).fetchall()[0][0]
    if not exists:
        return False
    return bool(
        con.execute(
            f'select count(*) from raw."{AUDITS_TABLE.name}" where la_code is distinct from ? '
            "or pseudonym_check is distinct from ?",
            [home_la, pseudonym_check(home_la, key)],
        ).fetchall()[0][0]
    )


def forget_loaded_files(con) -> None:
    """Drop every case-audit raw row, rejection and file state, so the next load re-reads every file."""
    con.execute("begin")
    for table in TABLES:
        con.execute(f'delete from raw."{table.name}"')
    con.execute("delete from quality.rejected_rows where source = ?", [SOURCE])
    con.execute("delete from quality.file_state where source = ?", [SOURCE])
    con.execute("commit")


def record_cross_file_rejections(con, run_id: str, now: dt.datetime | None = None) -> int:
    """Replace the rows the cross-file rules keep out of ``marts.case_audit_actions`` in ``quality.rejected_rows``.

    The rules live in one place, the dbt model ``intermediate.int_case_audit_actions_validated``; this copies
    its verdicts, so the quarantine follows whatever files are loaded now (an action whose audits file arrives
    later leaves the quarantine on that refresh). This run's ``quality.load_log`` rows of the files involved
    are brought up to date too. Returns the number of rows quarantined.
    """
    now = now or dt.datetime.now()
    schema, model = CROSS_FILE_MODEL
    con.execute("begin")
    try:
        con.execute("delete from quality.rejected_rows where source = ? and table_name = ?", [SOURCE, CROSS_FILE_TABLE])
        con.execute(
            f"""insert into quality.rejected_rows
                (file_path, row_number, column_name, value, reason, rejected_at, source, table_name, run_id)
            select source_file, source_row_number, rejection_column, rejection_value, rejection_reason,
                   ?, ?, ?, ?
            from "{schema}"."{model}"
            where rejection_reason is not null
            order by source_file, source_row_number""",
            [now, SOURCE, CROSS_FILE_TABLE, run_id],
        )
        count = con.execute(
            "select count(*) from quality.rejected_rows where source = ? and table_name = ?", [SOURCE, CROSS_FILE_TABLE]
        ).fetchall()[0][0]
        con.execute(
            """update quality.load_log as log
            set rows_rejected = counts.rejected, rows_loaded = greatest(log.rows_read - counts.rejected, 0)
            from (
                select file_path, sum(rows) as rejected
                from (
                    select file_path, table_name, count(distinct row_number) as rows
                    from quality.rejected_rows where source = ? group by file_path, table_name
                )
                group by file_path
            ) as counts
            where log.run_id = ? and log.source = ? and log.status = 'loaded' and log.file_path = counts.file_path""",
            [SOURCE, run_id, SOURCE],
        )
        settle_file_counts(con, run_id, SOURCE)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return count
