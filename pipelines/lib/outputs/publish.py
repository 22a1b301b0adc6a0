"""Publish the working warehouse as the analysts' file, atomically.

The published file is written beside its final place under a temporary folder,
in a storage version that DuckDB 1.x clients can open, flushed to disk and
renamed over the old one. A reader holding the old file open keeps reading it;
the next reader opens the new one; nobody sees a half-written warehouse.

The published quality tables never show a refresh that failed as if its files had loaded: the working
warehouse keeps every refresh's log, and ``quality.published_runs`` lists the refreshes that published.
The published ``quality.load_log`` holds the rows of those refreshes only (a failed refresh's files never
reached the marts); ``quality.check_results`` keeps every refresh's checks (why a refresh failed is worth
seeing), with ``run_published`` telling the two apart.

A publication starts from a copy of the last published file and writes only the tables whose contents
differ from the working warehouse's (same columns and types, same row count, same sum of row hashes), drops
what the working warehouse no longer publishes, and writes the whole file afresh when there is no earlier
file to start from, it cannot be opened, or it has become mostly free space. After a refresh that changed one
LA's return, most marts are the same and are not copied again (docs/performance.md). A table of the same
columns where few rows differ is patched: the rows the working table lacks deleted, the rows it adds
inserted (rows matched by their hashes, as multisets), then its fingerprint compared again; it is rewritten
whole when more than a tenth of its rows differ or the patched table does not match.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NamedTuple

import duckdb

from pipelines.lib.sql import qualified, quote_literal

PUBLISHED_SCHEMAS = ("marts", "quality")
INTERNAL_TABLES = {("quality", "file_state")}
RUNS_DDL = "create table if not exists quality.published_runs (run_id varchar primary key, published_at timestamp)"
_PUBLISHED_RUN = "(run_id in (select run_id from work.quality.published_runs))"
# A table whose differing rows (gone plus new) are more than this share of its rows is rewritten, not patched.
PATCH_AT_MOST = 0.1
# What of a table is published, when the working warehouse says which refreshes published.
_PUBLISHED_SELECTS = {
    ("quality", "load_log"): f"select * from work.quality.load_log where {_PUBLISHED_RUN}",
    ("quality", "check_results"): f"select *, {_PUBLISHED_RUN} as run_published from work.quality.check_results",
}


def record_published_run(con: duckdb.DuckDBPyConnection, run_id: str, published: bool = True) -> None:
    """Record (or, ``published=False``, forget) that refresh ``run_id`` publishes the warehouse."""
    con.execute(RUNS_DDL)
    con.execute("delete from quality.published_runs where run_id = ?", [run_id])
    if published:
        con.execute("insert into quality.published_runs values (?, current_timestamp)", [run_id])


STORAGE_VERSION = "v1.0.0"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def published_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    """(schema, table) pairs of ``catalog`` that are published."""
    rows = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ? order by 1, 2",
        [catalog],
    ).fetchall()
    return [(s, t) for s, t in rows if s in PUBLISHED_SCHEMAS and (s, t) not in INTERNAL_TABLES]


def discard_unfinished_publication(published_db: Path) -> None:
    """Remove what a publication interrupted by a kill or a full disk left beside the published file."""
    shutil.rmtree(published_db.parent / ".publishing", ignore_errors=True)


class Publication(NamedTuple):
    """What a publication wrote: rows per published table, which tables it wrote whole, which it patched."""

    counts: dict[str, int]
    rewritten: list[str]
    from_scratch: bool
    patched: tuple[str, ...] = ()


def _copy_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, runs_known: bool) -> None:
    """Copy one table of ``work`` to ``pub`` (only the published refreshes' rows where that applies)."""
    select = _PUBLISHED_SELECTS.get((schema, table)) if runs_known else None
    target = qualified("pub", schema, table)
    con.execute(f"drop table if exists {target}")
    con.execute(f"create table {target} as " + (select or f"select * from {qualified('work', schema, table)}"))


def _hash_differences(con: duckdb.DuckDBPyConnection, pub: str, work: str) -> tuple[int, int]:
    """Temp tables ``_csw_gone`` (the row hashes of ``pub`` that ``work`` lacks, as a multiset) and ``_csw_new``
    (those ``work`` adds), each copy of a hash numbered (``h``, ``n``), from one pass over both tables; their
    row counts."""
    con.execute(
        "create or replace temp table _csw_diff as select h, sum(side)::bigint as d from ("
        f"select hash(t) as h, 1 as side from {pub} t union all select hash(t), -1 from {work} t"
        ") group by h having sum(side) <> 0"
    )
    con.execute(
        "create or replace temp table _csw_gone as select h, unnest(range(1, d + 1)) as n from _csw_diff where d > 0"
    )
    con.execute(
        "create or replace temp table _csw_new as select h, unnest(range(1, 1 - d)) as n from _csw_diff where d < 0"
    )
    return con.execute(
        "select coalesce(sum(d) filter (where d > 0), 0), coalesce(-sum(d) filter (where d < 0), 0) from _csw_diff"
    ).fetchall()[0]


def _patch_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, rows: int) -> bool:
    """Bring ``pub``'s table to ``work``'s (the same columns and types) by deleting the rows it lacks and
    inserting those it adds; False, nothing changed, when more than ``PATCH_AT_MOST`` of its rows differ."""
    pub, work = qualified("pub", schema, table), qualified("work", schema, table)
    gone, new = _hash_differences(con, pub, work)
    if gone + new > PATCH_AT_MOST * max(rows, 1):
        return False
    # the rows of a table whose hash is in a difference, each copy of a hash numbered as there
    numbered = (
        "select *, row_number() over (partition by h) as n from "
        "(select rowid as r, t.*, hash(t) as h from {} t) where h in (select h from {})"
    )
    con.execute(
        f"delete from {pub} where rowid in "
        f"(select r from ({numbered.format(pub, '_csw_gone')}) semi join _csw_gone using (h, n))"
    )
    con.execute(
        f"insert into {pub} select * exclude (r, h, n) from "
        f"({numbered.format(work, '_csw_new')}) semi join _csw_new using (h, n)"
    )
    return True


