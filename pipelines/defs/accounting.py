"""The accounting check every source carries: each file's rows read = rows loaded + rows quarantined."""

import dagster as dg

from pipelines.defs.gx_checks import record_check_results
from pipelines.defs.resources import WarehouseResource

UNACCOUNTED_SQL = """
    select file_path, rows_read, rows_loaded, rows_rejected
    from quality.load_log
    where run_id = ? and source = ? and status <> 'unchanged' and rows_read <> rows_loaded + rows_rejected
    order by file_path
"""


def accounting_check(source: str, asset_key: dg.AssetKey) -> dg.AssetChecksDefinition:
    """A blocking check on ``asset_key``: no row of any file of ``source`` loaded in this run went missing."""

    @dg.asset_check(
        asset=asset_key,
        name=f"rows_accounted_for_{source}",
        blocking=True,
        description=f"Every {source} file loaded in this run: rows read = rows loaded + rows quarantined.",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as con:
            bad = con.execute(UNACCOUNTED_SQL, [context.run.run_id, source]).fetchall()
            files = con.execute(
                "select count(*), coalesce(sum(rows_read), 0) from quality.load_log "
                "where run_id = ? and source = ? and status = 'loaded'",
                [context.run.run_id, source],
            ).fetchall()[0]
            details = "; ".join(
                f"{path}: read {read}, loaded {loaded}, quarantined {rejected}" for path, read, loaded, rejected in bad
            )
            record_check_results(
                con,
                context.run.run_id,
                asset_key.to_user_string(),
                [
                    (
                        f"accounting: {source}",
                        not bad,
                        "ERROR",
                        details or f"{files[0]} file(s), {files[1]} row(s) all accounted for",
                    )
                ],
            )
        return dg.AssetCheckResult(
            passed=not bad,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(
                f"rows unaccounted for in {details}"
                if bad
                else f"{files[0]} file(s) loaded, every one of their {files[1]} rows accounted for"
            ),
            metadata={"files_checked": files[0], "rows_read": files[1], "files_unaccounted": len(bad)},
        )

    return _check
