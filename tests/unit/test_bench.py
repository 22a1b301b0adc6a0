"""The benchmark's pieces at a very small scale (the benchmark itself is `make bench`): the generator, the
bare-DuckDB floor's SQL reading and typing (the same raw rows as the pipeline's parsers for valid rows, the
quarantine for broken ones), DuckDB's native reading, and the arithmetic of the `bench:` line."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.bench.__main__ import (
    TARGETS,
    bench_line,
    describe_differences,
    duration_seconds,
    mart_differences,
    ratios,
    step_breakdown,
    targets_line,
    targets_met,
    tree_rss_kb,
)
from pipelines.bench.baseline import _ordered, load_sources
from pipelines.bench.floor import load_case_audits, load_ssda903, native_read
from pipelines.bench.generate import HOME_LA, INCREMENTAL_YEAR, generate
from pipelines.lib.ingest.load import discover_files, ensure_quality_schema

KEY = "bench-key"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("bench"), scale=0.02)


def test_generator_is_seeded_and_the_baseline_loads_what_it_writes(tiny, tmp_path):
    again = generate(tmp_path / "b", scale=0.02)
    files = sorted(p.relative_to(tiny.landing) for p in tiny.landing.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again.landing) for p in again.landing.rglob("*") if p.is_file())
    assert all((tiny.landing / f).read_bytes() == (again.landing / f).read_bytes() for f in files)
    assert tiny.counts["ssda903_las"] == 1 and tiny.counts["ssda903_episode_rows"] > 1000
    assert {f.parts[0] for f in files} == {
        "ssda903",
        "case_audits",
        "school_absence",
        "school_exclusions",
        "ofsted",
        "adoption_scorecards",
    }
    assert sorted(p.parent.name for p in (tiny.extra / "ssda903").rglob("episodes.csv")) == [str(INCREMENTAL_YEAR)]

    con = duckdb.connect()
    rows = load_sources(con, tiny.landing, HOME_LA, KEY, "run")
    episodes = con.execute("select count(*) from raw.ssda903_episodes").fetchone()[0]
    quarantined = con.execute(
        "select count(distinct (file_path, row_number)) from quality.rejected_rows "
        "where table_name = 'ssda903_episodes'"
    ).fetchone()[0]
    assert episodes + quarantined == tiny.counts["ssda903_episode_rows"] and 0 < quarantined < 50
    assert rows["case_audits"] > 0 and rows["school_absence"] > 0
    assert con.execute("select count(*) from quality.load_log where status = 'rejected'").fetchone()[0] == 0


def _pipeline_raw(landing) -> duckdb.DuckDBPyConnection:
    """SSDA903 and case audits loaded by the pipeline's own parsers, as its ingest assets call them."""
    from pipelines.lib.ingest.load import load_source
    from pipelines.lib.reference.areas import load_la_lookup
    from pipelines.lib.sources import case_audits, ssda903

    con = duckdb.connect()
    load_source(
        con,
        source=case_audits.SOURCE,
        folder=landing / case_audits.SOURCE,
        tables=case_audits.TABLES,
        parser=lambda path: case_audits.parse_case_audit_file(path, home_la=HOME_LA, key=KEY),
        run_id="run",
        one_transaction=True,
    )
    folder, known = landing / ssda903.SOURCE, load_la_lookup(landing / "reference").dfe_codes
    load_source(
        con,
        source=ssda903.SOURCE,
        folder=folder,
        tables=ssda903.TABLES,
        run_id="run",
        one_transaction=True,
        parser=lambda path: ssda903.parse_ssda903_file(path, root=folder, home_la=HOME_LA, key=KEY, known_las=known),
    )
    ssda903.apply_cross_table_rules(con, "run")
    return con


RAW_TABLES = (
    "ssda903_header",
    "ssda903_episodes",
    "ssda903_ad1",
    "ssda903_placed_adoption",
    "case_audit_rows",
    "case_audit_theme_grades",
    "case_audit_action_rows",
)


