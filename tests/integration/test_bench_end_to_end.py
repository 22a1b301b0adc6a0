"""`make bench` end to end at a tiny scale: every step runs (full, nothing changed, baseline, incremental,
queries) and the last line is the `bench:` line. It measures nothing worth reading at this scale; it is here
so that a change that breaks the benchmark (say, a rule the generated data no longer passes) fails the tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow

LINE = re.compile(
    r"^bench: full_s=[0-9.]+ baseline_s=[0-9.]+ ratio=[0-9.]+ ingest_ratio=[0-9.]+ noop_s=[0-9.]+ "
    r"noop_ratio=[0-9.]+ incremental_ratio=[0-9.]+ peak_rss_mb=[0-9]+ query_p95_ms=[0-9.]+$"
)


def test_the_benchmark_runs_end_to_end_and_prints_its_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("CSW_RAW_DIR", "CSW_PSEUDONYM_KEY", "DAGSTER_HOME")}
    env.update(CSW_DATA_DIR=str(tmp_path / "data"), GX_ANALYTICS_ENABLED="false")
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.bench", "--scale", "0.02", "--dir", str(tmp_path / "b")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert LINE.match(done.stdout.strip().splitlines()[-1]), done.stdout[-2000:]
    result = json.loads((tmp_path / "b" / "results-0.02.json").read_text())
    assert result["marts_differ"] == {}  # the floor (its own SQL rules) built the same marts
    assert result["native_read"]["files"] > 0 and result["ingest_ratio"] > 0
    assert set(result["targets"]) == {
        "ratio",
        "ingest_ratio",
        "incremental_ratio",
        "noop_s",
        "peak_rss_mb",
        "query_p95_ms",
    }
    assert result["data"]["ssda903_las"] == 1 and result["marts_rows"]["adoption_scorecard"] > 0
    assert result["full_steps"]["steps_gx_checks_s"] > 0 and result["full_steps"]["dbt_model_s"] > 0
