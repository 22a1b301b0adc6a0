"""The factory of pipelines/defs/sources.py: a spec built here gives the assets, checks and metadata it
declares; its load function gets the context it needs; a rejected file is logged with its reason. Also: the
definitions and the summary find every spec, and every dbt key the other steps depend on is a real asset."""

from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.resources import WarehouseResource
from pipelines.defs.sources import (
    LoadContext,
    SourceSpec,
    SuiteCheck,
    SuiteRun,
    Table,
    described,
    source_definitions,
    source_specs,
)
from pipelines.lib.ingest.load import FileRejected, RawTable, SourceResult, load_source
from pipelines.lib.ingest.rules import ParsedTable

THINGS = RawTable("test_things", ("name", "count"))
OTHERS = RawTable("test_other_things", ("label",))
UPSTREAM = dg.AssetKey(["raw", "test_upstream"])


def parse(path: Path) -> list[ParsedTable]:
    """One table per file, a row per line after the header; a file saying 'broken' is refused whole."""
    lines = path.read_text().splitlines()
    if lines[0] == "broken":
        raise FileRejected("the file says it is broken")
    rows = [
        dict(zip(THINGS.columns, line.split(","), strict=True), _row_number=i)
        for i, line in enumerate(lines[1:], start=2)
    ]
    return [ParsedTable(THINGS.name, rows=rows, rows_read=len(rows))]


def load_things(ctx: LoadContext) -> SourceResult:
    given = ctx.pseudonym_key is not None
    ctx.log.info(f"loading for run {ctx.run_id} of LA {ctx.settings.home_la}, key given: {given}")
    return load_source(
        ctx.con,
        source="things",
        folder=ctx.settings.raw_dir / "things",
        tables=[THINGS, OTHERS],
        parser=parse,
        run_id=ctx.run_id,
    )


def spec(**changes) -> SourceSpec:
    fields = {
        "name": "things",
        "tables": (Table(THINGS, "Things, as text."), Table(OTHERS, "Other things.")),
        "load": load_things,
        "group": "things_group",
        "tags": {"csw/landing": "things", "csw/kind": "local"},
        "deps": (UPSTREAM,),
        "accounting_table": THINGS.name,
        "position": 99,
        "description": "Load raw/things/.",
        "checks": (SuiteCheck("gx_test_things", THINGS.name, "The things are fine.", lambda settings: SuiteRun(None)),),
    }
    return SourceSpec(**{**fields, **changes})


def graph_of(source: SourceSpec):
    resources = dg.Definitions(resources={"warehouse": WarehouseResource()})
    return dg.Definitions.merge(source_definitions(source), resources).resolve_asset_graph()


def test_a_spec_gives_one_asset_per_raw_table_with_what_it_declares():
    graph = graph_of(spec())
    keys = {dg.AssetKey(["raw", "test_things"]), dg.AssetKey(["raw", "test_other_things"])}
    assert {k for k in graph.get_all_asset_keys() if k != UPSTREAM} == keys
    for key in keys:
        node = graph.get(key)
        assert node.group_name == "things_group"
        assert node.kinds == {"duckdb", "python"}
        assert {k: v for k, v in node.tags.items() if k.startswith("csw/")} == {
            "csw/landing": "things",
            "csw/kind": "local",
        }
        assert node.parent_keys == {UPSTREAM}
        assert node.execution_set_asset_keys == keys  # one step writes both: never one without the other
    assert graph.get(dg.AssetKey(["raw", "test_things"])).description == "Things, as text."
    assert graph.get(dg.AssetKey(["raw", "test_things"])).assets_def.op.name == "things_raw"


def test_a_spec_gives_its_suite_checks_and_the_accounting_check_blocking_on_their_tables():
    graph = graph_of(spec())
    checks = {key.name: (key.asset_key.to_user_string(), graph.get_check_spec(key)) for key in graph.asset_check_keys}
    assert set(checks) == {"gx_test_things", "rows_accounted_for_things"}
    assert checks["gx_test_things"][0] == checks["rows_accounted_for_things"][0] == "raw/test_things"
    assert all(check.blocking for _, check in checks.values())
    assert checks["gx_test_things"][1].description == "The things are fine."
    assert checks["rows_accounted_for_things"][1].description == (
        "Every things file loaded in this run: rows read = rows loaded + rows quarantined."
    )


