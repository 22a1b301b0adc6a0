"""Faults: a refresh killed at any point, two refreshes at once, a data folder that cannot be written."""

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT, copy_sample
from tests.integration.pipeline import published, query, refresh, table_counts

pytestmark = pytest.mark.slow

HEADER = (
    "la_code,framework,inspection_type,inspection_start_date,inspection_end_date,publication_date,"
    "service_area,judgement_area,grade"
)


def start_refresh(env: dict, *extra: str) -> subprocess.Popen:
    """`make run`'s command in its own process group (so dbt, its child, is killed with it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", *extra],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def progress_log(process: subprocess.Popen) -> Path:
    for line in process.stdout:
        if line.startswith("Progress log"):
            return Path(line.split(": ", 1)[1].strip())
    raise AssertionError("the refresh printed no progress log")


def wait_for(log: Path, marker: str, process: subprocess.Popen, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and marker in log.read_text(errors="replace"):
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def complete(db: Path) -> bool:
    """A published warehouse that opens and has its marts and quality tables."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {f"{s}.{t}" for s, t in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()}
    finally:
        con.close()
    return {"marts.inspection_judgements", "marts.latest_inspection_outcomes", "quality.load_log"} <= tables


KILL_POINTS = [
    'STEP_START - Started execution of step "ofsted_raw"',
    'STEP_START - Started execution of step "warehouse_dbt_models"',
    "START sql table model marts.inspection_judgements",
    'STEP_START - Started execution of step "published__children_services_duckdb"',
]


@pytest.mark.parametrize("marker", KILL_POINTS)
def test_a_refresh_killed_at_any_point_leaves_the_published_warehouse_and_the_next_refresh_works(
    warehouse_dirs, marker
):
    raw, _data = warehouse_dirs
    copy_sample(raw, "ofsted")
    assert refresh() == 0
    before = published().read_bytes()
    before_counts = table_counts()
    (raw / "ofsted" / "sif.csv").write_text(
        HEADER + "\n865,SIF,Single inspection,10/02/2014,,15/04/2014,Overall,Overall effectiveness,Good\n"
    )

    process = start_refresh(dict(os.environ))
    log = progress_log(process)
    reached = wait_for(log, marker, process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert reached, f"the refresh ended before '{marker}': {log.read_text()[-2000:]}"

    after = published().read_bytes()
    assert after == before or complete(published())
    if after == before:
        assert table_counts() == before_counts

    assert refresh() == 0
    assert complete(published())
    assert query("select count(*) from marts.inspection_judgements where framework = 'SIF'") == [(1,)]


def test_two_refreshes_at_once_never_clash(warehouse_dirs):
    raw, _data = warehouse_dirs
    copy_sample(raw, "ofsted")
    env = dict(os.environ)
    first = start_refresh(env, "--full")
    log = progress_log(first)
    assert wait_for(log, "STEP_START", first)
    second = start_refresh(env, "--full")
    _out2, err2 = second.communicate(timeout=300)
    _out1, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1[-2000:]
    assert second.returncode == 2
    assert "Refresh refused: another refresh is running" in err2
    assert "Traceback" not in err2
    assert complete(published())


def test_an_unusable_data_folder_fails_with_a_clear_message(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    env = {**os.environ, "CSW_RAW_DIR": str(tmp_path / "raw"), "CSW_DATA_DIR": str(blocker / "data")}
    env.pop("DAGSTER_HOME", None)
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"REFRESH FAILED: cannot use the data folder {blocker / 'data'}")
    assert "Traceback" not in done.stderr


def test_a_full_disk_while_publishing_keeps_the_published_warehouse(warehouse_dirs, monkeypatch, capsys):
    import pipelines.defs.publish as publish_defs

    raw, _data = warehouse_dirs
    copy_sample(raw, "ofsted")
    assert refresh() == 0
    before = published().read_bytes()
    real_copy = publish_defs.publish_warehouse

    def disk_full(work_db, published_db):
        staging = published_db.parent / ".publishing"
        staging.mkdir(exist_ok=True)
        (staging / published_db.name).write_bytes(b"half a warehouse")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(staging / published_db.name))

    monkeypatch.setattr(publish_defs, "publish_warehouse", disk_full)
    capsys.readouterr()
    assert refresh(full=True) == 1
    failure = next(line for line in capsys.readouterr().err.splitlines() if line.startswith("REFRESH FAILED"))
    assert "published__children_services_duckdb" in failure and "No space left on device" in failure
    assert published().read_bytes() == before
    monkeypatch.setattr(publish_defs, "publish_warehouse", real_copy)
    assert refresh() == 0
    assert not (published().parent / ".publishing").exists()
    shutil.rmtree(published().parent / "logs", ignore_errors=True)


def test_a_report_that_fails_is_named_and_made_at_the_next_refresh(warehouse_dirs, monkeypatch, capsys):
    import pipelines.defs.reports as report_defs

    raw, data = warehouse_dirs
    copy_sample(raw, "ofsted")
    real_report = report_defs.write_report

    def broken(*args, **kwargs):
        raise RuntimeError("the chart could not be drawn")

    monkeypatch.setattr(report_defs, "write_report", broken)
    assert refresh() == 0  # the warehouse is published: the report is not a blocking check
    err = capsys.readouterr().err
    (warning,) = [line for line in err.splitlines() if line.startswith("WARNING")]
    assert "reports__committee_report" in warning and "the chart could not be drawn" in warning
    assert complete(published())

    monkeypatch.setattr(report_defs, "write_report", real_report)
    assert refresh() == 0
    second = capsys.readouterr()
    assert "nothing changed" not in second.out and "WARNING" not in second.err
    assert list((data / "reports").glob("*.html"))
