"""The short summary a refresh prints: files, rows, checks, where the warehouse is, how to query it."""

from __future__ import annotations

import datetime as dt
import shlex
import sys
from pathlib import Path

import duckdb

from pipelines.lib.operations.freshness import RULES, evaluate


def source_names() -> list[str]:
    """The sources in the order the summary names them: the order of their specs (``pipelines/defs``), so a new
    source is named without a line here."""
    from pipelines.defs.sources import source_specs

    return [spec.name for spec in source_specs()]


def refresh_summary(work_db: Path, run_id: str, published_db: Path | None) -> list[str]:
    """Lines describing run ``run_id`` from the quality tables of the working warehouse."""
    con = duckdb.connect(str(work_db), read_only=True)
    try:
        files = con.execute(
            "select source, status, count(*), sum(rows_loaded), sum(rows_rejected), sum(cells_quarantined) "
            "from quality.load_log where run_id = ? group by all order by 1, 2",
            [run_id],
        ).fetchall()
        kept = dict(con.execute("select source, count(*) from quality.file_state group by 1").fetchall())
        rejected = con.execute(
            "select file_path, reason from quality.load_log where run_id = ? and status = 'rejected' order by 1",
            [run_id],
        ).fetchall()
        checks = con.execute(
            "select count(*) filter (where passed), count(*) filter (where not passed and severity = 'ERROR'), "
            "count(*) filter (where not passed and severity <> 'ERROR') from quality.check_results "
            "where run_id = ?",
            [run_id],
        ).fetchall()[0]
        failed_checks = con.execute(
            "select asset, check_name, details from quality.check_results where run_id = ? and not passed "
            "and severity = 'ERROR' order by 1, 2 limit 10",
            [run_id],
        ).fetchall()
    finally:
        con.close()
    by_status: dict[str, int] = {}
    for _source, status, n, *_counts in files:
        by_status[status] = by_status.get(status, 0) + n
    lines = [
        "Files: " + ", ".join(f"{by_status.get(s, 0)} {s}" for s in ("loaded", "unchanged", "rejected")),
        *source_lines(files, kept),
    ]
    lines += [f"  rejected file {path}: {reason}" for path, reason in rejected]
    lines.append(rows_line(files))
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
    return (
        f"Example query: {command} -readonly {shlex.quote(str(published_db))} "
        "\"select * from marts.latest_inspection_outcomes where la_code = '865'\""
    )


def source_lines(files: list[tuple], kept: dict[str, int]) -> list[str]:
    """Per source: what this run re-read, what it found unchanged (or did not re-run), what has no data.

    ``files``: (source, status, files, ...) of this run's ``quality.load_log``; ``kept``: files per source in
    the warehouse now (``quality.file_state``), which covers the sources an incremental run did not re-run."""
    statuses: dict[str, dict[str, int]] = {}
    for source, status, n, *_counts in files:
        statuses.setdefault(source, {})[status] = n
    known = source_names()
    sources = [*known, *sorted((set(statuses) | set(kept)) - set(known))]
    reread, unchanged, empty = [], [], []
    for source in sources:
        seen = statuses.get(source, {})
        read = ", ".join(f"{seen[s]} {s}" for s in ("loaded", "rejected") if seen.get(s))
        if read:
            reread.append(f"{source} ({read})")
        if seen.get("unchanged"):
            unchanged.append(f"{source} ({_files(seen['unchanged'])})")
        elif not seen and kept.get(source):
            unchanged.append(f"{source} ({_files(kept[source])}, not re-run: its folder did not change)")
        elif not seen:
            empty.append(source)
    lines = []
    if reread:
        lines.append("Re-read: " + ", ".join(reread))
    if unchanged:
        lines.append("Unchanged: " + ", ".join(unchanged))
    if empty:
        lines.append("No files (no data) for: " + ", ".join(empty))
    return lines


def _files(n: int) -> str:
    return f"{n} file{'' if n == 1 else 's'}"


def rows_line(files: list[tuple]) -> str:
    """Rows loaded and quarantined by this run; the quarantined rows and cells are the entries the run's files
    have in ``quality.rejected_rows`` (a row partly loaded, with a cell quarantined, is one of them)."""
    loaded = sum(row[3] or 0 for row in files)
    whole = sum(row[4] or 0 for row in files)
    entries = sum(row[5] or 0 for row in files)
    return (
        f"Rows: {loaded} loaded, {whole} quarantined whole; {entries} quarantined rows and cells "
        "(see quality.rejected_rows)"
    )


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
    return [f"Stale sources: {', '.join(r.source for r in stale)}"] + [f"  {r.source}: {r.describe()}" for r in stale]
