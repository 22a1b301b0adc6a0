"""Batch loading: every new or changed file of a source parsed by one call, written set-based.

A source whose rules are SQL over many files at once (its CSVs landed by DuckDB in one ``read_csv`` call,
see :mod:`pipelines.lib.ingest.native_csv`) gives :func:`pipelines.lib.ingest.load.load_source` a ``batch_parser``
instead of a per-file ``parser``. The machinery still hashes each file and skips the unchanged ones; it then
calls the batch parser once with all the others, and writes what it staged, its quarantine entries, the
files' states and their log rows in a few statements for the whole batch. Each file's counts are computed
in SQL as :class:`pipelines.lib.ingest.rules.ParsedTable` computes them for one file: ``rows_loaded`` = distinct
rows of the file of which something loaded (per table), ``rows_rejected`` = quarantined rows of which
nothing loaded, ``cells_quarantined`` = the file's entries in ``quality.rejected_rows``.

A batch parser that raises is not allowed to stop the source: each file is then parsed alone, so that only
the file that breaks it is rejected, with the error as its reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.lib.sql import quote_identifier as quote_ident

MAX_CELL_CHARACTERS = 32_767  # what a spreadsheet cell can hold; anything longer is a broken export
REJECTION_COLUMNS = ("file_path", "row_number", "column_name", "value", "reason", "table_name")


@dataclass
class FileRead:
    """What a batch parser read of one file: the tables it recognised, its data rows, notes for the log."""

    tables: list[str] = field(default_factory=list)
    rows_read: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class BatchOutcome:
    """What a batch parser gives back (see the module docstring).

    ``staged``: raw table name -> temporary table on the connection with that raw table's columns (text) and
    ``_file_path``, ``_sheet``, ``_row_number``. ``rejections``: a temporary table with ``REJECTION_COLUMNS``,
    or None. ``read``: every file parsed. ``refused``: files rejected whole, with the reason."""

    staged: dict[str, str] = field(default_factory=dict)
    rejections: str | None = None
    read: dict[str, FileRead] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    not_counted: set[str] = field(default_factory=set)
    """Staged tables whose rows are counted with another table's (a wide row unpivoted: case-audit themes)."""


BatchParser = Callable[[duckdb.DuckDBPyConnection, list[Path]], BatchOutcome]


