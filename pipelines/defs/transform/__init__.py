"""The dbt project as Dagster assets: seeds, staging, intermediate and marts, with dbt tests as checks."""

import datetime as dt
import os
import sys
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from pipelines.defs.resources import WarehouseResource
from pipelines.lib.config import DBT_MEMORY_LIMIT, DBT_PROJECT_DIR, MEMORY_LIMIT_ENV
from pipelines.lib.descriptions import dbt_test_description, markdown_literal

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


class WarehouseDbtCliResource(DbtCliResource):
    """``DbtCliResource`` without two start-up costs of each dbt step that this project does not use (3 s a
    refresh, measured by the benchmark: docs/performance.md).

    - The dbt version: the resource asks the executable (``dbt --version``, a process that imports dbt: 1.7 s).
      Ours is the ``dbt`` of this environment, whose dbt-core is the one imported here.
    - A dbt adapter opened in the Dagster process (loading the profile, the project and dbt's macros: 1 s),
      which dagster-dbt uses only to fetch row counts or column metadata; the assets fetch neither.
    """

    @cached_property
    def _cli_version(self):
        from dbt.version import __version__
        from packaging import version

        return version.parse(__version__)

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


class WarehouseDbtTranslator(DagsterDbtTranslator):
    """All dbt -> Dagster mapping in one place.

    Models are keyed by schema and name (``marts/inspection_judgements``), seeds under
    ``reference/``, and sources by the ``meta.dagster.asset_key`` that names the ingest
    asset writing them, so lineage runs unbroken from raw file to mart.
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "source":
            return super().get_asset_key(dbt_resource_props)
        if resource_type == "seed":
            return dg.AssetKey(["reference", dbt_resource_props["name"]])
        schema = dbt_resource_props["config"].get("schema") or dbt_resource_props["schema"]
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return markdown_literal(super().get_description(dbt_resource_props))

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetCheckSpec | None:
        """dagster-dbt's check for a dbt test, with a description saying what the test tests."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        description = dbt_test_description(manifest["nodes"][unique_id], asset_spec.key.to_user_string(), manifest)
        return spec._replace(description=markdown_literal(description))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props["fqn"]
        if len(fqn) > 3 and fqn[1] == "staging":
            return fqn[2]
        return fqn[1]


TRANSLATOR = WarehouseDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
# Run tag: "skip" leaves out the dbt unit tests, which test the SQL and not the data: the refresh CLI sets it
# when the code is the one the last successful refresh ran (and tested). Other runs (UI, schedules) run them.
UNIT_TESTS_TAG = "csw/dbt_unit_tests"
# Run tag: "true" lets dbt build its incremental models incrementally (the benchmarks, by indicator:
# macros/indicator_benchmarks_incremental.sql). The refresh CLI sets it for an incremental refresh, whose code is
# that of the last successful refresh; every other run (a full refresh, the UI, schedules, the sensor) builds
# them whole (dbt's --full-refresh), so a change of their SQL never meets a table the old SQL built.
INCREMENTAL_TAG = "csw/dbt_incremental"


def _test_rows(run_results: dict) -> list[tuple[str, bool, str, str]]:
    rows = []
    for result in run_results.get("results", []):
        unique_id = result.get("unique_id", "")
        if not unique_id.startswith("test."):
            continue
        status = result.get("status")
        details = (result.get("message") or status or "").strip()
        if result.get("failures"):
            details = f"{result['failures']} failing row(s); {details}"
        # a test configured severity 'warn' that finds rows has status 'warn': a warning, not a failure
        severity = "WARN" if status == "warn" else "ERROR"
        rows.append((f"dbt: {unique_id.split('.')[2]}", status == "pass", severity, details))
    return rows


@dbt_assets(manifest=DBT_PROJECT.manifest_path, dagster_dbt_translator=TRANSLATOR)
def warehouse_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """``dbt build``: seeds, models and their tests, one thread on the working DuckDB file."""
    from pipelines.defs.gx_checks import record_check_results

    settings = warehouse.settings()
    os.environ["CSW_WORK_DB"] = str(settings.work_db)
    os.environ[MEMORY_LIMIT_ENV] = DBT_MEMORY_LIMIT
    args = ["build"]
    if context.run.tags.get(UNIT_TESTS_TAG) == "skip":
        args += ["--exclude-resource-type", "unit_test"]
    if context.run.tags.get(INCREMENTAL_TAG) != "true":
        args += ["--full-refresh"]
    # One target folder per data folder: dbt's partial parsing then works from the second refresh on (a fresh
    # target folder, or another working database in the profile, means parsing the whole project again).
    invocation = dbt.cli(args, context=context, raise_on_error=False, target_path=settings.data_dir / "dbt_target")
    yield from invocation.stream()
    run_results = invocation.get_artifact("run_results.json")
    rows = _test_rows(run_results)
    with warehouse.connect() as con:
        record_check_results(con, context.run.run_id, "dbt", rows)
    failures = [
        f"{r['unique_id']} ({r.get('status')}: {(r.get('message') or '').strip()})"
        for r in run_results.get("results", [])
        if r.get("status") in ("error", "fail")
    ]
    if failures:
        raise dg.Failure(
            description=f"dbt build failed: {failures[0]}"
            + (f" and {len(failures) - 1} more" if len(failures) > 1 else ""),
            metadata={
                "failures": dg.MetadataValue.md("\n".join(f"- {f}" for f in failures)),
                "finished_at": dt.datetime.now().isoformat(timespec="seconds"),
            },
        )


def mart_keys() -> list[dg.AssetKey]:
    """Every dbt model published to analysts (schema ``marts``)."""
    return [key for key in warehouse_dbt_models.keys if key.path[0] == "marts"]


defs = dg.Definitions(
    assets=[warehouse_dbt_models],
    resources={"dbt": WarehouseDbtCliResource(project_dir=DBT_PROJECT, dbt_executable=DBT_EXECUTABLE)},
)
