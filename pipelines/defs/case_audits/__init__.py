"""Case-file audits: ingest of raw/case_audits/, its data-quality checks, and the cross-file quarantine."""

import datetime as dt

import dagster as dg

from expectations.case_audits import (
    actions_check_query,
    actions_suite,
    audits_check_query,
    audits_suite,
    theme_grades_check_query,
    theme_grades_suite,
)
from pipelines.defs.accounting import accounting_check
from pipelines.defs.gx_checks import run_suite_check
from pipelines.defs.ingest_metadata import source_metadata
from pipelines.defs.resources import WarehouseResource, child_level_key
from pipelines.lib.case_audits import (
    ACTIONS_TABLE,
    AUDITS_TABLE,
    CROSS_FILE_MODEL,
    SOURCE,
    TABLES,
    THEMES_TABLE,
    forget_loaded_files,
    parse_case_audit_files,
    record_cross_file_rejections,
    stale_pseudonyms,
)
from pipelines.lib.ingest import ensure_raw_table, load_source

KEYS = {table.name: dg.AssetKey(["raw", table.name]) for table in TABLES}
# Written after dbt: the actions the cross-file rules keep out of marts.case_audit_actions.
CROSS_FILE_REJECTIONS_KEY = dg.AssetKey(["quality", "case_audit_cross_file_rejections"])

DESCRIPTIONS = {
    AUDITS_TABLE.name: "Audit rows of the case-file audit exports in raw/case_audits/, as text: child_id "
                       "pseudonymised to child_key (with the home LA code), theme grades split off.",
    THEMES_TABLE.name: "Theme grades of the audits (any grade_* column), one row per audit and theme.",
    ACTIONS_TABLE.name: "Follow-up actions of the case-file audit exports, as text (the free-text description "
                        "is never read).",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(key, group_name=SOURCE, kinds={"duckdb", "python"}, description=DESCRIPTIONS[name],
                     tags={"csw/landing": SOURCE, "csw/kind": "local"})
        for name, key in KEYS.items()
    ],
    can_subset=False,
)
def case_audits_raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Load every file in raw/case_audits/: audits and actions tables, recognised by their headers."""
    settings = warehouse.settings()
    key = child_level_key(context, settings, SOURCE)
    with warehouse.connect() as con:
        for table in TABLES:
            ensure_raw_table(con, table)
        if stale_pseudonyms(con, settings.home_la, key):
            context.log.info("CSW_HOME_LA or CSW_PSEUDONYM_KEY changed since the last load: re-reading every "
                             "case-audit file so every child_key is made the same way")
            forget_loaded_files(con)
        result = load_source(
            con, source=SOURCE, folder=settings.raw_dir / SOURCE, tables=TABLES,
            batch_parser=lambda c, paths: parse_case_audit_files(c, paths, home_la=settings.home_la, key=key),
            run_id=context.run.run_id, one_transaction=True,
        )
        for f in result.files:
            if f.status == "rejected":
                context.log.warning(f"{f.file_path} rejected: {f.reason}")
        for name, asset_key in KEYS.items():
            yield dg.MaterializeResult(asset_key=asset_key, metadata=source_metadata(result, name, con))


@dg.asset_check(asset=KEYS[AUDITS_TABLE.name], blocking=True, name="gx_case_audit_rows",
                description="Great Expectations: no child_id column, child_key a pseudonym, audit date present "
                            "and not in the future, case type and grade known, Y/N flags, audit_id unique per file (validated on a summary of the table made in SQL).")
def gx_case_audit_rows(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return run_suite_check(context, warehouse, table=AUDITS_TABLE.name, suite=audits_suite(),
                           query=audits_check_query())


@dg.asset_check(asset=KEYS[THEMES_TABLE.name], blocking=True, name="gx_case_audit_theme_grades",
                description="Great Expectations: theme grades on the scale, one per audit and theme (validated on a "
                            "summary of the table made in SQL).")
def gx_case_audit_theme_grades(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return run_suite_check(context, warehouse, table=THEMES_TABLE.name, suite=theme_grades_suite(),
                           query=theme_grades_check_query())


@dg.asset_check(asset=KEYS[ACTIONS_TABLE.name], blocking=True, name="gx_case_audit_action_rows",
                description="Great Expectations: no description column, ids and due date present, completed "
                            "date not in the future, action_id unique per file (validated on a summary of the table "
                            "made in SQL).")
def gx_case_audit_action_rows(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    return run_suite_check(context, warehouse, table=ACTIONS_TABLE.name, suite=actions_suite(),
                           query=actions_check_query())


@dg.asset(
    key=CROSS_FILE_REJECTIONS_KEY,
    deps=[dg.AssetKey(list(CROSS_FILE_MODEL))],
    group_name=SOURCE,
    kinds={"duckdb", "python"},
    description="Actions kept out of marts.case_audit_actions by the rules that need every loaded file (an "
                "action whose audit does not exist; an action completed before its audit), written to "
                "quality.rejected_rows with file, row, column, value and reason. The rules themselves are the dbt "
                "model intermediate.int_case_audit_actions_validated.",
)
def case_audit_cross_file_rejections(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        count = record_cross_file_rejections(con, context.run.run_id, dt.datetime.now())
        sample = con.execute(
            "select file_path, row_number, column_name, value, reason from quality.rejected_rows "
            "where source = 'case_audits' and table_name = 'marts.case_audit_actions' order by 1, 2 limit 10"
        ).df()
    if count:
        context.log.warning(f"{count} case-audit action row(s) quarantined by the cross-file rules")
    return dg.MaterializeResult(metadata={
        "rows_quarantined": count,
        "preview": dg.MetadataValue.md(sample.to_markdown(index=False) if len(sample) else "none"),
    })


defs = dg.Definitions(
    assets=[case_audits_raw, case_audit_cross_file_rejections],
    asset_checks=[gx_case_audit_rows, gx_case_audit_theme_grades, gx_case_audit_action_rows,
                  accounting_check(SOURCE, KEYS[AUDITS_TABLE.name])],
)
