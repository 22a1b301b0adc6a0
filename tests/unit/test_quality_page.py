"""The data-quality page from quality tables written here: latest result and history of each check, the files
whose latest load was rejected, quarantined rows counted by reason, everything escaped, nothing from elsewhere."""

from __future__ import annotations

import datetime as dt
import re

import duckdb

from pipelines.lib.ingest.load import QUALITY_DDL
from pipelines.lib.outputs.quality_page import HISTORY_KEPT, write_quality_page

T0 = dt.datetime(2026, 1, 1, 9, 0)


def warehouse(path):
    con = duckdb.connect(str(path))
    for statement in QUALITY_DDL:
        con.execute(statement)
    return con


def test_page_lists_latest_results_history_rejected_files_and_reasons(tmp_path):
    db = tmp_path / "work.duckdb"
    con = warehouse(db)
    for i, (passed, severity) in enumerate([(True, "WARN"), (False, "WARN"), (False, "WARN")]):
        con.execute(
            "insert into quality.check_results values (?, ?, 'raw/case_audit_rows', 'freshness: case_audits', ?, ?, ?)",
            [f"run{i}", T0 + dt.timedelta(days=i), passed, severity, f"stale <b>{i}</b>"],
        )
    for i in range(HISTORY_KEPT + 5):
        con.execute(
            "insert into quality.check_results values (?, ?, 'dbt', 'dbt: not_null_x', true, 'ERROR', 'pass')",
            [f"run{i}", T0 + dt.timedelta(days=i)],
        )
    con.execute(
        "insert into quality.check_results values ('r', ?, 'raw/x', 'gx: LA code known', false, 'ERROR', '3 rows')",
        [T0],
    )
    log = (
        "insert into quality.load_log (run_id, file_path, sha256, source, table_name, status, rows_read, "
        "rows_loaded, rows_rejected, reason, loaded_at) values ('r', ?, 'h', 'ofsted', 't', ?, 0, 0, 0, ?, ?)"
    )
    con.execute(log, ["/raw/ofsted/fixed.csv", "rejected", "missing column grade", T0])
    con.execute(log, ["/raw/ofsted/fixed.csv", "loaded", None, T0 + dt.timedelta(days=1)])
    con.execute(log, ["/raw/ofsted/notes.csv", "rejected", "not an Ofsted file: <columns>", T0])
    rows = "insert into quality.rejected_rows values (?, ?, 'grade', 'x', ?, ?, 'ofsted', 't', 'r')"
    for n, reason in enumerate(["not a grade", "not a grade", "not a real date"]):
        con.execute(rows, [f"/raw/ofsted/f{n % 2}.csv", n + 2, reason, T0])
    con.execute(rows, ["/raw/ofsted/f0.csv", 30, "not a real date", T0])  # row 30 comes after row 4
    con.close()

    path, counts = write_quality_page(db, tmp_path / "quality", T0)
    page = path.read_text(encoding="utf-8")
    assert counts == {"checks": 3, "rejected_files": 1, "quarantined_rows": 4}
    assert re.findall(r"<td class='check-name'>([^<]*)</td><td class='(\w+)'>", page) == [
        ("gx: LA code known", "failed"),
        ("freshness: case_audits", "warning"),
        ("dbt: not_null_x", "passed"),
    ]
    assert f"{HISTORY_KEPT} result(s), newest first: {'✓' * HISTORY_KEPT}" in page
    assert "3 result(s), newest first: !!✓" in page and "stale &lt;b&gt;2&lt;/b&gt;" in page
    assert "notes.csv" in page and "not an Ofsted file: &lt;columns&gt;" in page and "fixed.csv" not in page
    assert "<td>not a grade</td><td class='num'>2</td><td class='num'>2</td>" in page
    assert "<td>not a real date</td><td class='num'>2</td><td class='num'>1</td><td>/raw/ofsted/f0.csv row 4<" in page
    assert ">1 failed<" in page and ">1 warning(s)<" in page and ">4 quarantined row(s) and cell(s)<" in page
    assert "<script" not in page and not re.search(r"(src|href)\s*=", page)


def test_page_of_an_empty_warehouse_says_so(tmp_path):
    warehouse(tmp_path / "work.duckdb").close()
    path, counts = write_quality_page(tmp_path / "work.duckdb", tmp_path / "q", T0)
    page = path.read_text(encoding="utf-8")
    assert counts == {"checks": 0, "rejected_files": 0, "quarantined_rows": 0}
    assert "No check has run yet." in page and "No row is quarantined." in page