def table_fingerprint(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> tuple | None:
    """A table's columns with their types, its row count and the sum of its rows' hashes (order does not
    matter, a repeated row counts twice); ``None`` when there is no such table."""
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        [catalog, schema, table],
    ).fetchall()
    if not columns:
        return None
    rows, total = con.execute(
        f"select count(*), sum(hash(t)::hugeint) from {qualified(catalog, schema, table)} t"
    ).fetchall()[0]
    return (tuple(columns), rows, total)


def _attach_pub(con: duckdb.DuckDBPyConnection, staged: Path) -> None:
    """Attach ``staged`` as ``pub``, in the storage version DuckDB 1.x clients can open (ATTACH takes no bind
    parameters: the path and the version are quoted literals)."""
    con.execute(f"attach {quote_literal(staged)} as pub (storage_version {quote_literal(STORAGE_VERSION)})")


def _attach_last_publication(con: duckdb.DuckDBPyConnection, published_db: Path, staged: Path) -> bool:
    """Attach a copy of the last published file as ``pub``; False (nothing attached) when there is none, it
    cannot be opened, or more of it is free space than data (it is then better written afresh)."""
    if not published_db.is_file():
        return False
    shutil.copyfile(published_db, staged)
    try:
        _attach_pub(con, staged)
    except duckdb.Error:
        staged.unlink(missing_ok=True)
        return False
    used, free = con.execute(
        "select used_blocks, free_blocks from pragma_database_size() where database_name = 'pub'"
    ).fetchall()[0]
    if free > used:
        con.execute("detach pub")
        staged.unlink()
        return False
    return True


def _drop_unpublished(con: duckdb.DuckDBPyConnection, publishing: set[tuple[str, str]]) -> None:
    """Drop from ``pub`` every table, view and schema that this publication does not publish."""
    for schema, name, kind in con.execute(
        "select schema_name, table_name, 'table' from duckdb_tables() where database_name = 'pub' union all "
        "select schema_name, view_name, 'view' from duckdb_views() where database_name = 'pub' and not internal"
    ).fetchall():
        if (schema, name) not in publishing:
            con.execute(f"drop {kind} {qualified('pub', schema, name)}")
    for (schema,) in con.execute(
        "select schema_name from duckdb_schemas() where database_name = 'pub' and not internal"
    ).fetchall():
        if schema not in PUBLISHED_SCHEMAS and schema != "main":
            con.execute(f"drop schema {qualified('pub', schema)} cascade")


def _bring_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, runs_known: bool) -> str | None:
    """Bring one table of ``pub`` to ``work``'s: None when it is the same, else 'patched' or 'rewritten'."""
    if runs_known and (schema, table) in _PUBLISHED_SELECTS:  # differs from work's: always written
        _copy_table(con, schema, table, runs_known)
        return "rewritten"
    wanted, found = table_fingerprint(con, "work", schema, table), table_fingerprint(con, "pub", schema, table)
    if wanted == found:
        return None
    patched = found is not None and found[0] == wanted[0] and _patch_table(con, schema, table, wanted[1])
    if patched and table_fingerprint(con, "pub", schema, table) == wanted:  # else rewritten: never a wrong file
        return "patched"
    _copy_table(con, schema, table, runs_known)
    return "rewritten"


def _update_publication(con: duckdb.DuckDBPyConnection, from_scratch: bool) -> dict[str, str]:
    """Bring ``pub`` to the published tables of ``work``, writing only those that differ: how each was written."""
    for schema in PUBLISHED_SCHEMAS:
        con.execute(f"create schema if not exists {qualified('pub', schema)}")
    tables = published_tables(con, "work")
    runs_known = ("quality", "published_runs") in tables
    _drop_unpublished(con, set(tables))
    written = {}
    for schema, table in tables:
        if from_scratch:
            _copy_table(con, schema, table, runs_known)
            how = "rewritten"
        else:
            how = _bring_table(con, schema, table, runs_known)
        if how:
            written[f"{schema}.{table}"] = how
    return written


def _row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {
        f"{schema}.{table}": con.execute(f"select count(*) from {qualified('pub', schema, table)}").fetchall()[0][0]
        for schema, table in published_tables(con, "pub")
    }


def publish_warehouse(work_db: Path, published_db: Path) -> Publication:
    """Publish the published schemas of ``work_db`` as ``published_db``, atomically."""
    staging_dir = published_db.parent / ".publishing"
    discard_unfinished_publication(published_db)
    staging_dir.mkdir(parents=True)
    staged = staging_dir / published_db.name
    con = duckdb.connect()
    try:
        con.execute(f"attach {quote_literal(work_db)} as work (read_only)")  # ATTACH takes no bind parameters
        from_scratch = not _attach_last_publication(con, published_db, staged)
        if from_scratch:
            _attach_pub(con, staged)
        written = _update_publication(con, from_scratch)
        counts = _row_counts(con)
        con.execute("checkpoint pub")
        con.execute("detach pub")
        con.execute("detach work")
    finally:
        con.close()
    _fsync(staged)
    os.replace(staged, published_db)
    _fsync(published_db.parent)
    shutil.rmtree(staging_dir, ignore_errors=True)
    rewritten = [name for name, how in written.items() if how == "rewritten"]
    return Publication(
        counts, rewritten, from_scratch, tuple(name for name, how in written.items() if how == "patched")
    )
