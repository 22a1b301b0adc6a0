"""The floor's ingest of the large CSV sources: the project's own SQL rules, called straight on DuckDB.

The floor is what a bare DuckDB script needs to produce the published file. For SSDA903 and the case audits
it calls the sources' batch parsers (:func:`pipelines.lib.sources.ssda903.ssda903_batch`,
:func:`pipelines.lib.sources.case_audits.parse_case_audit_files`): their files landed by DuckDB's own ``read_csv``
(:mod:`pipelines.lib.ingest.native_csv`), typed and checked by the same SQL rules as the refresh (dates, code lists by
collection year, episode sequences, duplicates; pseudonymisation over the distinct identifiers), then writes
what they staged straight into the raw tables and ``quality.rejected_rows`` (:func:`load_batch`). What it
leaves out is the refresh's bookkeeping around the rules: no file hashes, no file states, no replacing of a
file's earlier rows, no Dagster, dbt or Great Expectations.

:func:`native_read` is the denominator of ``ingest_ratio``: every CSV of the landing folder read as text by
DuckDB, with no rules at all.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import duckdb

from pipelines.lib.ingest import batch as ingest_batch
from pipelines.lib.ingest.load import RawTable, batch_chunks, ensure_raw_table


def csv_groups(files: list[Path]) -> dict[tuple[str, ...], list[str]]:
    """The CSV files grouped by their header line (one layout per group): the columns, upper-cased as
    written, and the files."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = handle.readline().strip()
        groups[tuple(c.strip().strip('"') for c in header.split(","))].append(str(path))
    return dict(groups)


def load_batch(
    con: duckdb.DuckDBPyConnection,
    outcome: ingest_batch.BatchOutcome,
    source: str,
    tables: Iterable[RawTable],
    run_id: str,
) -> int:
    """A batch parser's outcome written as the refresh writes a first load (oversized cells quarantined,
    refused files left out, staged rows into ``raw``, the quarantine, one ``quality.load_log`` row per file);
    returns the rows loaded."""
    columns = {table.name: table.columns for table in tables}
    for table in tables:
        ensure_raw_table(con, table)
    ingest_batch.quarantine_oversized_cells(con, outcome, columns)
    ingest_batch.drop_files(con, outcome, list(outcome.refused))
    counts = ingest_batch.file_counts(con, outcome)
    now = dt.datetime.now()
    ingest_batch.write_batch(con, outcome, source=source, columns=columns, run_id=run_id, now=now)
    log = [
        (run_id, path, source, ", ".join(sorted(set(read.tables))) or None, "loaded", read.rows_read, *counts[path])
        for path, read in outcome.read.items()
    ]
    log += [(run_id, path, source, None, "rejected", 0, 0, 0, 0) for path in outcome.refused]
    if log:
        con.executemany(
            "insert into quality.load_log (run_id, file_path, source, table_name, status, rows_read, rows_loaded, "
            "rows_rejected, cells_quarantined, loaded_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*row, now) for row in log],
        )
    return sum(loaded for loaded, _rejected, _entries in counts.values())


def load_ssda903(
    con: duckdb.DuckDBPyConnection, folder: Path, home_la: str, key: str, run_id: str, files: list[Path]
) -> int:
    """SSDA903 returns into the four raw tables by the project's SQL rules, then its rules across tables;
    returns the rows loaded."""
    from pipelines.lib.reference.areas import load_la_lookup
    from pipelines.lib.sources.ssda903 import SOURCE, TABLES, apply_cross_table_rules, ssda903_batch, ssda903_batching

    known_las = load_la_lookup(folder.parent / "reference").dfe_codes
    loaded = 0
    for chunk in batch_chunks([str(f) for f in files], ssda903_batching(folder)):  # the refresh's chunks
        outcome = ingest_batch.parse_batch(
            con,
            lambda c, paths: ssda903_batch(c, paths, root=folder, home_la=home_la, key=key, known_las=known_las),
            [Path(p) for p in chunk],
        )
        loaded += load_batch(con, outcome, SOURCE, TABLES, run_id)
    apply_cross_table_rules(con, run_id)
    return loaded


def load_case_audits(con: duckdb.DuckDBPyConnection, home_la: str, key: str, run_id: str, files: list[Path]) -> int:
    """Case-audit exports into the three raw tables (theme grades in long form) by the project's SQL rules;
    returns the rows loaded."""
    from pipelines.lib.sources.case_audits import SOURCE, TABLES, parse_case_audit_files

    outcome = ingest_batch.parse_batch(
        con, lambda c, paths: parse_case_audit_files(c, paths, home_la=home_la, key=key), files
    )
    return load_batch(con, outcome, SOURCE, TABLES, run_id)


def load_school_statistics(con: duckdb.DuckDBPyConnection, source: str, areas, run_id: str, files: list[Path]) -> int:
    """One school statistics folder (its data files with their ``.meta.csv``) into its long raw table by the
    project's SQL rules; ``areas`` is the area reference. Returns the rows loaded."""
    from pipelines.lib.sources.school_statistics import parse_school_statistics_batch, values_table

    outcome = ingest_batch.parse_batch(
        con, lambda c, paths: parse_school_statistics_batch(c, paths, source, areas), files
    )
    return load_batch(con, outcome, source, [values_table(source)], run_id)


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
