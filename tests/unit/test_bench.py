"""Smoke test of the benchmark's pieces at a very small scale (the benchmark itself is `make bench`)."""

from __future__ import annotations

import duckdb

from pipelines.bench.__main__ import bench_line, tree_rss_kb
from pipelines.bench.baseline import _ordered, load_sources
from pipelines.bench.generate import HOME_LA, INCREMENTAL_YEAR, generate


def test_generator_is_seeded_and_the_baseline_loads_what_it_writes(tmp_path):
    first = generate(tmp_path / "a", scale=0.02)
    again = generate(tmp_path / "b", scale=0.02)
    files = sorted(p.relative_to(first.landing) for p in first.landing.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again.landing) for p in again.landing.rglob("*") if p.is_file())
    assert all((first.landing / f).read_bytes() == (again.landing / f).read_bytes() for f in files)
    assert first.counts["ssda903_las"] == 1 and first.counts["ssda903_episode_rows"] > 1000
    assert {f.parts[0] for f in files} == {"ssda903", "case_audits", "school_absence", "school_exclusions", "ofsted",
                                          "adoption_scorecards"}
    assert sorted(p.parent.name for p in (first.extra / "ssda903").rglob("episodes.csv")) == [str(INCREMENTAL_YEAR)]

    con = duckdb.connect()
    rows = load_sources(con, first.landing, HOME_LA, "bench-key", "run")
    episodes = con.execute("select count(*) from raw.ssda903_episodes").fetchone()[0]
    quarantined = con.execute("select count(distinct (file_path, row_number)) from quality.rejected_rows "
                              "where table_name = 'ssda903_episodes'").fetchone()[0]
    assert episodes + quarantined == first.counts["ssda903_episode_rows"] and 0 < quarantined < 50
    assert rows["case_audits"] > 0 and rows["school_absence"] > 0
    assert con.execute("select count(*) from quality.load_log where status = 'rejected'").fetchone()[0] == 0


def test_dependency_order_and_the_bench_line():
    nodes = {"model.b": {"resource_type": "model", "depends_on": {"nodes": ["model.a", "source.x"]}},
             "model.a": {"resource_type": "model", "depends_on": {"nodes": ["seed.s"]}},
             "seed.s": {"resource_type": "seed", "depends_on": {"macros": []}},
             "test.t": {"resource_type": "test", "depends_on": {"nodes": ["model.b"]}}}
    assert [n for n in _ordered(nodes, ("seed", "model"))] == [nodes["seed.s"], nodes["model.a"], nodes["model.b"]]
    line = bench_line({"full_s": 100.04, "baseline_s": 70.0, "ratio": 1.4291, "noop_ratio": 0.0051,
                       "incremental_ratio": 0.2, "peak_rss_mb": 1800.2, "query_p95_ms": 4.56})
    assert line == ("bench: full_s=100.0 baseline_s=70.0 ratio=1.43 noop_ratio=0.005 incremental_ratio=0.20 "
                    "peak_rss_mb=1800 query_p95_ms=4.6")
    assert tree_rss_kb(1) >= 0