@pytest.fixture
def landing(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    (raw / "things").mkdir(parents=True)
    (raw / "things" / "good.csv").write_text("name,count\na,1\nb,2\n")
    (raw / "things" / "bad.csv").write_text("broken\n")
    monkeypatch.setenv("CSW_RAW_DIR", str(raw))
    monkeypatch.setenv("CSW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CSW_HOME_LA", "999")
    monkeypatch.delenv("CSW_PSEUDONYM_KEY", raising=False)
    return raw


def materialize(source: SourceSpec) -> tuple[dg.ExecuteInProcessResult, dg.DagsterInstance]:
    definitions = source_definitions(source)
    instance = dg.DagsterInstance.ephemeral()
    checks = [c for c in definitions.asset_checks if "rows_accounted_for_things" in {k.name for k in c.check_keys}]
    result = dg.materialize(
        [*definitions.assets, *checks],
        resources={"warehouse": WarehouseResource()},
        instance=instance,
        raise_on_error=False,
    )
    return result, instance


def test_the_step_materialises_every_table_with_its_metadata_and_logs_the_rejected_file(landing):
    result, instance = materialize(spec())
    assert result.success
    metadata = {m.asset_key.path[-1]: m.metadata for m in result.asset_materializations_for_node("things_raw")}
    assert set(metadata) == {"test_things", "test_other_things"}
    things = metadata["test_things"]
    assert things["dagster/row_count"].value == 2
    assert things["files_loaded"].value == 1 and things["files_rejected"].value == 1
    assert "bad.csv | rejected" in things["files"].value and "the file says it is broken" in things["files"].value
    assert metadata["test_other_things"]["dagster/row_count"].value == 0
    logs = [(entry.level, entry.user_message) for entry in instance.all_logs(result.run_id) if entry.user_message]
    rejected = [
        level
        for level, message in logs
        if message == f"{landing / 'things' / 'bad.csv'} rejected: the file says it is broken"
    ]
    assert rejected == [30]  # logging.WARNING
    assert any(f"loading for run {result.run_id} of LA 999, key given: False" in message for _, message in logs)
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "rows_accounted_for_things" and check.passed


def test_a_child_level_spec_gets_the_pseudonym_key_and_fails_on_real_files_with_the_development_key(
    landing, monkeypatch
):
    result, _ = materialize(spec(child_level=True))
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "CSW_PSEUDONYM_KEY is not set" in failure.step_failure_data.error.message + str(
        failure.step_failure_data.user_failure_data.description
    )
    monkeypatch.setenv("CSW_PSEUDONYM_KEY", "a council's secret")
    result, instance = materialize(spec(child_level=True))
    assert result.success
    messages = [entry.user_message for entry in instance.all_logs(result.run_id) if entry.user_message]
    assert any("key given: True" in message for message in messages)


def test_a_table_without_a_description_is_an_error_not_a_missing_asset():
    assert [t.description for t in described([THINGS], {"test_things": "Things."})] == ["Things."]
    with pytest.raises(KeyError):
        described([THINGS, OTHERS], {"test_things": "Things."})


def test_the_code_location_has_every_spec_and_the_summary_names_them_in_their_order():
    from pipelines.definitions import defs
    from pipelines.lib.outputs.summary import source_names

    specs = source_specs()
    names = [s.name for s in specs]
    assert names == [
        "reference",
        "ofsted",
        "case_audits",
        "school_absence",
        "school_exclusions",
        "ssda903",
        "adoption_scorecards",
    ]
    assert source_names() == names
    graph = defs.resolve_asset_graph()
    for source in specs:
        for table in source.tables:
            node = graph.get(dg.AssetKey(["raw", table.raw.name]))
            assert node.group_name == source.group and node.tags["csw/landing"] == source.tags["csw/landing"]
        assert {c.name for c in source.checks} | {f"rows_accounted_for_{source.name}"} <= {
            key.name for key in graph.asset_check_keys
        }


def test_every_module_under_pipelines_defs_with_definitions_is_in_the_code_location():
    from pipelines.definitions import discovered_definitions

    discovered = discovered_definitions()
    assert len(discovered) == 11  # six source folders, transform, publish, reports, jobs, operations
    job_names = {job.name for d in discovered for job in (d.jobs or [])}
    assert job_names == {"refresh_warehouse", "refresh_statistics"}


def test_every_dependency_of_a_step_after_dbt_is_an_asset_of_the_graph():
    """The report, the workbook, the docs, publication and the cross-file quarantine name dbt models by
    ``get_asset_key_for_model``; every parent they declare exists, and is built by a step of the graph."""
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    after_dbt = [k for k in graph.get_all_asset_keys() if k.path[0] in ("reports", "docs", "published", "quality")]
    assert len(after_dbt) == 6
    for key in after_dbt:
        for parent in graph.get(key).parent_keys:
            assert graph.has(parent) and graph.get(parent).is_materializable, f"{key} depends on {parent}"
    for key in graph.get_all_asset_keys():
        missing = [p for p in graph.get(key).parent_keys if not graph.has(p) or not graph.get(p).is_materializable]
        assert not missing, f"{key.to_user_string()} depends on {missing}: no step builds them"