def test_the_floors_load_gives_the_pipelines_raw_rows_and_quarantine(tiny):
    """The floor calls the sources' batch parsers and writes their outcome itself: the same rows as the
    refresh's ingest, file by file through ``load_source``."""
    floor = duckdb.connect()
    ensure_quality_schema(floor)
    load_ssda903(floor, tiny.landing / "ssda903", HOME_LA, KEY, "run", discover_files(tiny.landing / "ssda903"))
    load_case_audits(floor, HOME_LA, KEY, "run", discover_files(tiny.landing / "case_audits"))
    pipeline = _pipeline_raw(tiny.landing)
    for table in RAW_TABLES:
        described = pipeline.execute(f"select * from raw.{table} limit 0").description
        columns = [d[0] for d in described if d[0] != "_run_id"]
        ours = sorted(pipeline.execute(f"select {', '.join(columns)} from raw.{table}").fetchall(), key=repr)
        theirs = sorted(floor.execute(f"select {', '.join(columns)} from raw.{table}").fetchall(), key=repr)
        assert len(ours) > 0 and theirs == ours, table
    quarantine = "select file_path, row_number, column_name, value from quality.rejected_rows order by all"
    assert floor.execute(quarantine).fetchall() == pipeline.execute(quarantine).fetchall()


def test_the_floor_quarantines_broken_cells_with_reasons(tmp_path):
    year = tmp_path / "ssda903" / "2020"
    year.mkdir(parents=True)
    (year / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,URN\n"
        "C1,01/04/2019,S,C2,N1,U1,PR1,,,,XXXXXXX\n"
        "C2,31/02/2019,S,C2,N1,U1,PR1,,,,XXXXXXX\n"
        "C3,01/05/2019, s ,C2,N1,Z9,PR1,,,,XXXXXXX\n"
        "C1,01/04/2019,S,C2,N1,U1,PR1,,,,XXXXXXX\n"
    )
    other = tmp_path / "ssda903" / "931" / "2017-18"  # another LA's return, the year ending March 2018
    other.mkdir(parents=True)
    (other / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,URN\n"
        "C1,01/04/2017,S,C2,N1,U1,PR1,,,,XXXXXXX\n"
    )
    con = duckdb.connect()
    ensure_quality_schema(con)
    assert load_ssda903(con, tmp_path / "ssda903", HOME_LA, KEY, "run", discover_files(tmp_path / "ssda903")) == 2
    assert con.execute(
        "select decom, rne, la_code, collection_year, _row_number from raw.ssda903_episodes order by la_code"
    ).fetchall() == [("2019-04-01", "S", HOME_LA, "2020", 2), ("2017-04-01", "S", "931", "2018", 2)]
    keys = con.execute("select distinct child_key from raw.ssda903_episodes").fetchall()
    assert len(keys) == 2  # the same CHILD in two LAs: two children
    reasons = dict(con.execute("select row_number, reason from quality.rejected_rows").fetchall())
    assert reasons[3] == "DfE rule 141: DECOM: '31/02/2019' is not a real date"
    assert reasons[4].startswith("DfE rule 146: PLACE 'Z9' is not a DfE placement type code (valid in 2019-20: ")
    assert reasons[5] == "duplicate episode (same child and DECOM): row 2 of this file is kept"
    logged = con.execute(
        "select rows_read, rows_loaded, rows_rejected, cells_quarantined from quality.load_log order by file_path"
    ).fetchall()
    assert logged == [(4, 1, 3, 3), (1, 1, 0, 0)]  # 2020/ (four rows, three quarantined), then 931/2017-18/
    assert con.execute("select count(*) from quality.rejected_rows where value like 'C%'").fetchone()[0] == 0


