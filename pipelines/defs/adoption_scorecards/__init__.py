"""Published adoption scorecards (benchmarks): ingest of raw/adoption_scorecards/ and its checks."""

import dagster as dg

from expectations.ssda903 import published_scorecards_suite
from pipelines.defs.accounting import accounting_check
from pipelines.defs.gx_checks import run_suite_check
from pipelines.defs.ingest_metadata import source_metadata
from pipelines.defs.resources import WarehouseResource
from pipelines.lib.adoption_scorecards import SOURCE, TABLE, TABLES, parse_scorecard_file
from pipelines.lib.areas import load_la_lookup
from pipelines.lib.ingest import load_source

KEY = dg.AssetKey(["raw", TABLE.name])
REFERENCE_LA_KEY = dg.AssetKey(["raw", "reference_la_codes"])


@dg.asset(key=KEY, group_name="adoption_scorecards", deps=[REFERENCE_LA_KEY], kinds={"duckdb", "python"},
          tags={"csw/landing": "adoption_scorecards", "csw/kind": "statistics"},
          description="Published adoption scorecard figures (England, regions, other LAs) from "
                      "raw/adoption_scorecards/, EES-shaped CSV, one row per area, period and indicator.")
def adoption_scorecards_raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    lookup = load_la_lookup(settings.raw_dir / "reference")
    with warehouse.connect() as con:
        result = load_source(con, source=SOURCE, folder=settings.raw_dir / "adoption_scorecards", tables=TABLES,
                             parser=lambda path: parse_scorecard_file(path, lookup), run_id=context.run_id,
                             rules_from=settings.raw_dir / "reference")
        for f in result.files:
            if f.status == "rejected":
                context.log.warning(f"{f.file_path} rejected: {f.reason}")
        return dg.MaterializeResult(metadata=source_metadata(result, TABLE.name, con))


@dg.asset_check(asset=KEY, blocking=True, name="gx_adoption_scorecards_published",
                description="Great Expectations: indicator A1/A2/A3/A10, period end year, numeric values, "
                            "one value per area, period and indicator in a file.")
def gx_adoption_scorecards_published(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return run_suite_check(context, warehouse, table=TABLE.name, suite=published_scorecards_suite())


defs = dg.Definitions(
    assets=[adoption_scorecards_raw],
    asset_checks=[gx_adoption_scorecards_published, accounting_check("adoption_scorecards", KEY)],
)
