"""Case-file audits: ingest of raw/case_audits/, its data-quality checks, and the cross-file quarantine."""

import datetime as dt

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from expectations.case_audits import (
    actions_check_query,
    actions_suite,
    audits_check_query,
    audits_suite,
    theme_grades_check_query,
    theme_grades_suite,
)
from pipelines.defs.resources import WarehouseResource
from pipelines.defs.sources import LoadContext, SourceSpec, SuiteCheck, SuiteRun, described, source_definitions
from pipelines.defs.transform import warehouse_dbt_models
from pipelines.lib.ingest.load import SourceResult, load_source
from pipelines.lib.sources.case_audits import (
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

# Written after dbt: the actions the cross-file rules keep out of marts.case_audit_actions.
CROSS_FILE_REJECTIONS_KEY = dg.AssetKey(["quality", "case_audit_cross_file_rejections"])
DESCRIPTIONS = {
    AUDITS_TABLE.name: "Audit rows of the case-file audit exports in raw/case_audits/, as text: child_id "
    "pseudonymised to child_key (with the home LA code), theme grades split off.",
    THEMES_TABLE.name: "Theme grades of the audits (any grade_* column), one row per audit and theme.",
    ACTIONS_TABLE.name: "Follow-up actions of the case-file audit exports, as text (the free-text description "
    "is never read).",
}


def load_case_audits(ctx: LoadContext) -> SourceResult:
    """Load every file in raw/case_audits/: audits and actions tables, recognised by their headers."""
    settings, con, key = ctx.settings, ctx.con, ctx.pseudonym_key
    if stale_pseudonyms(con, settings.home_la, key):
        ctx.log.info(
            "CSW_HOME_LA or CSW_PSEUDONYM_KEY changed since the last load: re-reading every "
            "case-audit file so every child_key is made the same way"
        )
        forget_loaded_files(con)
    return load_source(
        con,
        source=SOURCE,
        folder=settings.raw_dir / SOURCE,
        tables=TABLES,
        batch_parser=lambda c, paths: parse_case_audit_files(c, paths, home_la=settings.home_la, key=key),
        run_id=ctx.run_id,
        one_transaction=True,
    )


CHECKS = (
    SuiteCheck(
        "gx_case_audit_rows",
        AUDITS_TABLE.name,
        "Great Expectations: no child_id column, child_key a pseudonym, audit date present "
        "and not in the future, case type and grade known, Y/N flags, audit_id unique per file (validated on "
        "a summary of the table made in SQL).",
        lambda settings: SuiteRun(audits_suite(), query=audits_check_query()),
    ),
    SuiteCheck(
        "gx_case_audit_theme_grades",
        THEMES_TABLE.name,
        "Great Expectations: theme grades on the scale, one per audit and theme (validated on a "
        "summary of the table made in SQL).",
        lambda settings: SuiteRun(theme_grades_suite(), query=theme_grades_check_query()),
    ),
    SuiteCheck(
        "gx_case_audit_action_rows",
        ACTIONS_TABLE.name,
        "Great Expectations: no description column, ids and due date present, completed "
        "date not in the future, action_id unique per file (validated on a summary of the table "
        "made in SQL).",
        lambda settings: SuiteRun(actions_suite(), query=actions_check_query()),
    ),
)

SPECS = (
    SourceSpec(
        name=SOURCE,
        tables=described(TABLES, DESCRIPTIONS),
        load=load_case_audits,
        group=SOURCE,
        tags={"csw/landing": SOURCE, "csw/kind": "local"},
        checks=CHECKS,
        accounting_table=AUDITS_TABLE.name,
        position=2,
        child_level=True,
        description=load_case_audits.__doc__,
    ),
)


@dg.asset(
    key=CROSS_FILE_REJECTIONS_KEY,
    deps=[get_asset_key_for_model([warehouse_dbt_models], CROSS_FILE_MODEL[1])],
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
    return dg.MaterializeResult(
        metadata={
            "rows_quarantined": count,
            "preview": dg.MetadataValue.md(sample.to_markdown(index=False) if len(sample) else "none"),
        }
    )


defs = dg.Definitions.merge(source_definitions(*SPECS), dg.Definitions(assets=[case_audit_cross_file_rejections]))
