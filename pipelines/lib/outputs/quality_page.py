"""The data-quality page: one self-contained HTML file (no scripts, fonts or styles from elsewhere, so it opens
offline) built from ``quality.check_results``, ``quality.load_log`` and ``quality.rejected_rows``.

It lists every check with its latest result and its history, every file whose latest load was rejected with
the reason, and the quarantined rows counted by reason.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path

import duckdb

HISTORY_KEPT = 30  # results of each check shown in its history, newest first
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #1b1b1b; max-width: 90em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; vertical-align: top; font-size: 0.9em;
         overflow-wrap: anywhere; }
table.wide { table-layout: fixed; }
th { background: #f0f0f0; }
.passed { color: #0b6b2b; font-weight: 600; } .failed { color: #b00020; font-weight: 600; }
.warning { color: #8a5a00; font-weight: 600; } .rejected { color: #b00020; font-weight: 600; }
.counts span { display: inline-block; margin-right: 2em; font-size: 1.1em; }
details summary { cursor: pointer; } td.num { text-align: right; }
"""


@dataclass(frozen=True)
class CheckResult:
    run_id: str
    checked_at: dt.datetime
    asset: str
    check_name: str
    passed: bool
    severity: str
    details: str

    @property
    def status(self) -> str:
        """passed, failed (a blocking check: nothing was published) or warning."""
        if self.passed:
            return "passed"
        return "failed" if self.severity == "ERROR" else "warning"


def read_check_history(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[CheckResult]]:
    """Each check's results, newest first (at most ``HISTORY_KEPT``)."""
    rows = con.execute(
        "select run_id, checked_at, asset, check_name, passed, severity, coalesce(details, '') from ("
        "  select *, row_number() over (partition by asset, check_name order by checked_at desc) as n"
        "  from quality.check_results) where n <= ? order by asset, check_name, checked_at desc",
        [HISTORY_KEPT],
    ).fetchall()
    history: dict[tuple[str, str], list[CheckResult]] = {}
    for row in rows:
        result = CheckResult(*row)
        history.setdefault((result.asset, result.check_name), []).append(result)
    return history


