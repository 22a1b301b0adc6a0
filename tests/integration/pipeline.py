"""Run the real refresh in process against a test's landing and data folders."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from pipelines.cli import run_refresh
from pipelines.lib.config import Settings


def refresh(full: bool = False) -> int:
    """One refresh exactly as `make run` does it, on an ephemeral Dagster instance; returns the exit status."""
    return run_refresh(instance=dg.DagsterInstance.ephemeral(), full=full)


def published() -> Path:
    return Settings.from_env().published_db


def query(sql: str, params: list | None = None, db: Path | None = None) -> list[tuple]:
    """Rows of a query on the published warehouse (read-only, as an analyst opens it)."""
    con = duckdb.connect(str(db or published()), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def table_counts(db: Path | None = None) -> dict[str, int]:
    """Rows in every published table."""
    tables = query("select schema_name, table_name from duckdb_tables() order by 1, 2", db=db)
    return {f"{s}.{t}": query(f'select count(*) from "{s}"."{t}"', db=db)[0][0] for s, t in tables}


def make_ofsted_check_fail(monkeypatch, max_rows: int, check: str) -> None:
    """Make the blocking Ofsted workbook check fail on more than ``max_rows`` rows (expectation named ``check``)."""
    import great_expectations as gx

    import pipelines.defs.ofsted as ofsted_defs

    real_suite = ofsted_defs.workbook_suite

    def stricter_suite(known):
        suite = real_suite(known)
        suite.expectations.append(
            gx.expectations.ExpectTableRowCountToBeBetween(max_value=max_rows, meta={"check": check})
        )
        return suite

    monkeypatch.setattr(ofsted_defs, "workbook_suite", stricter_suite)