def empty_rejections(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """A new empty temporary quarantine table ``name`` with ``REJECTION_COLUMNS``; returns its name."""
    con.execute(
        f"create or replace temp table {quote_ident(name)} (file_path varchar, row_number bigint, "
        "column_name varchar, value varchar, reason varchar, table_name varchar)"
    )
    return name


def parse_batch(con: duckdb.DuckDBPyConnection, parser: BatchParser, paths: list[Path]) -> BatchOutcome:
    """The batch parser over ``paths``; when it raises, over each file alone, the failing ones refused."""
    if not paths:
        return BatchOutcome()
    try:
        return parser(con, paths)
    except Exception as exc:
        if len(paths) == 1:
            return BatchOutcome(refused={str(paths[0]): f"the file could not be read ({type(exc).__name__}: {exc})"})
    merged = BatchOutcome(rejections=empty_rejections(con, "_csw_batch_rejections"))
    for path in paths:
        _merge_into(con, merged, parse_batch(con, parser, [path]))
    return merged


def _merge_into(con, merged: BatchOutcome, part: BatchOutcome) -> None:
    """Add one file's outcome to ``merged`` (its staged rows copied, since the parser reuses its table names)."""
    merged.read.update(part.read)
    merged.refused.update(part.refused)
    merged.not_counted |= part.not_counted
    for table, staged in part.staged.items():
        target = merged.staged.setdefault(table, f"_csw_batch_{table}")
        exists = con.execute(
            "select count(*) from duckdb_tables() where temporary and table_name = ?", [target]
        ).fetchone()[0]
        verb = "insert into" if exists else "create temp table"
        con.execute(f"{verb} {quote_ident(target)} {'' if exists else 'as '}select * from {quote_ident(staged)}")
    if part.rejections:
        con.execute(
            f"insert into {quote_ident(merged.rejections)} select {', '.join(REJECTION_COLUMNS)} "
            f"from {quote_ident(part.rejections)}"
        )


def quarantine_oversized_cells(
    con: duckdb.DuckDBPyConnection, outcome: BatchOutcome, columns: dict[str, tuple[str, ...]]
) -> None:
    """Rows holding a cell longer than a spreadsheet cell can be leave the staged tables for the quarantine,
    the value shortened (as :func:`pipelines.lib.ingest.load.quarantine_oversized_cells` does for one file)."""
    if outcome.rejections is None:
        outcome.rejections = empty_rejections(con, "_csw_batch_rejections")
    for table, staged in outcome.staged.items():
        for column in columns[table]:
            con.execute(
                f"insert into {quote_ident(outcome.rejections)} select _file_path, _row_number, ?, "
                f"left({quote_ident(column)}, 200) || '…', 'the cell is ' || format('{{:,}}', "
                f"length({quote_ident(column)})) || ' characters long, longer than the ' || format('{{:,}}', ?::bigint)"
                " || ' a spreadsheet cell can hold: probably a broken export; check the row in the file', ? "
                f"from {quote_ident(staged)} where length({quote_ident(column)}) > ?",
                [column, MAX_CELL_CHARACTERS, table, MAX_CELL_CHARACTERS],
            )
        long_cells = " or ".join(f"length({quote_ident(c)}) > ?" for c in columns[table])
        if long_cells:
            con.execute(
                f"delete from {quote_ident(staged)} where {long_cells}", [MAX_CELL_CHARACTERS] * len(columns[table])
            )


def drop_files(con: duckdb.DuckDBPyConnection, outcome: BatchOutcome, paths: list[str]) -> None:
    """Forget ``paths`` in ``outcome`` (refused, or repeating a file of the batch): their staged rows and
    quarantine entries are not written."""
    if not paths:
        return
    for staged in outcome.staged.values():
        con.execute(f"delete from {quote_ident(staged)} where _file_path in (select unnest(?::varchar[]))", [paths])
    if outcome.rejections:
        con.execute(
            f"delete from {quote_ident(outcome.rejections)} where file_path in (select unnest(?::varchar[]))", [paths]
        )
    for path in paths:
        outcome.read.pop(path, None)


def file_counts(con: duckdb.DuckDBPyConnection, outcome: BatchOutcome) -> dict[str, tuple[int, int, int]]:
    """Per file of the batch: (rows_loaded, rows_rejected, cells_quarantined), computed in SQL."""
    loaded = (
        " union all ".join(
            f"select distinct _file_path, ? as table_name, _sheet, _row_number from {quote_ident(staged)}"
            for table, staged in outcome.staged.items()
            if table not in outcome.not_counted
        )
        or "select null::varchar as _file_path, null::varchar as table_name, "
        "null::varchar as _sheet, null::bigint as _row_number where false"
    )
    rejections = (
        quote_ident(outcome.rejections)
        if outcome.rejections
        else "(select null::varchar as file_path, null::bigint as row_number, null::varchar as table_name where false)"
    )
    rows = con.execute(
        f"""with loaded as ({loaded}),
        loaded_counts as (select _file_path as file_path, count(*) as n from loaded group by all),
        rejected as (select distinct r.file_path, r.table_name, r.row_number from {rejections} r
            where not exists (select 1 from loaded l where l._file_path = r.file_path
                and l.table_name = r.table_name and l._row_number is not distinct from r.row_number)),
        rejected_counts as (select file_path, count(*) as n from rejected group by all),
        entries as (select file_path, count(*) as n from {rejections} group by all)
        select f.file_path, coalesce(l.n, 0), coalesce(r.n, 0), coalesce(e.n, 0)
        from (select unnest(?::varchar[]) as file_path) f
        left join loaded_counts l using (file_path) left join rejected_counts r using (file_path)
        left join entries e using (file_path)""",
        [*(t for t in outcome.staged if t not in outcome.not_counted), list(outcome.read)],
    ).fetchall()
    return {path: (loaded_n, rejected_n, entries_n) for path, loaded_n, rejected_n, entries_n in rows}


ROWS_PER_BATCH = 100_000  # rows per Arrow batch when staged rows cross from one connection to another


def _insert_from(con, target: str, select: str, params: list, staged_on: duckdb.DuckDBPyConnection | None) -> None:
    """``insert into target <select>``; with ``staged_on``, the select runs there (where the staged tables
    are) and its rows stream to ``con`` as Arrow batches, so memory holds one batch at a time."""
    if staged_on is None:
        con.execute(f"insert into {target} {select}", params)
        return
    reader = staged_on.execute(select, params).fetch_record_batch(ROWS_PER_BATCH)
    con.register("_csw_incoming", reader)
    try:
        con.execute(f"insert into {target} select * from _csw_incoming")
    finally:
        con.unregister("_csw_incoming")


def write_batch(
    con: duckdb.DuckDBPyConnection,
    outcome: BatchOutcome,
    *,
    source: str,
    columns: dict[str, tuple[str, ...]],
    run_id: str,
    now: dt.datetime,
    staged_on: duckdb.DuckDBPyConnection | None = None,
) -> None:
    """Insert the staged rows into their raw tables and the quarantine into ``quality.rejected_rows``; the
    staged tables are on ``staged_on`` when the parser ran on another connection (default: ``con``)."""
    for table, staged in outcome.staged.items():
        names = ", ".join(quote_ident(c) for c in (*columns[table], "_file_path", "_sheet", "_row_number", "_run_id"))
        values = ", ".join([*(quote_ident(c) for c in columns[table]), "_file_path", "_sheet", "_row_number", "?"])
        _insert_from(
            con,
            f"raw.{quote_ident(table)} ({names})",
            f"select {values} from {quote_ident(staged)}",
            [run_id],
            staged_on,
        )
    if outcome.rejections:
        _insert_from(
            con,
            "quality.rejected_rows (file_path, row_number, column_name, value, reason, rejected_at, source, "
            "table_name, run_id)",
            "select file_path, row_number, column_name, value, reason, ?::timestamp, ?::varchar, table_name, "
            f"?::varchar from {quote_ident(outcome.rejections)}",
            [now, source, run_id],
            staged_on,
        )