def test_native_read_lands_every_csv_as_text(tiny):
    read = native_read(tiny.landing)
    csvs = list(tiny.landing.rglob("*.csv"))
    assert read["files"] == len(csvs)
    assert read["rows"] == sum(len(p.read_text(encoding="utf-8").splitlines()) - 1 for p in csvs)
    assert read["seconds"] > 0


def test_ratios_targets_and_the_bench_line():
    r = ratios(full_s=100.04, baseline_s=70.0, ingest_s=30.0, native_s=12.0, noop_s=0.51, incremental_s=20.0)
    assert r["ratio"] == pytest.approx(1.4291, abs=1e-4) and r["ingest_ratio"] == 2.5
    assert r["noop_ratio"] == pytest.approx(0.0051, abs=1e-4) and r["incremental_ratio"] == pytest.approx(0.2, abs=1e-3)
    r.update(peak_rss_mb=1800.2, query_p95_ms=4.56)
    assert bench_line(r) == (
        "bench: full_s=100.0 baseline_s=70.0 ratio=1.43 ingest_ratio=2.50 noop_s=0.51 "
        "noop_ratio=0.005 incremental_ratio=0.20 peak_rss_mb=1800 query_p95_ms=4.6"
    )
    met = targets_met(r)
    assert set(met) == set(TARGETS)
    assert {k for k, t in met.items() if not t["met"]} == {"ingest_ratio", "incremental_ratio", "peak_rss_mb"}
    assert met["ratio"]["aim_met"] is True and met["peak_rss_mb"]["target"] == 1536
    line = targets_line(met)
    assert "ingest_ratio 2.5 <= 2 MISSED" in line and "ratio 1.43 <= 2 met (aim 1.5 met)" in line


def test_mart_differences_say_by_how_much():
    differ = mart_differences({"a": 100, "b": 5, "c": 7}, {"a": 98, "b": 5, "d": 1})
    assert differ == {
        "a": {"pipeline": 100, "floor": 98, "difference": -2, "percent": -2.0},
        "c": {"pipeline": 7, "floor": None, "difference": -7, "percent": -100.0},
        "d": {"pipeline": None, "floor": 1, "difference": 1, "percent": None},
    }
    assert describe_differences(differ).startswith("a 100 vs 98 (-2, -2.000%)")


def test_dependency_order():
    nodes = {
        "model.b": {"resource_type": "model", "depends_on": {"nodes": ["model.a", "source.x"]}},
        "model.a": {"resource_type": "model", "depends_on": {"nodes": ["seed.s"]}},
        "seed.s": {"resource_type": "seed", "depends_on": {"macros": []}},
        "test.t": {"resource_type": "test", "depends_on": {"nodes": ["model.b"]}},
    }
    assert list(_ordered(nodes, ("seed", "model"))) == [nodes["seed.s"], nodes["model.a"], nodes["model.b"]]
    assert tree_rss_kb(1) >= 0


def test_step_times_of_a_minute_or_more_count(tmp_path):
    """Dagster prints a step of over a minute as '3m58s': the breakdown counts it (at SCALE=5 it is SSDA903's)."""
    assert duration_seconds("61ms") == pytest.approx(0.061)
    assert duration_seconds("9.31s") == pytest.approx(9.31)
    assert duration_seconds("3m58s") == pytest.approx(238)
    assert duration_seconds("1h2m") == pytest.approx(3720)
    (tmp_path / "logs").mkdir()
    line = (
        "2026-12-03 12:25:16 +0000 - dagster - DEBUG - run - 1 - {step} - STEP_SUCCESS - "
        'Finished execution of step "{step}" in {d}.\n'
    )
    (tmp_path / "logs" / "refresh-1.log").write_text(
        line.format(step="ssda903_raw", d="3m58s")
        + line.format(step="reference_raw", d="149ms")
        + line.format(step="warehouse_dbt_models", d="1m41s")
    )
    assert step_breakdown(tmp_path) == {"steps_dbt_s": 101.0, "steps_ingest_s": 238.1}
