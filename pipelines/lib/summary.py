"""The short summary a refresh prints: files, rows, checks, where the warehouse is, how to query it."""

from __future__ import annotations

import datetime as dt
import shlex
import sys
from pathlib import Path

import duckdb

from pipelines.lib.freshness import RULES, evaluate

SOURCES = ("reference", "ofsted", "case_audits", "school_absence", "school_exclusions", "ssda903",
           "adoption_scorecards")


def refresh_summary(work_db: Path, run_id: str, published_db: Path | None) -> list[str]:
    """Lines describing run ``run_id`` from the quality tables of the working warehouse."""
    con = duckdb.connect(str(work_db), read_only=True)
    try:
        files = con.execute(
            "select source, status, count(*), sum(rows_loaded), sum(rows_rejected) from quality.load_log "
            "where run_id = ? group by all order by 1, 2", [run_id]).fetchall()
        rejected = con.execute(
            "select file_path, reason from quality.load_log where run_id = ? and status = 'rejected' order by 1",
            [run_id]).fetchall()
        checks = con.execute(
            "select count(*) filter (where passed), count(*) filter (where not passed and severity = 'ERROR'), "
            "count(*) filter (where not passed and severity <> 'ERROR') from quality.check_results "
            "where run_id = ?", [run_id]).fetchall()[0]
        failed_checks = con.execute(
            "select asset, check_name, details from quality.check_results where run_id = ? and not passed "
            "and severity = 'ERROR' order by 1, 2 limit 10", [run_id]).fetchall()
    finally:
        con.close()
    by_status: dict[str, int] = {}
    rows_loaded = rows_rejected = 0
    sources_seen = set()
    for source, status, n, loaded, rej in files:
        sources_seen.add(source)
        by_status[status] = by_status.get(status, 0) + n
        rows_loaded += loaded or 0
        rows_rejected += rej or 0
    lines = [
        "Files: " + ", ".join(f"{by_status.get(s, 0)} {s}" for s in ("loaded", "unchanged", "rejected")),
    ]
    empty = [s for s in SOURCES if s not in sources_seen]
    if empty:
        lines.append("No files (no data) for: " + ", ".join(empty))
    lines += [f"  rejected file {path}: {reason}" for path, reason in rejected]
    lines.append(f"Rows: {rows_loaded} loaded, {rows_rejected} quarantined (see quality.rejected_rows)")
    lines.append(f"Checks: {checks[0] or 0} passed, {checks[1] or 0} failed, {checks[2] or 0} warning(s)")
    lines += [f"  failed {asset} {name}: {details}" for asset, name, details in failed_checks]
    lines += freshness_lines(work_db)
    if published_db is not None:
        lines.append(f"Published: {published_db}")
        lines.append(example_query_line(published_db))
    return lines


def example_query_line(published_db: Path) -> str:
    """A query on the published file, runnable as printed from any folder: the DuckDB CLI of the project's
    environment (a locked dependency, beside this Python), by its absolute path."""
    cli = Path(sys.executable).parent / "duckdb"
    command = shlex.quote(str(cli)) if cli.exists() else "duckdb"
    return (f"Example query: {command} -readonly {shlex.quote(str(published_db))} "
            "\"select * from marts.latest_inspection_outcomes where la_code = '865'\"")


def freshness_lines(work_db: Path, today: dt.date | None = None) -> list[str]:
    """One line naming the stale sources (and those with no data), if any."""
    if not work_db.exists():
        return []
    con = duckdb.connect(str(work_db), read_only=True)
    try:
        results = [evaluate(con, rule, today or dt.date.today()) for rule in RULES]
    finally:
        con.close()
    stale = [r for r in results if r.stale]
    if not stale:
        return ["Stale sources: none"]
    return [f"Stale sources: {', '.join(r.source for r in stale)}"] + [
        f"  {r.source}: {r.describe()}" for r in stale]
