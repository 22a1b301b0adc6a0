"""The floor's reading and typing of the large CSV sources, in DuckDB SQL (no project parser).

Each source is read the way a bare DuckDB script would read it: the files grouped by their header line
(one layout), each group in one ``read_csv`` call with declared text columns and explicit CSV options,
then typed and checked by SQL (dates ``strptime(..., '%d/%m/%Y')``, code lists by collection year,
duplicates), giving raw tables with the same names and columns as the pipeline's (so that the compiled dbt
model SQL runs on them) and ``quality.rejected_rows`` rows with reasons. Pseudonymisation is one HMAC per
distinct (LA, child id), computed over the distinct values and joined back.

The rules here are deliberately the simple, per-cell ones (plus duplicates): SSDA903's episode-sequence
rules (501, 142, 433-436, 217, 390, 148) are not in the floor, so its marts may differ slightly from the
pipeline's (the benchmark reports by how much). The layout is one section per source so that, once the
project's own ingest rules are SQL (``pipelines/lib/ssda903.py``, ``case_audits.py``,
``pipelines/lib/native_csv.py``), the floor can call them instead of these.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from pathlib import Path

import duckdb

from pipelines.lib.case_audits import CASE_TYPES, GRADE_LABELS, MAX_CHILD_ID_LENGTH
from pipelines.lib.ssda903 import CODE_LISTS_FILE, LIST_RULES

CSV_OPTIONS = "header = true, delim = ',', quote = '\"', escape = '\"', auto_detect = false, filename = true"


def q(name: str) -> str:
    """The one quoting helper for identifiers (column and table names) in the floor's SQL."""
    return '"' + name.replace('"', '""') + '"'


def text(column: str) -> str:
    """A cell as the pipelines read it: spaces (and no-break spaces) collapsed, blank as null."""
    return f"nullif(trim(regexp_replace(replace({q(column)}, chr(160), ' '), '\\s+', ' ', 'g')), '')"


def date_of(column: str) -> str:
    """dd/mm/yyyy (or ISO) text as a date; null when blank or not a date."""
    cell = text(column)
    return f"coalesce(try_strptime({cell}, '%d/%m/%Y'), try_strptime({cell}, '%Y-%m-%d'))::date"


