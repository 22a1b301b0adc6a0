"""Case-file audits: the exports of a council's case-file audit tool (raw/case_audits/).

Two tables, each recognised by its header, never by file or sheet name: **audits** (one row per
audited case, with optional theme grades in any ``grade_*`` columns) and **actions** (follow-up
actions raised by audits). A CSV holds one of them; a workbook may hold both as two sheets.

What reaches the raw tables:
- ``child_id`` never: it becomes ``child_key`` (:func:`pipelines.lib.pseudonymise.child_key` of the
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
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pipelines.lib.ingest import FileRejected, RawTable, settle_file_counts
from pipelines.lib.parsing import grade_rank, iso_date, squash
from pipelines.lib.pseudonymise import child_key
from pipelines.lib.readers import Sheet, normalise_header, read_tables
from pipelines.lib.rules import ParsedTable, Rejection

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

AUDIT_COLUMNS = ("audit_id", "child_id", "audit_date", "team", "case_type", "auditor_type", "overall_grade",
                 "cp_plan_needed", "assessment_up_to_date")
AUDIT_REQUIRED = ("audit_id", "child_id", "audit_date", "team", "case_type", "overall_grade", "cp_plan_needed")
ACTION_COLUMNS = ("action_id", "audit_id", "action_type", "owner_team", "due_date", "completed_date",
                  "description")
ACTION_REQUIRED = ("action_id", "audit_id", "due_date", "completed_date")
# Columns that tell the two tables apart (audit_id is in both).
AUDIT_MARKERS = set(AUDIT_COLUMNS) - {"audit_id"}
ACTION_MARKERS = set(ACTION_COLUMNS) - {"audit_id"}
GRADE_PREFIX = "grade_"
NOT_READ = {"description"}

AUDITS_TABLE = RawTable(
    "case_audit_rows",
    ("audit_id", "child_key", "la_code", "pseudonym_check", "audit_date", "team", "case_type", "auditor_type",
     "overall_grade", "cp_plan_needed", "assessment_up_to_date"),
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
    """``audits``, ``actions`` or None for a row of header cells."""
    names = {column_key(c) for c in row if c}
    if "audit_id" not in names and "action_id" not in names:
        return None
    audit_hits = len(names & AUDIT_MARKERS) + (1 if any(n.startswith(GRADE_PREFIX) for n in names) else 0)
    action_hits = len(names & ACTION_MARKERS)
    if max(audit_hits, action_hits) < 2:
        return None
    return "actions" if action_hits > audit_hits else "audits"


def find_table_header(rows: list[list[str | None]], max_scan: int = 30) -> tuple[int, str] | None:
    """(row index, ``audits``|``actions``) of the first header row of a sheet, within ``max_scan`` rows."""
    for i, row in enumerate(rows[:max_scan]):
        kind = classify_header(row)
        if kind:
            return i, kind
    return None


def _index(header: list[str | None], sheet: Sheet, kind: str, required: tuple[str, ...]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, cell in enumerate(header):
        key = column_key(cell)
        if key and key not in index and key not in NOT_READ:
            index[key] = i
    missing = [c for c in required if c not in index]
    if missing:
        found = ", ".join(column_key(c) for c in header if c) or "none"
        raise FileRejected(
            f"sheet '{sheet.name}' looks like the case-audit {kind} table but lacks required column(s) {', '.join(missing)}; "
            f"columns found: {found}"
        )
    return index


def _cell(row: list[str | None], i: int | None) -> str | None:
    if i is None or i >= len(row) or row[i] is None:
        return None
    value = " ".join(row[i].replace("\xa0", " ").split())
    return value or None


def grade_label(text: str | None, column: str) -> str:
    """The canonical grade word; ValueError naming the column when it is not a grade."""
    scale = "use Outstanding, Good, Requires improvement (or Adequate) or Inadequate"
    if text is None:
        raise ValueError(f"{column} is blank: {scale}")
    try:
        grade_rank(text)
    except ValueError:
        raise ValueError(f"{column} '{text}' is not a grade: {scale}") from None
    return GRADE_LABELS[squash(text)]


def yes_no(text: str | None, column: str, blank_allowed: bool) -> str | None:
    """``Y``, ``N`` (or None for a blank where allowed) from Y/N, Yes/No, TRUE/FALSE; ValueError otherwise."""
    key = squash(text)
    if key in YES:
        return "Y"
    if key in NO:
        return "N"
    if key == "" and blank_allowed:
        return None
    allowed = "Y, N or blank" if blank_allowed else "Y or N"
    if key == "":
        raise ValueError(f"{column} is blank: write {allowed}")
    raise ValueError(f"{column} '{text}' is not {allowed}")


def case_type(text: str | None) -> str:
    code = squash(text).upper()
    if code not in CASE_TYPES:
        codes = [f"{c} ({words})" for c, words in CASE_TYPES.items()]
        allowed = ", ".join(codes[:-1]) + " or " + codes[-1]
        if text is None:
            raise ValueError(f"case_type is blank: use {allowed}")
        raise ValueError(f"case_type '{text}' is not a case type: use {allowed}")
    return code


def _date(cells: dict, column: str, today: dt.date, *, required: bool, label: str) -> Rejection | None:
    """Parse ``cells[column]`` in place to ISO text; a Rejection (without row) when it breaks a rule."""
    value = cells.get(column)
    try:
        cells[column] = iso_date(value)
    except ValueError as exc:
        return Rejection(None, column, value, f"{column} {exc}")
    if cells[column] is None:
        return Rejection(None, column, None, f"{column} is blank: every {label} needs one") if required else None
    if dt.date.fromisoformat(cells[column]) > today:
        return Rejection(None, column, value,
                         f"{column} {cells[column]} is in the future (the file was loaded on {today.isoformat()})")
    return None


def _with_row(rejections: list[Rejection | None], row_number: int, prefix: str) -> list[Rejection]:
    return [Rejection(row_number, r.column, r.value, f"{prefix}: {r.reason}") for r in rejections if r]


def _where(sheet_name: str | None) -> str:
    """How a reason names the sheet: workbooks have several, so row numbers alone are ambiguous."""
    return f"sheet '{sheet_name}', " if sheet_name else ""


def _place(sheet_name: str | None, row_number: int) -> str:
    return f"row {row_number}" + (f" of sheet '{sheet_name}'" if sheet_name else "")


def parse_audits_sheet(sheet: Sheet, header_at: int, *, home_la: str, key: str, today: dt.date,
                       sheet_name: str | None = None, seen: dict[str, str] | None = None
                       ) -> tuple[ParsedTable, ThemeGrades]:
    """Audit rows (child_id pseudonymised) and their theme grades in long form, with the row rules.

    ``sheet_name`` is the workbook sheet (None for a CSV): kept with the rows and named in the reasons.
    ``seen`` maps the audit_ids kept so far in the file to where they are (a file may have several sheets).
    """
    header = sheet.rows[header_at]
    index = _index(header, sheet, "audits", AUDIT_REQUIRED)
    themes = {name.removeprefix(GRADE_PREFIX): i for name, i in index.items() if name.startswith(GRADE_PREFIX)}
    audits = ParsedTable(AUDITS_TABLE.name, sheet=sheet_name)
    grades = ThemeGrades(THEMES_TABLE.name, sheet=sheet_name)
    check = pseudonym_check(home_la, key)
    first_row = {} if seen is None else seen
    for row_number, row in enumerate(sheet.rows[header_at + 1:], start=header_at + 2):
        if not any(c is not None and c.strip() for c in row):
            continue
        audits.rows_read += 1
        cells = {col: _cell(row, index.get(col)) for col in AUDIT_COLUMNS}
        audit_id = cells["audit_id"]
        bad: list[Rejection | None] = []
        if audit_id is None:
            bad.append(Rejection(None, "audit_id", None, "audit_id is blank: every audit needs one"))
        child_id = cells.pop("child_id")
        if child_id is None:
            bad.append(Rejection(None, "child_id", None,
                                 "child_id is blank: every audit needs the child's identifier"))
        elif len(child_id) > MAX_CHILD_ID_LENGTH:
            # Never echo it: it is an identifier, or text pasted into the wrong column.
            bad.append(Rejection(None, "child_id", REDACTED,
                                 f"child_id is longer than {MAX_CHILD_ID_LENGTH} characters (value not shown): "
                                 "write the child's identifier from the case management system"))
        bad.append(_date(cells, "audit_date", today, required=True, label="audit"))
        try:
            cells["case_type"] = case_type(cells["case_type"])
        except ValueError as exc:
            bad.append(Rejection(None, "case_type", cells["case_type"], str(exc)))
        try:
            cells["overall_grade"] = grade_label(cells["overall_grade"], "overall_grade")
        except ValueError as exc:
            bad.append(Rejection(None, "overall_grade", cells["overall_grade"], str(exc)))
        for col, blank_allowed in (("cp_plan_needed", False), ("assessment_up_to_date", True)):
            try:
                cells[col] = yes_no(cells[col], col, blank_allowed)
            except ValueError as exc:
                bad.append(Rejection(None, col, cells[col], str(exc)))
        theme_rows = []
        for theme, i in themes.items():
            value = _cell(row, i)
            if value is None:
                continue
            try:
                theme_rows.append({"audit_id": audit_id, "theme": theme,
                                   "grade": grade_label(value, GRADE_PREFIX + theme), "_row_number": row_number})
            except ValueError as exc:
                bad.append(Rejection(None, GRADE_PREFIX + theme, value, str(exc)))
        if audit_id is not None and not any(bad):
            if audit_id in first_row:
                bad.append(Rejection(None, "audit_id", audit_id,
                                     f"duplicate audit_id: the same audit_id is on {first_row[audit_id]}, "
                                     "which is kept"))
            else:
                first_row[audit_id] = _place(sheet_name, row_number)
        rejections = _with_row(bad, row_number, f"{_where(sheet_name)}audit {audit_id or '(no audit_id)'}")
        if rejections:
            audits.rejections.extend(rejections)
            continue
        cells.update(child_key=child_key(home_la, child_id, key), la_code=home_la, pseudonym_check=check,
                     _row_number=row_number)
        audits.rows.append(cells)
        grades.rows.extend(theme_rows)
    return audits, grades


def parse_actions_sheet(sheet: Sheet, header_at: int, *, today: dt.date, sheet_name: str | None = None,
                        seen: dict[str, str] | None = None) -> ParsedTable:
    """Action rows (never their description), with the rules that need only the row itself."""
    index = _index(sheet.rows[header_at], sheet, "actions", ACTION_REQUIRED)
    actions = ParsedTable(ACTIONS_TABLE.name, sheet=sheet_name)
    first_row = {} if seen is None else seen
    for row_number, row in enumerate(sheet.rows[header_at + 1:], start=header_at + 2):
        if not any(c is not None and c.strip() for c in row):
            continue
        actions.rows_read += 1
        cells = {col: _cell(row, index.get(col)) for col in ACTIONS_TABLE.columns}
        action_id = cells["action_id"]
        bad: list[Rejection | None] = []
        for col in ("action_id", "audit_id"):
            if cells[col] is None:
                bad.append(Rejection(None, col, None, f"{col} is blank: every action needs one"))
        bad.append(_date(cells, "due_date", today, required=True, label="action"))
        completed = _date(cells, "completed_date", today, required=False, label="action")
        if completed:
            completed = Rejection(None, completed.column, completed.value,
                                  completed.reason + " (leave it blank while the action is open)")
        bad.append(completed)
        if action_id is not None and not any(bad):
            if action_id in first_row:
                bad.append(Rejection(None, "action_id", action_id,
                                     f"duplicate action_id: the same action_id is on {first_row[action_id]}, "
                                     "which is kept"))
            else:
                first_row[action_id] = _place(sheet_name, row_number)
        rejections = _with_row(bad, row_number, f"{_where(sheet_name)}action {action_id or '(no action_id)'}")
        if rejections:
            actions.rejections.extend(rejections)
            continue
        cells["_row_number"] = row_number
        actions.rows.append(cells)
    return actions


def parse_case_audit_file(path: Path, *, home_la: str, key: str, today: dt.date | None = None
                          ) -> list[ParsedTable]:
    """Every audits and actions table of a file; FileRejected when it holds neither."""
    today = today or dt.date.today()
    fmt, sheets = read_tables(path)
    tables: list[ParsedTable] = []
    seen_audits: dict[str, str] = {}
    seen_actions: dict[str, str] = {}
    for sheet in sheets:
        found = find_table_header(sheet.rows)
        if found is None:
            continue
        at, kind = found
        sheet_name = None if fmt == "csv" else sheet.name
        if kind == "audits":
            tables.extend(parse_audits_sheet(sheet, at, home_la=home_la, key=key, today=today,
                                             sheet_name=sheet_name, seen=seen_audits))
        else:
            tables.append(parse_actions_sheet(sheet, at, today=today, sheet_name=sheet_name, seen=seen_actions))
    if not tables:
        # Never echo the file's cells: a file without a header may start with a child's identifier.
        raise FileRejected(
            "not a case-audit export: no sheet has an audits header (audit_id, child_id, audit_date, team, "
            "case_type, overall_grade, cp_plan_needed, ...) or an actions header (action_id, audit_id, due_date, "
            f"completed_date, ...) in its first 30 rows; sheets read: {', '.join(s.name for s in sheets)}"
        )
    return tables


def stale_pseudonyms(con, home_la: str, key: str) -> bool:
    """True when raw audit rows were pseudonymised with another home LA or key (they must be re-read)."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = ?",
        [AUDITS_TABLE.name],
    ).fetchall()[0][0]
    if not exists:
        return False
    return bool(con.execute(
        f'select count(*) from raw."{AUDITS_TABLE.name}" where la_code is distinct from ? '
        "or pseudonym_check is distinct from ?",
        [home_la, pseudonym_check(home_la, key)],
    ).fetchall()[0][0])


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
        con.execute("delete from quality.rejected_rows where source = ? and table_name = ?",
                    [SOURCE, CROSS_FILE_TABLE])
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
        count = con.execute("select count(*) from quality.rejected_rows where source = ? and table_name = ?",
                            [SOURCE, CROSS_FILE_TABLE]).fetchall()[0][0]
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
