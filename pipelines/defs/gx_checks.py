"""Run a Great Expectations suite on a raw table as a Dagster asset check, and record the verdicts."""

import datetime as dt
from collections.abc import Callable

import dagster as dg
import pandas as pd

from expectations.runner import data_docs_index, validate_frame
from pipelines.defs.resources import WarehouseResource


def record_check_results(con, run_id: str, asset: str, rows: list[tuple[str, bool, str, str]]) -> None:
    """Append (check_name, passed, severity, details) rows to quality.check_results."""
    now = dt.datetime.now()
    con.executemany(
        "insert into quality.check_results values (?, ?, ?, ?, ?, ?, ?)",
        [(run_id, now, asset, name, passed, severity, details) for name, passed, severity, details in rows],
    )


def run_suite_check(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    *,
    table: str,
    suite: object,
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    query: str | None = None,
) -> dg.AssetCheckResult:
    """Validate ``raw.<table>`` with ``suite``; ERROR severity, so a failure blocks what is downstream.

    ``query`` replaces ``select * from raw.<table>`` as the frame validated (e.g. a long table summarised
    per file, indicator and area, so that a national-scale table is checked quickly)."""
    settings = warehouse.settings()
    with warehouse.connect() as con:
        frame = con.execute(query or f'select * from raw."{table}"').df()
    if prepare is not None:
        frame = prepare(frame)
    outcomes = validate_frame(frame, suite, settings.data_docs_dir, asset_name=f"raw_{table}")
    failed = [o for o in outcomes if not o.passed]
    with warehouse.connect() as con:
        record_check_results(
            con,
            context.run.run_id,
            f"raw/{table}",
            [(f"gx: {o.name}", o.passed, "ERROR", o.details) for o in outcomes],
        )
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{len(outcomes) - len(failed)} of {len(outcomes)} expectations met"
            + (": failed " + "; ".join(f"{o.name} ({o.details})" for o in failed) if failed else "")
        ),
        metadata={
            "rows_checked": len(frame),
            "expectations": len(outcomes),
            "failed": dg.MetadataValue.md("\n".join(f"- {o.name}: {o.details}" for o in failed) or "none"),
            "data_docs": dg.MetadataValue.path(str(data_docs_index(settings.data_docs_dir))),
        },
    )
