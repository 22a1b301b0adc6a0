"""Publication of the analysts' warehouse file, only after every blocking check has passed."""

import dagster as dg

from pipelines.defs.case_audits import CROSS_FILE_REJECTIONS_KEY
from pipelines.defs.resources import WarehouseResource
from pipelines.defs.transform import mart_keys
from pipelines.lib.outputs.publish import Publication, publish_warehouse, record_published_run

PUBLISHED_KEY = dg.AssetKey(["published", "children_services_duckdb"])
# Steps after dbt that write to the quality schema; publication waits for them.
QUALITY_KEYS = [CROSS_FILE_REJECTIONS_KEY]


@dg.asset(
    key=PUBLISHED_KEY,
    deps=[*mart_keys(), *QUALITY_KEYS],
    group_name="published",
    kinds={"duckdb"},
    description="$CSW_DATA_DIR/children_services.duckdb: the marts and quality schemas, replaced atomically "
    "in a storage version DuckDB 1.x clients can open.",
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    with warehouse.connect() as con:  # the published quality tables show this refresh's files as loaded
        record_published_run(con, context.run.run_id)
    try:
        publication = publish_warehouse(settings.work_db, settings.published_db)
    except BaseException:
        with warehouse.connect() as con:
            record_published_run(con, context.run.run_id, published=False)
        raise
    how = "written afresh" if publication.from_scratch else "updated from the last publication"
    context.log.info(
        f"published {settings.published_db} ({how}): {len(publication.rewritten)} of "
        f"{len(publication.counts)} tables written: {', '.join(publication.rewritten) or 'none'}; "
        f"{len(publication.patched)} patched (only their differing rows): {', '.join(publication.patched) or 'none'}"
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(settings.published_db)),
            "tables": len(publication.counts),
            "tables_written": len(publication.rewritten),
            "tables_patched": len(publication.patched),
            "written_afresh": publication.from_scratch,
            "rows": dg.MetadataValue.md(
                "\n".join(f"- {t}: {n}{_how(publication, t)}" for t, n in publication.counts.items())
            ),
        }
    )


def _how(publication: Publication, table: str) -> str:
    """How the publication wrote a table, as the metadata's row list says it."""
    if table in publication.rewritten:
        return ""
    return " (patched)" if table in publication.patched else " (unchanged)"


defs = dg.Definitions(assets=[published_warehouse])
