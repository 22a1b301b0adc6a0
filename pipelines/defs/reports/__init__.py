"""What the warehouse hands to people: the committee report, the benchmarks workbook and the dbt docs.

All three run after ``dbt build`` (beside publication, not before it: a report that fails never holds the
warehouse back) and read the working warehouse read-only, one step at a time. The report and the workbook
use only the published (disclosure-controlled) tables.
"""

import datetime as dt

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from pipelines.defs.publish import PUBLISHED_KEY
from pipelines.defs.resources import WarehouseResource
from pipelines.defs.transform import DBT_EXECUTABLE, mart_keys, warehouse_dbt_models
from pipelines.lib.outputs.committee_report import write_report
from pipelines.lib.outputs.dbt_docs import generate_docs
from pipelines.lib.outputs.excel_export import export_benchmarks
from pipelines.lib.outputs.quality_page import write_quality_page

REPORT_KEY = dg.AssetKey(["reports", "committee_report"])
WORKBOOK_KEY = dg.AssetKey(["reports", "benchmarks_xlsx"])
DOCS_KEY = dg.AssetKey(["docs", "dbt_docs"])
QUALITY_PAGE_KEY = dg.AssetKey(["docs", "quality_page"])
# The dbt models the report and the workbook read (keys as the dbt assets give them: a renamed or moved model
# fails at import, not as a dependency on an asset that does not exist).
REPORT_MARTS = [
    get_asset_key_for_model([warehouse_dbt_models], name)
    for name in (
        "published_indicator_values",
        "published_indicator_benchmarks",
        "indicator_catalogue",
        "inspection_judgements",
        "inspection_overall_judgements",
        "dim_local_authority",
    )
]


def _charts_markdown(charts) -> str:
    """Each chart as an image the Dagster UI shows (matplotlib's SVG as a data URI; title, sources and date are
    drawn in it)."""
    return "\n\n".join(f"![{chart.title}]({chart.data_uri()})" for chart in charts)


def _summary_markdown(la_name: str, rows: list[dict]) -> str:
    head = (
        f"| Indicator | Unit | Period | {la_name} | England | Region | Neighbours mean / median (n) | Rank | Band "
        "| RAG |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [
            r["indicator"],
            r["unit"],
            r["period"],
            r["value"],
            r["england"],
            r["region"],
            r["neighbours"],
            r["rank"],
            r["band"],
            r["rag"],
        ]
        lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


@dg.asset(
    key=REPORT_KEY,
    deps=REPORT_MARTS,
    group_name="reports",
    kinds={"html"},
    description="The committee report for the home LA (CSW_HOME_LA): one self-contained HTML page in "
    "$CSW_DATA_DIR/reports/ with inline SVG charts drawn by matplotlib (Ofsted grades per framework "
    "and the record of main findings, adoption scorecard, persistent absence and suspensions against "
    "comparators, case-file audits), each sourced by publication and date; published figures only.",
)
def committee_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    report, path = write_report(settings.work_db, settings.home_la, settings.reports_dir, dt.datetime.now())
    context.log.info(f"committee report written to {path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "url": dg.MetadataValue.url(path.as_uri()),
            "home_la": f"{report.la_name} ({report.home_la})",
            "charts": len(report.charts),
            "chart_images": dg.MetadataValue.md(_charts_markdown(report.charts)),
            "latest_position": dg.MetadataValue.md(_summary_markdown(report.la_name, report.summary)),
        }
    )


@dg.asset(
    key=WORKBOOK_KEY,
    deps=REPORT_MARTS,
    group_name="reports",
    kinds={"excel"},
    description="The home LA's published benchmarks as an Excel workbook in $CSW_DATA_DIR/reports/ "
    "(text that could be read as a formula is written as text).",
)
def benchmarks_workbook(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    path, rows = export_benchmarks(settings.work_db, settings.home_la, settings.reports_dir, dt.datetime.now())
    context.log.info(f"benchmarks workbook written to {path} ({rows} rows)")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "url": dg.MetadataValue.url(path.as_uri()),
            "rows": rows,
        }
    )


@dg.asset(
    key=DOCS_KEY,
    deps=mart_keys(),
    group_name="docs",
    kinds={"dbt"},
    description="dbt docs of every model and column, as one static page: $CSW_DATA_DIR/dbt_docs/index.html.",
)
def dbt_docs(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    result = generate_docs(warehouse.settings(), DBT_EXECUTABLE)
    context.log.info(
        f"dbt docs {'written to' if result.regenerated else 'unchanged (same dbt project) in'} {result.index}"
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.index)),
            "url": dg.MetadataValue.url(result.index.as_uri()),
            "models": result.models,
            "sources": result.sources,
            "columns_in_catalog": result.columns,
            "regenerated": result.regenerated,
        }
    )


@dg.asset(
    key=QUALITY_PAGE_KEY,
    deps=[PUBLISHED_KEY],
    group_name="docs",
    kinds={"html"},
    description="The data-quality page, $CSW_DATA_DIR/quality/index.html: every check with its latest result "
    "and history, every rejected file with its reason, the quarantined rows counted by reason. One "
    "self-contained file (no scripts or styles from elsewhere): it opens offline.",
)
def quality_page(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    path, counts = write_quality_page(settings.work_db, settings.data_dir / "quality", dt.datetime.now())
    context.log.info(f"data-quality page written to {path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "url": dg.MetadataValue.url(path.as_uri()),
            **counts,
        }
    )


defs = dg.Definitions(assets=[committee_report, benchmarks_workbook, dbt_docs, quality_page])