def csv_groups(files: list[Path]) -> dict[tuple[str, ...], list[str]]:
    """The CSV files grouped by their header line (one layout per group): the columns, upper-cased as
    written, and the files."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = handle.readline().strip()
        groups[tuple(c.strip().strip('"') for c in header.split(","))].append(str(path))
    return dict(groups)


def land_group(
    con: duckdb.DuckDBPyConnection,
    table: str,
    header: tuple[str, ...],
    files: list[str],
    wanted: tuple[str, ...],
    prefix: str | None = None,
) -> str:
    """One layout's files, in one ``read_csv`` call with declared text columns, as the temporary text table
    ``table``: the ``wanted`` columns (null where the layout lacks one) and those starting with ``prefix``,
    the file and the row number in it (the header is row 1)."""
    declared = dict.fromkeys(header, "VARCHAR")
    con.execute(
        f"create or replace temp table _landing as select * from read_csv(?, columns = ?, {CSV_OPTIONS})",
        [files, declared],
    )
    present = {name.upper(): name for name in header}
    extra = tuple(c for c in present if prefix and c.startswith(prefix) and c not in wanted)
    cells = ", ".join(
        f"{q(present[c])} as {q(c)}" if c in present else f"null::varchar as {q(c)}" for c in (*wanted, *extra)
    )
    con.execute(
        f"create or replace temp table {q(table)} as select {cells}, filename as _file_path, "
        "(rowid - min(rowid) over (partition by filename) + 2)::integer as _row_number from _landing"
    )
    con.execute("drop table _landing")
    return table


def land_layouts(con: duckdb.DuckDBPyConnection, files: list[Path], layouts: dict[str, tuple]) -> list[str]:
    """Every CSV of a source into the text table of its layout: ``layouts`` maps a text table to (the column
    that identifies it, the columns it keeps[, the prefix of more columns it keeps]). Files of no layout are
    not read. Returns the text tables made."""
    parts: dict[str, list[str]] = defaultdict(list)
    for index, (header, group) in enumerate(csv_groups([f for f in files if f.suffix.lower() == ".csv"]).items()):
        upper = {c.upper() for c in header}
        for table, (signature, wanted, *prefix) in layouts.items():
            if signature in upper:
                parts[table].append(land_group(con, f"{table}_{index}", header, group, wanted, *prefix))
                break
    for table, groups in parts.items():
        union = " union all by name ".join(f"select * from {q(g)}" for g in groups)
        con.execute(f"create or replace temp table {q(table)} as {union}")
        for group in groups:
            con.execute(f"drop table {q(group)}")
    return list(parts)


def child_keys(con: duckdb.DuckDBPyConnection, distinct_sql: str, key: str, params: list | None = None) -> None:
    """``_child_keys(la_code, _clear_id, child_key)``: one HMAC per distinct (LA, child id) of ``distinct_sql``
    (the pipelines' :func:`pipelines.lib.pseudonymise.child_key`, over the distinct values only)."""
    pairs = con.execute(distinct_sql, params or []).fetchall()
    secret = key.encode()
    keys = [
        hmac.new(secret, f"{la.strip()}:{child.strip()}".encode(), hashlib.sha256).hexdigest()[:32]
        for la, child in pairs
    ]
    con.execute(
        "create or replace temp table _child_keys as select unnest(?) as la_code, unnest(?) as _clear_id, "
        "unnest(?) as child_key",
        [[p[0] for p in pairs], [p[1] for p in pairs], keys],
    )


def quarantine(con: duckdb.DuckDBPyConnection, checked: str, source: str, raw_table: str, run_id: str) -> int:
    """The problems of the checked rows into ``quality.rejected_rows``; returns the rows quarantined."""
    con.execute(
        "insert into quality.rejected_rows select _file_path, _row_number, p.column_name, p.value, p.reason, "
        f"now(), ?, ?, ? from (select _file_path, _row_number, unnest(problems) as p from {q(checked)})",
        [source, raw_table, run_id],
    )
    return con.execute(f"select count(*) from {q(checked)} where len(problems) > 0").fetchone()[0]


def publish_raw(
    con: duckdb.DuckDBPyConnection, checked: str, raw_table: str, columns: tuple[str, ...], sheet_sql: str, run_id: str
) -> int:
    """The rows of ``checked`` without problems as ``raw.<raw_table>`` (the pipeline's columns, in text)."""
    cells = ", ".join(f"{q(c)}::varchar as {q(c)}" for c in columns)
    con.execute(
        f"create or replace table raw.{q(raw_table)} as select {cells}, _file_path, {sheet_sql} as _sheet, "
        f"_row_number, ?::varchar as _run_id from {q(checked)} where len(problems) = 0 "
        "order by _file_path, _row_number",
        [run_id],
    )
    return con.execute(f"select count(*) from raw.{q(raw_table)}").fetchone()[0]


def problem(condition: str, column: str, value_sql: str, reason_sql: str) -> str:
    """A rule as SQL: a struct (column, value, reason) when ``condition`` holds, else null."""
    return (
        f"case when {condition} then struct_pack(column_name := '{column}', value := ({value_sql})::varchar, "
        f"reason := ({reason_sql})::varchar) end"
    )


def problems_list(rules: list[str]) -> str:
    return f"list_filter([{', '.join(rules)}], p -> p is not null)"


def duplicates(con: duckdb.DuckDBPyConnection, checked: str, keys: tuple[str, ...], column: str, what: str) -> None:
    """Among rows without problems, every row repeating ``keys`` in a file after the first gets a problem
    (on ``column``, with the first key's value)."""
    partition = ", ".join(["_file_path", *(q(k) for k in keys)])
    reason = f"'duplicate {what}: row ' || first_row || ' of this file is kept'"
    con.execute(
        f"create or replace temp table {q(checked)} as select * exclude (rank, first_row) replace ("
        f"case when rank > 1 then [{problem('true', column, q(keys[0]), reason)}] else problems end as problems)"
        f" from (select *, case when len(problems) = 0 then row_number() over w end as rank, "
        f"min(_row_number) over w as first_row from {q(checked)} "
        f"window w as (partition by {partition}, len(problems) = 0 order by _row_number))"
    )


def load_log(con: duckdb.DuckDBPyConnection, checked: str, source: str, raw_table: str, run_id: str) -> None:
    """One ``quality.load_log`` row per file of the checked text table."""
    con.execute(
        "insert into quality.load_log select ?, _file_path, null, ?, ?, 'loaded', count(*), "
        "count(*) filter (len(problems) = 0), count(*) filter (len(problems) > 0), null, now(), "
        f"sum(len(problems)) from {q(checked)} group by _file_path",
        [run_id, source, raw_table],
    )


# ------------------------------------------------------------------------------------------------------------
# SSDA903
# ------------------------------------------------------------------------------------------------------------
# text table -> (the DfE column that identifies the layout, the DfE columns read)
SSDA903_LAYOUTS = {
    "_903_episodes": (
        "DECOM",
        ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE", "URN"),
    ),
    "_903_ad1": (
        "DATE_MATCH",
        ("CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"),
    ),
    "_903_placed": ("DATE_PLACED", ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED")),
    "_903_header": ("ETHNIC", ("CHILD", "SEX", "DOB", "ETHNIC", "MOTHER", "MC_DOB")),
}
# raw table -> (text table, code-list columns, date columns (name, required), birth-month columns, plain columns,
#               duplicate key beyond the child)
SSDA903_TABLES = {
    "ssda903_episodes": (
        "_903_episodes",
        ("RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "REC", "REASON_PLACE_CHANGE"),
        (("DECOM", True), ("DEC", False)),
        (),
        ("URN",),
        ("decom",),
    ),
    "ssda903_ad1": (
        "_903_ad1",
        ("FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"),
        (("DATE_INT", False), ("DATE_MATCH", True)),
        (("DOB", "birth_month"),),
        (),
        (),
    ),
    "ssda903_placed_adoption": (
        "_903_placed",
        ("REASON_PLACED_CEASED",),
        (("DATE_PLACED", True), ("DATE_PLACED_CEASED", False)),
        (("DOB", "birth_month"),),
        (),
        ("date_placed",),
    ),
    "ssda903_header": (
        "_903_header",
        (),
        (),
        (("DOB", "birth_month"), ("MC_DOB", "mc_birth_month")),
        ("SEX", "ETHNIC", "MOTHER"),
        (),
    ),
}
FLAG_SQL = (
    "case lower({c}) when '0' then '0' when 'false' then '0' when 'n' then '0' when 'no' then '0' "
    "when '1' then '1' when 'true' then '1' when 'y' then '1' when 'yes' then '1' else {c} end"
)
RETURN_FOLDER = r"/ssda903/(?:[^/]+/)*?(?:(\d{3})/)?((?:19|20)\d{2})(?:[-_ ](\d{2}))?/[^/]+$"


def cell(column: str) -> str:
    """An SSDA903 cell once :func:`ssda903_context` has stripped it (blank as null), as the parser reads it."""
    return q(column)


def cell_date(column: str) -> str:
    return f"coalesce(try_strptime({q(column)}, '%d/%m/%Y'), try_strptime({q(column)}, '%Y-%m-%d'))::date"


def ssda903_context(con: duckdb.DuckDBPyConnection, table: str, home_la: str) -> None:
    """Every cell stripped (blank as null), and the LA and collection year of every row from its folders
    (``<YYYY>/`` the home LA's return, ``<la_code>/<YYYY>/`` another LA's; ``2017-18`` the year ending March
    2018), worked out once per file."""
    year = (
        f"case when regexp_extract(_file_path, '{RETURN_FOLDER}', 3) <> '' "
        f"then regexp_extract(_file_path, '{RETURN_FOLDER}', 2)::integer + 1 "
        f"else regexp_extract(_file_path, '{RETURN_FOLDER}', 2)::integer end"
    )
    con.execute(
        "create or replace temp table _903_files as select _file_path, "
        f"coalesce(nullif(regexp_extract(_file_path, '{RETURN_FOLDER}', 1), ''), ?) as la_code, "
        f"{year} as collection_year from (select distinct _file_path from {q(table)})",
        [home_la],
    )
    columns = [c for c in _columns(con, table) if c not in ("_file_path", "_row_number")]
    stripped = ", ".join(f"nullif(trim({q(c)}), '') as {q(c)}" for c in columns)
    con.execute(
        f"create or replace temp table {q(table)} as select {stripped}, t._file_path, t._row_number, "
        f"f.la_code, f.collection_year from {q(table)} t join _903_files f using (_file_path)"
    )


def ssda903_code_lists(con: duckdb.DuckDBPyConnection, landed: list[str]) -> None:
    """``_903_valid(list, collection_year, codes)``: the codes valid in each year that has rows, in the code
    lists' order (``ssda903_code_lists.csv``, the pipeline's data)."""
    con.execute(
        "create or replace temp table _903_lists as select *, row_number() over () as position from read_csv(?, "
        "header = true, auto_detect = false, columns = {'list': 'VARCHAR', 'code': 'VARCHAR', 'first_year': 'INTEGER', "
        "'last_year': 'INTEGER', 'label': 'VARCHAR', 'dfe_source': 'VARCHAR'})",
        [str(CODE_LISTS_FILE)],
    )
    con.execute(
        "create or replace temp table _903_rules as select unnest(?) as list, unnest(?) as rule, unnest(?) as label",
        [list(LIST_RULES), [r for r, _ in LIST_RULES.values()], [label for _, label in LIST_RULES.values()]],
    )
    years = " union ".join(f"select distinct collection_year from {q(t)}" for t in landed)
    con.execute(
        "create or replace temp table _903_valid as select l.list, r.rule, r.label, y.collection_year, "
        "list(l.code order by l.position) as codes from _903_lists l join _903_rules r using (list), "
        f"({years or 'select null::integer as collection_year where false'}) y "
        "where (l.first_year is null or y.collection_year >= l.first_year) "
        "and (l.last_year is null or y.collection_year <= l.last_year) group by all"
    )


def season_sql(year: str) -> str:
    return f"(({year}) - 1)::varchar || '-' || lpad((({year}) % 100)::varchar, 2, '0')"


def ssda903_code_rule(column: str, required: bool) -> tuple[str, str, str]:
    """(the typed code, the join of its list's valid codes, the rule) of a code-list column."""
    number = f"regexp_replace({cell(column)}, '^(-?\\d+)\\.0+$', '\\1')"
    value = f"upper({FLAG_SQL.format(c=number) if column == 'FOSTER_CARE' else number})"
    alias = q(f"_v_{column}")
    join = f"left join _903_valid {alias} on {alias}.list = '{column}' and {alias}.collection_year = t.collection_year"
    reason = (
        f"'DfE rule ' || {alias}.rule || ': {column} ''' || {value} || ''' is not a DfE ' || {alias}.label || "
        "' code (valid in ' || "
        f"{season_sql('t.collection_year')} || ': ' || array_to_string(coalesce({alias}.codes, []), ', ') || ')'"
    )
    check = problem(
        f"{value} is not null and not list_contains(coalesce({alias}.codes, []), {value})", column, cell(column), reason
    )
    if required:
        blank = problem(
            f"{value} is null",
            column,
            "null",
            f"'DfE rule ' || {alias}.rule || ': {column} (' || {alias}.label || ') is blank; it is required'",
        )
        check = f"coalesce({blank}, {check})"
    return value, join, check


def ssda903_date_rule(column: str, required: bool) -> tuple[str, str]:
    """(the typed date, the rule) of a date column."""
    bad = problem(
        f"{cell(column)} is not null and {cell_date(column)} is null",
        column,
        cell(column),
        f"'{column} ''' || {cell(column)} || ''' is not a date: write dd/mm/yyyy'",
    )
    if required:
        blank = problem(f"{cell(column)} is null", column, "null", f"'{column} is blank; it is required'")
        bad = f"coalesce({blank}, {bad})"
    return cell_date(column), bad


def ssda903_check(con: duckdb.DuckDBPyConnection, raw_table: str) -> str:
    """The checked table of one SSDA903 raw table: typed columns (lower-case names) and the problems of each row."""
    source, codes, dates, months, plain, _dup = SSDA903_TABLES[raw_table]
    cells, joins = [], []
    rules = [
        problem(
            f"{cell('CHILD')} is null",
            "CHILD",
            "null",
            "'CHILD (the child''s identifier) is blank; every row needs it'",
        )
    ]
    for column in codes:
        value, join, rule = ssda903_code_rule(
            column, raw_table == "ssda903_episodes" and column in ("RNE", "LS", "CIN", "PLACE")
        )
        cells.append(f"{value} as {q(column.lower())}")
        joins.append(join)
        rules.append(rule)
    for column, required in dates:
        value, rule = ssda903_date_rule(column, required)
        cells.append(f"{value}::varchar as {q(column.lower())}")
        rules.append(rule)
    for column, name in months:
        cells.append(f"date_trunc('month', {cell_date(column)})::date::varchar as {q(name)}")
        rules.append(ssda903_date_rule(column, False)[1])
    cells += [f"{cell(column)} as {q(column.lower())}" for column in plain]
    if raw_table == "ssda903_episodes":
        rules.append(
            problem(
                f"{cell_date('DEC')} < {cell_date('DECOM')}",
                "DEC",
                cell("DEC"),
                f"'DfE rule 356: DEC ' || {cell('DEC')} || ' is before DECOM ' || {cell('DECOM')} || "
                "': an episode cannot end before it starts; correct either date'",
            )
        )
    checked = f"{source}_checked"
    con.execute(
        f"create or replace temp table {q(checked)} as select t.la_code, t.collection_year::varchar as "
        f"collection_year, k.child_key, {', '.join(cells)}, t._file_path, t._row_number, "
        f"{problems_list(rules)} as problems from {q(source)} t "
        f"left join _child_keys k on k.la_code = t.la_code and k._clear_id = {cell('CHILD')} {' '.join(joins)}"
    )
    return checked


def load_ssda903(
    con: duckdb.DuckDBPyConnection, folder: Path, home_la: str, key: str, run_id: str, files: list[Path]
) -> int:
    """SSDA903 CSV returns into the four raw tables, with the per-cell rules, duplicates and (the pipeline's
    SQL) rules across tables; returns the rows loaded."""
    from pipelines.lib.ssda903 import TABLES, apply_cross_table_rules

    landed = land_layouts(con, files, SSDA903_LAYOUTS)
    for table in landed:
        ssda903_context(con, table, home_la)
    ssda903_code_lists(con, landed)
    child_keys(
        con,
        " union ".join(
            f"select distinct la_code, {cell('CHILD')} from {q(t)} where {cell('CHILD')} is not null" for t in landed
        )
        or "select null, null where false",
        key,
    )
    loaded = 0
    for table in TABLES:
        source, *_rest, dup = SSDA903_TABLES[table.name]
        if source not in landed:
            con.execute(
                f"create table if not exists raw.{q(table.name)} as select "
                f"{', '.join(f'null::varchar as {q(c)}' for c in table.columns)}, null::varchar as _file_path, "
                "null::varchar as _sheet, null::integer as _row_number, null::varchar as _run_id where false"
            )
            continue
        checked = ssda903_check(con, table.name)
        what = "child" + "".join(f" and {d.upper()}" for d in dup)
        duplicates(con, checked, ("child_key", *dup), "CHILD", what)
        quarantine(con, checked, "ssda903", table.name, run_id)
        load_log(con, checked, "ssda903", table.name, run_id)
        sheet = "regexp_extract(_file_path, '([^/]+)\\.[^./]+$', 1)"
        loaded += publish_raw(con, checked, table.name, table.columns, sheet, run_id)
    apply_cross_table_rules(con, run_id)
    return loaded


# ------------------------------------------------------------------------------------------------------------
# Case-file audits
# ------------------------------------------------------------------------------------------------------------
AUDIT_TEXT = (
    "AUDIT_ID",
    "CHILD_ID",
    "AUDIT_DATE",
    "TEAM",
    "CASE_TYPE",
    "AUDITOR_TYPE",
    "OVERALL_GRADE",
    "CP_PLAN_NEEDED",
    "ASSESSMENT_UP_TO_DATE",
)
CASE_AUDIT_LAYOUTS = {
    "_ca_audits": ("CHILD_ID", AUDIT_TEXT, "GRADE_"),
    "_ca_actions": ("ACTION_ID", ("ACTION_ID", "AUDIT_ID", "ACTION_TYPE", "OWNER_TEAM", "DUE_DATE", "COMPLETED_DATE")),
}
GRADE_SCALE = "use Outstanding, Good, Requires improvement (or Adequate) or Inadequate"


def squashed(column: str) -> str:
    return f"lower({text(column)})"


def case_audit_words(con: duckdb.DuckDBPyConnection) -> None:
    """The grade words and case types (the project's lists) as tables, for joins."""
    con.execute(
        "create or replace temp table _ca_grades as select unnest(?) as word, unnest(?) as label",
        [list(GRADE_LABELS), list(GRADE_LABELS.values())],
    )
    con.execute("create or replace temp table _ca_types as select unnest(?) as code", [list(CASE_TYPES)])


def yes_no_sql(column: str) -> str:
    c = squashed(column)
    return f"case when {c} in ('y', 'yes', 'true', '1') then 'Y' when {c} in ('n', 'no', 'false', '0') then 'N' end"


def audit_date_rule(column: str, required: bool, label: str, suffix: str = "") -> str:
    cell, value = text(column), date_of(column)
    name = column.lower()
    return problems_first(
        [
            problem(f"{cell} is null", name, "null", f"'{name} is blank: every {label} needs one'")
            if required
            else None,
            problem(
                f"{cell} is not null and {value} is null", name, cell, f"'{name} ''' || {cell} || ''' is not a date'"
            ),
            problem(
                f"{value} > current_date",
                name,
                cell,
                f"'{name} ' || {value}::varchar || ' is in the future (the file "
                f"was loaded on ' || current_date::varchar || '){suffix}'",
            ),
        ]
    )


def problems_first(rules: list[str | None]) -> str:
    """The first rule of ``rules`` that holds (one problem per column, as the pipeline reports)."""
    return f"coalesce({', '.join(r for r in rules if r)})"


def case_audit_checks(con: duckdb.DuckDBPyConnection, home_la: str) -> list[str]:
    """The rules of an audit row (the pipeline's per-row rules, in SQL), each a problem or null."""
    grades = [c for c in _columns(con, "_ca_audits") if c.startswith("GRADE_")]
    rules = [
        problem(f"{text('AUDIT_ID')} is null", "audit_id", "null", "'audit_id is blank: every audit needs one'"),
        problems_first(
            [
                problem(
                    f"{text('CHILD_ID')} is null",
                    "child_id",
                    "null",
                    "'child_id is blank: every audit needs the child''s identifier'",
                ),
                problem(
                    f"length({text('CHILD_ID')}) > {int(MAX_CHILD_ID_LENGTH)}",
                    "child_id",
                    "'<redacted>'",
                    f"'child_id is longer than {int(MAX_CHILD_ID_LENGTH)} characters (value not shown): write the "
                    "child''s identifier from the case management system'",
                ),
            ]
        ),
        audit_date_rule("AUDIT_DATE", True, "audit"),
        problem(
            "ct.code is null",
            "case_type",
            text("CASE_TYPE"),
            f"'case_type ''' || coalesce({text('CASE_TYPE')}, '') || ''' is not a case type'",
        ),
        problem(
            "og.label is null",
            "overall_grade",
            text("OVERALL_GRADE"),
            f"'overall_grade ''' || coalesce({text('OVERALL_GRADE')}, '') || ''' is not a grade: {GRADE_SCALE}'",
        ),
        problem(
            f"{yes_no_sql('CP_PLAN_NEEDED')} is null",
            "cp_plan_needed",
            text("CP_PLAN_NEEDED"),
            f"'cp_plan_needed ''' || coalesce({text('CP_PLAN_NEEDED')}, '') || ''' is not Y or N'",
        ),
        problem(
            f"{text('ASSESSMENT_UP_TO_DATE')} is not null and {yes_no_sql('ASSESSMENT_UP_TO_DATE')} is null",
            "assessment_up_to_date",
            text("ASSESSMENT_UP_TO_DATE"),
            f"'assessment_up_to_date ''' || {text('ASSESSMENT_UP_TO_DATE')} || ''' is not Y, N or blank'",
        ),
    ]
    for column in grades:
        alias = q(f"_g_{column}")
        rules.append(
            problem(
                f"{text(column)} is not null and {alias}.label is null",
                column.lower(),
                text(column),
                f"'{column.lower()} ''' || {text(column)} || ''' is not a grade: {GRADE_SCALE}'",
            )
        )
    return rules


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_name = ? order by ordinal_position", [table]
        ).fetchall()
    ]


def _prefixed(rules: list[str], what: str, id_column: str) -> str:
    """The problems of a row, each reason prefixed with the row's identity as the pipeline writes it."""
    ident = f"'{what} ' || coalesce({text(id_column)}, '(no {id_column.lower()})') || ': '"
    return (
        f"list_transform({problems_list(rules)}, p -> struct_pack(column_name := p.column_name, "
        f"value := p.value, reason := {ident} || p.reason))"
    )


def case_audits_checked(con: duckdb.DuckDBPyConnection, home_la: str, key: str) -> list[str]:
    """``_ca_audits_checked``: the audits typed, with their problems; returns the theme grade columns."""
    grades = [c for c in _columns(con, "_ca_audits") if c.startswith("GRADE_")]
    joins = " ".join(f"left join _ca_grades {q('_g_' + c)} on {q('_g_' + c)}.word = {squashed(c)}" for c in grades)
    grade_cells = "".join(f"{q('_g_' + c)}.label as {q(c.lower())}, " for c in grades)
    check = hmac.new(key.encode(), f"{home_la.strip()}:\x00pseudonym-check".encode(), hashlib.sha256).hexdigest()[:12]
    con.execute(
        "create or replace temp table _ca_audits_checked as select "
        f"{text('AUDIT_ID')} as audit_id, k.child_key, ?::varchar as la_code, ?::varchar as pseudonym_check, "
        f"{date_of('AUDIT_DATE')}::varchar as audit_date, {text('TEAM')} as team, ct.code as case_type, "
        f"{text('AUDITOR_TYPE')} as auditor_type, og.label as overall_grade, "
        f"{yes_no_sql('CP_PLAN_NEEDED')} as cp_plan_needed, {yes_no_sql('ASSESSMENT_UP_TO_DATE')} as "
        f"assessment_up_to_date, {grade_cells}"
        f"t._file_path, t._row_number, {_prefixed(case_audit_checks(con, home_la), 'audit', 'AUDIT_ID')} as problems "
        f"from _ca_audits t left join _child_keys k on k._clear_id = {text('CHILD_ID')} "
        f"left join _ca_types ct on ct.code = upper({text('CASE_TYPE')}) "
        f"left join _ca_grades og on og.word = {squashed('OVERALL_GRADE')} {joins}",
        [home_la, check],
    )
    return [c.lower() for c in grades]


def case_actions_checked(con: duckdb.DuckDBPyConnection) -> None:
    """``_ca_actions_checked``: the actions typed, with their problems."""
    rules = [
        problem(f"{text(c)} is null", c.lower(), "null", f"'{c.lower()} is blank: every action needs one'")
        for c in ("ACTION_ID", "AUDIT_ID")
    ]
    rules += [
        audit_date_rule("DUE_DATE", True, "action"),
        audit_date_rule("COMPLETED_DATE", False, "action", " (leave it blank while the action is open)"),
    ]
    con.execute(
        f"create or replace temp table _ca_actions_checked as select {text('ACTION_ID')} as action_id, "
        f"{text('AUDIT_ID')} as audit_id, {text('ACTION_TYPE')} as action_type, {text('OWNER_TEAM')} as owner_team, "
        f"{date_of('DUE_DATE')}::varchar as due_date, {date_of('COMPLETED_DATE')}::varchar as completed_date, "
        f"_file_path, _row_number, {_prefixed(rules, 'action', 'ACTION_ID')} as problems from _ca_actions"
    )


def load_case_audits(con: duckdb.DuckDBPyConnection, home_la: str, key: str, run_id: str, files: list[Path]) -> int:
    """Case-audit CSV exports into the three raw tables (theme grades in long form); returns rows loaded."""
    from pipelines.lib.case_audits import ACTIONS_TABLE, AUDITS_TABLE, THEMES_TABLE

    landed = land_layouts(con, files, CASE_AUDIT_LAYOUTS)
    case_audit_words(con)
    loaded = 0
    if "_ca_audits" in landed:
        child_keys(
            con,
            f"select distinct ?::varchar, {text('CHILD_ID')} from _ca_audits where {text('CHILD_ID')} is not null",
            key,
            [home_la],
        )
        grades = case_audits_checked(con, home_la, key)
        duplicates(con, "_ca_audits_checked", ("audit_id",), "audit_id", "audit_id")
        quarantine(con, "_ca_audits_checked", "case_audits", AUDITS_TABLE.name, run_id)
        load_log(con, "_ca_audits_checked", "case_audits", AUDITS_TABLE.name, run_id)
        loaded += publish_raw(con, "_ca_audits_checked", AUDITS_TABLE.name, AUDITS_TABLE.columns, "null", run_id)
        themes = " union all ".join(
            f"select audit_id, '{g.removeprefix('grade_')}' as theme, {q(g)} as grade, _file_path, null::varchar as "
            f"_sheet, _row_number, ?::varchar as _run_id from _ca_audits_checked where len(problems) = 0 "
            f"and {q(g)} is not null"
            for g in grades
        )
        con.execute(f"create or replace table raw.{q(THEMES_TABLE.name)} as {themes}", [run_id] * len(grades))
    if "_ca_actions" in landed:
        case_actions_checked(con)
        duplicates(con, "_ca_actions_checked", ("action_id",), "action_id", "action_id")
        quarantine(con, "_ca_actions_checked", "case_audits", ACTIONS_TABLE.name, run_id)
        load_log(con, "_ca_actions_checked", "case_audits", ACTIONS_TABLE.name, run_id)
        loaded += publish_raw(con, "_ca_actions_checked", ACTIONS_TABLE.name, ACTIONS_TABLE.columns, "null", run_id)
    return loaded


# ------------------------------------------------------------------------------------------------------------
# DuckDB's native reading of the landing folder (the denominator of ingest_ratio)
# ------------------------------------------------------------------------------------------------------------
def native_read(landing: Path, memory_limit: str = "1GB") -> dict:
    """Every CSV of the landing folder read as text by DuckDB, one ``read_csv(..., all_varchar = true)`` per
    layout (files of one header line), landed in a table as text: what reading the same files costs DuckDB itself.
    Returns the seconds, files and rows."""
    import time

    start = time.perf_counter()
    files = sorted(p for p in landing.rglob("*") if p.is_file() and p.suffix.lower() == ".csv")
    con = duckdb.connect(config={"memory_limit": memory_limit})
    rows = 0
    try:
        for group in csv_groups(files).values():
            con.execute(
                "create or replace temp table _read as select * from read_csv(?, header = true, delim = ',', "
                "quote = '\"', escape = '\"', all_varchar = true, union_by_name = true)",
                [group],
            )
            rows += con.execute("select count(*) from _read").fetchone()[0]
            con.execute("drop table _read")
    finally:
        con.close()
    return {"seconds": time.perf_counter() - start, "files": len(files), "rows": rows}
