"""School absence and exclusions: ingest of raw/school_absence/ and raw/school_exclusions/ and their checks.

Both folders take the same files (DfE EES open-data CSVs with or without their .meta.csv, and the pre-EES
LA time series); each folder is its own source with its own long raw table.
"""

import dagster as dg

from expectations.schools import check_query, prepare_frame, school_statistics_suite
from pipelines.defs.accounting import accounting_check
from pipelines.defs.gx_checks import run_suite_check
from pipelines.defs.ingest_metadata import source_metadata
from pipelines.defs.resources import WarehouseResource
from pipelines.lib.ingest import load_source
from pipelines.lib.school_areas import load_area_reference
from pipelines.lib.school_statistics import (
    SOURCES,
    meta_companions,
    parse_period,
    parse_school_statistics_batch,
    values_table,
)

REFERENCE_KEYS = [dg.AssetKey(["raw", "reference_la_codes"]), dg.AssetKey(["raw", "reference_regions"])]
DESCRIPTIONS = {
    "school_absence": "pupil absence",
    "school_exclusions": "exclusions and suspensions",
}


def _ingest_asset(source: str) -> dg.AssetsDefinition:
    table = values_table(source)

    @dg.asset(
        key=dg.AssetKey(["raw", table.name]),
        group_name=source,
        deps=REFERENCE_KEYS,
        kinds={"duckdb", "python"},
        tags={"csw/landing": source, "csw/kind": "statistics"},
        description=(
            f"DfE {DESCRIPTIONS[source]} statistics in raw/{source}/ (EES open-data CSVs with their .meta.csv, "
            "and the pre-EES LA time series), one row per indicator cell: period, area, breakdown, indicator, "
            "the published text, the number and its status symbol."
        ),
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        settings = warehouse.settings()
        reference = load_area_reference(settings.raw_dir / "reference")
        with warehouse.connect() as con:
            result = load_source(
                con, source=source, folder=settings.raw_dir / source, tables=[table],
                batch_parser=lambda batch_con, paths: parse_school_statistics_batch(
                    batch_con, paths, source, reference),
                run_id=context.run.run_id, companions=meta_companions, rules_from=settings.raw_dir / "reference",
            )
            for f in result.files:
                if f.status == "rejected":
                    context.log.warning(f"{f.file_path} rejected: {f.reason}")
                elif f.status == "loaded":
                    context.log.info(f"{f.file_path}: {f.rows_loaded} rows loaded, {f.rows_rejected} quarantined; "
                                     f"{f.reason or ''}")
            return dg.MaterializeResult(metadata=source_metadata(result, table.name, con))

    return _asset


def _check(source: str) -> dg.AssetChecksDefinition:
    table = values_table(source)

    @dg.asset_check(
        asset=dg.AssetKey(["raw", table.name]), blocking=True, name=f"gx_{table.name}",
        description="Great Expectations: required EES columns present, geographic levels National/Regional/Local "
                    "authority, England, region and LA codes known (LAs for their period), percentages within "
                    "0-100, counts not negative (fractional counts load as published), status symbols c/x/z/low/u.",
    )
    def _gx(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        reference = load_area_reference(warehouse.settings().raw_dir / "reference")

        def known_in_period(la_code, time_period, time_identifier):
            try:
                return reference.exists_in(la_code, parse_period(time_period, time_identifier or "").period)
            except ValueError:
                return False

        return run_suite_check(
            context, warehouse, table=table.name,
            suite=school_statistics_suite(table.name, reference.known_la_codes, reference.regions),
            prepare=lambda frame: prepare_frame(frame, known_in_period), query=check_query(table.name),
        )

    return _gx


defs = dg.Definitions(
    assets=[_ingest_asset(source) for source in SOURCES],
    asset_checks=[_check(source) for source in SOURCES]
    + [accounting_check(source, dg.AssetKey(["raw", values_table(source).name])) for source in SOURCES],
)
