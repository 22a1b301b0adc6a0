"""The asset graph: lineage unbroken from each raw asset to the marts, checks aimed at real assets, and a
committed snapshot of the whole graph (every asset's group, kinds, tags, parents and checks).

The snapshot makes every change to the graph a reviewed diff: a refactor of the definitions that drops a
dependency, renames a check or moves an asset to another group fails here. When the change is meant:

    .venv/bin/python -m tests.unit.test_asset_graph --update
"""

import difflib
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.defs.publish import PUBLISHED_KEY
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def upstream(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen, todo = set(), [key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


RAW_TO_MARTS = {
    "raw/ofsted_workbook_rows": [
        "marts/inspection_judgements",
        "marts/latest_inspection_outcomes",
        "marts/indicator_values",
    ],
    "raw/ofsted_judgement_records": [
        "marts/inspection_judgements",
        "marts/latest_inspection_outcomes",
        "marts/indicator_values",
    ],
    "raw/reference_la_codes": ["marts/dim_local_authority", "marts/latest_inspection_outcomes"],
    "raw/reference_statistical_neighbours": ["marts/dim_statistical_neighbours"],
    "raw/case_audit_rows": ["marts/case_audits", "marts/case_audit_themes", "marts/indicator_values"],
    "raw/case_audit_theme_grades": ["marts/case_audit_themes"],
    "raw/ssda903_episodes": ["marts/adoption_journeys", "marts/adoption_scorecard", "marts/indicator_values"],
    "raw/ssda903_ad1": ["marts/adoption_journeys", "marts/adoption_scorecard"],
    "raw/ssda903_placed_adoption": ["marts/adoption_journeys"],
    "raw/adoption_scorecards_published": ["marts/adoption_scorecard"],
    "raw/school_absence_values": ["marts/school_absence", "marts/school_statistics_long", "marts/indicator_values"],
    "raw/school_exclusions_values": [
        "marts/school_exclusions",
        "marts/school_statistics_long",
        "marts/indicator_values",
    ],
    "raw/case_audit_action_rows": ["marts/case_audit_actions", "marts/indicator_values"],
}


@pytest.mark.parametrize("raw_key", sorted(RAW_TO_MARTS))
def test_each_raw_asset_is_upstream_of_its_marts(graph, raw_key):
    raw = dg.AssetKey.from_user_string(raw_key)
    assert graph.has(raw) and graph.get(raw).is_materializable
    for mart in RAW_TO_MARTS[raw_key]:
        assert raw in upstream(graph, dg.AssetKey.from_user_string(mart)), f"{raw_key} is not upstream of {mart}"


def test_publication_waits_for_every_mart(graph):
    marts = {k for k in graph.get_all_asset_keys() if k.path[0] == "marts"}
    assert marts >= {
        dg.AssetKey(["marts", n])
        for n in (
            "dim_local_authority",
            "dim_statistical_neighbours",
            "inspection_judgements",
            "latest_inspection_outcomes",
            "indicator_catalogue",
            "indicator_values",
        )
    }
    assert marts <= graph.get(PUBLISHED_KEY).parent_keys


def test_every_check_targets_an_asset_of_the_graph(graph):
    keys = graph.get_all_asset_keys()
    checks = list(graph.asset_check_keys)
    assert checks
    assert all(check.asset_key in keys for check in checks)
    targets = {c.asset_key.to_user_string() for c in checks}
    assert {
        "raw/ofsted_workbook_rows",
        "raw/ofsted_judgement_records",
        "marts/inspection_judgements",
        "marts/latest_inspection_outcomes",
    } <= targets


def test_gx_checks_are_blocking(graph):
    specs = {key.name: graph.get_check_spec(key) for key in graph.asset_check_keys}
    gx_checks = [name for name in specs if name.startswith("gx_")]
    assert {"gx_ofsted_workbook", "gx_ofsted_judgement_records"} <= set(gx_checks)
    assert all(specs[name].blocking for name in gx_checks)


def test_the_refresh_job_runs_one_step_at_a_time():
    job = defs.resolve_job_def("refresh_warehouse")
    assert job.executor_def.name == "in_process"


def test_a_new_ssda903_return_reruns_adoption_and_not_ofsted(graph):
    from pipelines.defs.operations import selection_for_sources

    keys = {k.to_user_string() for k in selection_for_sources({"ssda903"}).resolve(graph)}
    assert {
        "raw/ssda903_episodes",
        "marts/adoption_journeys",
        "marts/adoption_scorecard",
        "marts/indicator_values",
        "published/children_services_duckdb",
    } <= keys
    assert not any(k.startswith(("raw/ofsted", "staging/stg_ofsted", "raw/case_audit", "raw/school")) for k in keys)
    assert "marts/inspection_judgements" not in keys


SINGULAR_TESTS = sorted(p.stem for p in (REPO_ROOT / "dbt_project" / "tests").rglob("*.sql"))


@pytest.mark.parametrize("name", SINGULAR_TESTS)
def test_every_singular_dbt_test_is_a_check_in_the_ui(graph, name):
    """A singular test reading several models names its asset in `meta.dagster.ref`; one aimed wrongly (or
    named with a key dagster-dbt does not read) is run by dbt but never shown as a check."""
    assert name in {check.name for check in graph.asset_check_keys}


def test_the_committee_report_waits_for_the_marts_it_reads(graph):
    report = dg.AssetKey(["reports", "committee_report"])
    assert {
        dg.AssetKey(["marts", name])
        for name in ("inspection_judgements", "inspection_overall_judgements", "published_indicator_values")
    } <= graph.get(report).parent_keys


SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.txt"
UPDATE_COMMAND = ".venv/bin/python -m tests.unit.test_asset_graph --update"


def graph_snapshot(graph) -> str:
    """The graph as sorted text, one block per asset: key, group, kinds and the project's own tags (``csw/``),
    then its parents and its checks (name, blocking or not). Descriptions are left out: they are checked by
    test_descriptions.py, and dbt's change with every model's documentation."""
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        tags = ",".join(f"{k}={v}" for k, v in sorted(node.tags.items()) if k.startswith("csw/"))
        lines.append(
            f"{key.to_user_string()}  group={node.group_name} kinds={','.join(sorted(node.kinds))}"
            + (f" tags={tags}" if tags else "")
        )
        lines += [
            f"  dep {parent.to_user_string()}" for parent in sorted(node.parent_keys, key=lambda k: k.to_user_string())
        ]
        for check_key in sorted(node.check_keys, key=lambda k: k.name):
            spec = graph.get_check_spec(check_key)
            lines.append(f"  check {check_key.name} {'blocking' if spec.blocking else 'non-blocking'}")
    return "\n".join(lines) + "\n"


def test_the_asset_graph_matches_its_committed_snapshot(graph):
    current = graph_snapshot(graph)
    committed = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            current.splitlines(keepends=True),
            fromfile=str(SNAPSHOT.relative_to(REPO_ROOT)),
            tofile="the graph now",
        )
    )
    assert not diff, (
        f"The asset graph changed. If that is meant, regenerate the snapshot with `{UPDATE_COMMAND}` "
        f"and commit it:\n{diff}"
    )


def test_the_snapshot_names_what_a_change_would_break():
    """The snapshot is not vacuous: it carries a source's dependency, tags and blocking checks."""
    text = SNAPSHOT.read_text()
    assert (
        "raw/ofsted_workbook_rows  group=ofsted kinds=duckdb,python tags=csw/kind=statistics,csw/landing=ofsted\n"
        "  dep raw/reference_la_codes\n"
    ) in text
    assert "  check gx_ofsted_workbook blocking\n" in text
    assert "  check freshness_ofsted non-blocking\n" in text


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(f"usage: {UPDATE_COMMAND}")
    SNAPSHOT.parent.mkdir(exist_ok=True)
    SNAPSHOT.write_text(graph_snapshot(defs.resolve_asset_graph()))
    print(f"wrote {SNAPSHOT}")
