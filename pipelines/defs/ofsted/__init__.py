"""Ofsted inspection outcomes: ingest of raw/ofsted/ and its data-quality checks."""

import dagster as dg
import pandas as pd

from expectations.ofsted import history_suite, judgement_records_suite, workbook_suite
from pipelines.defs.accounting import accounting_check
from pipelines.defs.gx_checks import run_suite_check
from pipelines.defs.ingest_metadata import source_metadata
from pipelines.defs.resources import WarehouseResource
from pipelines.lib.areas import load_la_lookup
from pipelines.lib.ingest import load_source
from pipelines.lib.ofsted import (
    HISTORY_TABLE,
    RECORD_TABLE,
    TABLES,
    WORKBOOK_TABLE,
    parse_ofsted_file,
)
from pipelines.lib.school_areas import load_area_reference

WORKBOOK_KEY = dg.AssetKey(["raw", WORKBOOK_TABLE.name])
RECORDS_KEY = dg.AssetKey(["raw", RECORD_TABLE.name])
HISTORY_KEY = dg.AssetKey(["raw", HISTORY_TABLE.name])
REFERENCE_LA_KEY = dg.AssetKey(["raw", "reference_la_codes"])
TAGS = {"csw/landing": "ofsted", "csw/kind": "statistics"}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(WORKBOOK_KEY, group_name="ofsted", deps=[REFERENCE_LA_KEY], kinds={"duckdb", "python"}, tags=TAGS,
                     description="Rows of Ofsted's 'Local authority inspection outcomes' workbooks (.ods/.xlsx) "
                                 "in raw/ofsted/, one per sheet row, as text."),
        dg.AssetSpec(HISTORY_KEY, group_name="ofsted", deps=[REFERENCE_LA_KEY], kinds={"duckdb", "python"}, tags=TAGS,
                     description="Ofsted's wide inspection-history sheets (2009- SLAC, CP, TLAC, SIF, ILACS side by "
                                 "side on one row per LA) unpivoted at ingest: one row per graded judgement, as text."),
        dg.AssetSpec(RECORDS_KEY, group_name="ofsted", deps=[REFERENCE_LA_KEY], kinds={"duckdb", "python"}, tags=TAGS,
                     description="Ofsted judgement records (CSV/XLSX, one row per graded judgement) in raw/ofsted/."),
    ],
    can_subset=False,
)
def ofsted_raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Load every file in raw/ofsted/: workbooks of every vintage and judgement records, recognised by headers."""
    settings = warehouse.settings()
    areas = load_area_reference(settings.raw_dir / "reference")
    with warehouse.connect() as con:
        result = load_source(
            con, source="ofsted", folder=settings.raw_dir / "ofsted", tables=TABLES,
            parser=lambda path: parse_ofsted_file(path, areas), run_id=context.run.run_id,
            rules_from=settings.raw_dir / "reference",
        )
        for f in result.files:
            if f.status == "rejected":
                context.log.warning(f"{f.file_path} rejected: {f.reason}")
        for key, table in ((WORKBOOK_KEY, WORKBOOK_TABLE), (HISTORY_KEY, HISTORY_TABLE), (RECORDS_KEY, RECORD_TABLE)):
            yield dg.MaterializeResult(asset_key=key, metadata=source_metadata(result, table.name, con))


def _known_codes(warehouse: WarehouseResource) -> set[str]:
    return load_la_lookup(warehouse.settings().raw_dir / "reference").dfe_codes


@dg.asset_check(asset=WORKBOOK_KEY, blocking=True, name="gx_ofsted_workbook",
                description="Great Expectations: LA code known, grades in the ILACS scale, published after "
                            "the inspection, one overall judgement per inspection.")
def gx_ofsted_workbook(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return run_suite_check(context, warehouse, table=WORKBOOK_TABLE.name,
                           suite=workbook_suite(_known_codes(warehouse)))


@dg.asset_check(asset=HISTORY_KEY, blocking=True, name="gx_ofsted_history",
                description="Great Expectations: LA code known, framework known, grades on Ofsted's four-point "
                            "scale, every judgement dated.")
def gx_ofsted_history(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return run_suite_check(context, warehouse, table=HISTORY_TABLE.name,
                           suite=history_suite(_known_codes(warehouse)))


def _with_keys(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["service_key"] = frame["service_area"].str.strip().str.lower()
    frame["judgement_key"] = frame["judgement_area"].str.strip().str.lower()
    return frame


@dg.asset_check(asset=RECORDS_KEY, blocking=True, name="gx_ofsted_judgement_records",
                description="Great Expectations: LA code known, framework known, grade in its framework's "
                            "scale, dates in order, one overall judgement per inspection and service area.")
def gx_ofsted_judgement_records(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return run_suite_check(context, warehouse, table=RECORD_TABLE.name,
                           suite=judgement_records_suite(_known_codes(warehouse)), prepare=_with_keys)


defs = dg.Definitions(
    assets=[ofsted_raw],
    asset_checks=[gx_ofsted_workbook, gx_ofsted_history, gx_ofsted_judgement_records, accounting_check("ofsted", WORKBOOK_KEY)],
)