def read_rejected_files(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(file, source, reason, when) of every file whose latest load was rejected."""
    return con.execute(
        "select file_path, source, coalesce(reason, ''), loaded_at from ("
        "  select *, row_number() over (partition by source, file_path order by loaded_at desc) as n"
        "  from quality.load_log) where n = 1 and status = 'rejected' order by source, file_path"
    ).fetchall()


def read_quarantine(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(source, table, column, reason, entries, files, first file and row) of the quarantined rows and cells,
    by reason."""
    return con.execute(
        "select source, table_name, column_name, reason, count(*), count(distinct file_path), "
        "  min_by(file_path || ' row ' || row_number, (file_path, row_number)) "
        "from quality.rejected_rows group by all order by 5 desc, 1, 2, 3, 4"
    ).fetchall()


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


def _check_row(results: list[CheckResult]) -> str:
    latest = results[0]
    marks = "".join({"passed": "✓", "failed": "✗", "warning": "!"}[r.status] for r in results)
    history = "".join(
        f"<tr><td>{_when(r.checked_at)}</td><td class='{r.status}'>{r.status}</td><td>{_e(r.details)}</td>"
        f"<td>{_e(r.run_id)}</td></tr>"
        for r in results
    )
    return (
        f"<tr class='check'><td>{_e(latest.asset)}</td><td class='check-name'>{_e(latest.check_name)}</td>"
        f"<td class='{latest.status}'>{latest.status}</td><td>{_when(latest.checked_at)}</td>"
        f"<td>{_e(latest.details)}</td><td><details><summary>{len(results)} result(s), newest first: {marks}"
        f"</summary><table><tr><th>checked</th><th>result</th><th>details</th><th>run</th></tr>{history}"
        "</table></details></td></tr>"
    )


def _table(headers: dict[str, int], rows: list[str], empty: str) -> str:
    """A table of ``rows`` under ``headers`` (name: width in per cent of the page)."""
    if not rows:
        return f"<p>{_e(empty)}</p>"
    head = "".join(f"<th style='width: {width}%'>{_e(name)}</th>" for name, width in headers.items())
    return f"<table class='wide'><tr>{head}</tr>{''.join(rows)}</table>"


def render_quality_page(history, rejected_files, quarantine, generated_at: dt.datetime) -> str:
    latest = [results[0] for results in history.values()]
    count = {s: sum(r.status == s for r in latest) for s in ("passed", "failed", "warning")}
    quarantined = sum(q[4] for q in quarantine)
    checks = [
        _check_row(history[key])
        for key in sorted(history, key=lambda k: (["failed", "warning", "passed"].index(history[k][0].status), k))
    ]
    files = [
        f"<tr><td>{_e(f)}</td><td>{_e(s)}</td><td class='rejected'>rejected</td><td>{_e(r)}</td>"
        f"<td>{_when(w)}</td></tr>"
        for f, s, r, w in rejected_files
    ]
    reasons = [
        f"<tr><td>{_e(s)}</td><td>{_e(t)}</td><td>{_e(c)}</td><td>{_e(r)}</td><td class='num'>{n}</td>"
        f"<td class='num'>{nf}</td><td>{_e(first)}</td></tr>"
        for s, t, c, r, n, nf, first in quarantine
    ]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Data quality: children's services warehouse</title>
<style>{STYLE}</style></head><body>
<h1>Data quality</h1>
<p>Built {_when(generated_at)} from <code>quality.check_results</code>, <code>quality.load_log</code> and
<code>quality.rejected_rows</code> of the warehouse. The same tables are in the published file.</p>
<p class="counts"><span id="checks-passed">{count["passed"]} check(s) passed</span>
<span id="checks-failed">{count["failed"]} failed</span><span id="checks-warning">{count["warning"]} warning(s)</span>
<span id="files-rejected">{len(rejected_files)} file(s) rejected</span>
<span id="rows-quarantined">{quarantined} quarantined row(s) and cell(s)</span></p>
<h2 id="checks">Checks (Great Expectations, dbt tests, freshness)</h2>
<p>Each check's latest result, then its history (the newest {HISTORY_KEPT}). A failed check blocked
publication; a warning did not.</p>
{
        _table(
            {"asset": 12, "check": 24, "latest": 6, "checked": 8, "details": 25, "history": 25},
            checks,
            "No check has run yet.",
        )
    }
<h2 id="files">Rejected files</h2>
{
        _table(
            {"file": 30, "source": 10, "status": 7, "reason": 45, "when": 8},
            files,
            "No file was rejected at its latest load.",
        )
    }
<h2 id="quarantine">Quarantined rows and cells, by reason</h2>
<p>Each entry of <code>quality.rejected_rows</code>: a row left out, or one cell of a row whose other cells
loaded (the summary's "quarantined rows and cells" and <code>quality.load_log.cells_quarantined</code>).</p>
{
        _table(
            {"source": 9, "table": 14, "column": 12, "reason": 30, "entries": 5, "files": 5, "first": 25},
            reasons,
            "No row is quarantined.",
        )
    }
</body></html>
"""


def write_quality_page(work_db: Path, out_dir: Path, generated_at: dt.datetime) -> tuple[Path, dict[str, int]]:
    """Write ``out_dir/index.html`` from the warehouse's quality tables; returns its path and counts."""
    con = duckdb.connect(str(work_db), read_only=True)
    try:
        history, files, quarantine = read_check_history(con), read_rejected_files(con), read_quarantine(con)
    finally:
        con.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    partial = path.with_suffix(".html.partial")
    partial.write_text(render_quality_page(history, files, quarantine, generated_at), encoding="utf-8")
    partial.replace(path)
    return path, {
        "checks": len(history),
        "rejected_files": len(files),
        "quarantined_rows": sum(q[4] for q in quarantine),
    }
