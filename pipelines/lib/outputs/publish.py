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
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from pipelines.lib.sql import qualified, quote_literal

PUBLISHED_SCHEMAS = ("marts", "quality")
INTERNAL_TABLES = {("quality", "file_state")}
RUNS_DDL = "create table if not exists quality.published_runs (run_id varchar primary key, published_at timestamp)"
_PUBLISHED_RUN = "(run_id in (select run_id from work.quality.published_runs))"
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


def _copy_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, runs_known: bool) -> int:
    """Copy one table of ``work`` to ``pub`` (only the published refreshes' rows where that applies); its rows."""
    select = _PUBLISHED_SELECTS.get((schema, table)) if runs_known else None
    target = qualified("pub", schema, table)
    con.execute(f"create table {target} as " + (select or f"select * from {qualified('work', schema, table)}"))
    return con.execute(f"select count(*) from {target}").fetchall()[0][0]


def publish_warehouse(work_db: Path, published_db: Path) -> dict[str, int]:
    """Copy the published schemas of ``work_db`` to ``published_db`` atomically; returns rows per table."""
    staging_dir = published_db.parent / ".publishing"
    discard_unfinished_publication(published_db)
    staging_dir.mkdir(parents=True)
    staged = staging_dir / published_db.name
    counts: dict[str, int] = {}
    con = duckdb.connect()
    try:
        # ATTACH takes no bind parameters: the paths and the storage version are quoted literals.
        con.execute(f"attach {quote_literal(work_db)} as work (read_only)")
        con.execute(f"attach {quote_literal(staged)} as pub (storage_version {quote_literal(STORAGE_VERSION)})")
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists {qualified('pub', schema)}")
        runs_known = ("quality", "published_runs") in published_tables(con, "work")
        for schema, table in published_tables(con, "work"):
            counts[f"{schema}.{table}"] = _copy_table(con, schema, table, runs_known)
        con.execute("checkpoint pub")
        con.execute("detach pub")
        con.execute("detach work")
    finally:
        con.close()
    _fsync(staged)
    os.replace(staged, published_db)
    _fsync(published_db.parent)
    shutil.rmtree(staging_dir, ignore_errors=True)
    return counts
