"""Reference lists a council drops into raw/reference/ to override the bundled seeds."""

import dagster as dg

from pipelines.defs.accounting import accounting_check
from pipelines.defs.ingest_metadata import source_metadata
from pipelines.defs.resources import WarehouseResource
from pipelines.lib.ingest import load_source
from pipelines.lib.reference import REFERENCE_TABLES, parse_reference_file

KEYS = {table.name: dg.AssetKey(["raw", table.name]) for table in REFERENCE_TABLES}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(key, group_name="reference", kinds={"duckdb", "python"}, tags={"csw/landing": "reference"},
                     description=f"Override of the bundled {name.removeprefix('reference_').replace('_', ' ')} "
                                 "from files in raw/reference/ (empty when none: the bundled seed is used).")
        for name, key in KEYS.items()
    ],
    can_subset=False,
)
def reference_raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Load raw/reference/: LA code lists, regions and statistical neighbour groupings as published."""
    settings = warehouse.settings()
    with warehouse.connect() as con:
        result = load_source(con, source="reference", folder=settings.raw_dir / "reference",
                             tables=REFERENCE_TABLES, parser=parse_reference_file, run_id=context.run.run_id)
        for name, key in KEYS.items():
            yield dg.MaterializeResult(asset_key=key, metadata=source_metadata(result, name, con))


defs = dg.Definitions(
    assets=[reference_raw],
    asset_checks=[accounting_check("reference", KEYS["reference_la_codes"])],
)
