"""The file-arrival sensor, the schedules and incremental refreshes."""

import csv
import json
import os
import shutil
import subprocess
import sys
import time

import dagster as dg
import duckdb
import pytest
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.dagster_run import DagsterRun

from pipelines.definitions import defs
from pipelines.defs.jobs import REFRESH_JOB_NAME
from pipelines.defs.operations import landing_folder_sensor
from pipelines.lib.config import Settings
from pipelines.lib.operations.landing import load_snapshot, take_snapshot
from pipelines.lib.operations.refresh_state import RefreshState, code_fingerprint, write_state
from tests.conftest import REPO_ROOT, copy_sample, free_port, stop_process_group


def tick(instance, cursor=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    return landing_folder_sensor(context), context.cursor


def keys(request) -> set[str]:
    return {k.to_user_string() for k in request.asset_selection}


def test_sensor_runs_once_per_batch_and_only_what_changed(warehouse_dirs):
    raw, _data = warehouse_dirs
    copy_sample(raw, "ofsted")
    (raw / "reference").mkdir()
    instance = dg.DagsterInstance.ephemeral()

    first, cursor = tick(instance)
    assert isinstance(first, dg.RunRequest)
    assert keys(first) == {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}

    (_data / "children_services.duckdb").parent.mkdir(parents=True)
    (_data / "children_services.duckdb").write_bytes(b"published")

    unchanged, same_cursor = tick(instance, cursor)
    assert isinstance(unchanged, dg.SkipReason) and same_cursor == cursor

    (raw / "ofsted" / "extra.csv").write_text("la_code,framework\n")
    (raw / "ofsted" / "judgement_records_2009_2017.csv").write_text("changed\n")
    changed, new_cursor = tick(instance, cursor)
    assert isinstance(changed, dg.RunRequest) and new_cursor != cursor
    assert "raw/ofsted_judgement_records" in keys(changed)
    assert "marts/latest_inspection_outcomes" in keys(changed)
    assert not any(k.startswith("raw/reference") for k in keys(changed))
    assert changed.run_key != first.run_key


def test_sensor_never_starts_a_run_while_a_refresh_is_in_progress(warehouse_dirs):
    raw, _data = warehouse_dirs
    copy_sample(raw, "ofsted")
    instance = dg.DagsterInstance.ephemeral()
    instance.add_run(
        DagsterRun(job_name=REFRESH_JOB_NAME, run_id="in-progress-run", status=dg.DagsterRunStatus.STARTED)
    )
    result, cursor = tick(instance)
    assert isinstance(result, dg.SkipReason) and "in progress" in result.skip_message
    assert cursor is None  # the files are still new at the next tick
    instance.report_run_canceled(instance.get_run_by_id("in-progress-run"))
    after, _ = tick(instance)
    assert isinstance(after, dg.RunRequest)


def test_schedules_and_sensor_are_on_by_default():
    schedules = {s.name: s for s in defs.schedules}
    assert schedules["nightly_refresh"].cron_schedule == "0 2 * * *"
    assert schedules["nightly_refresh"].job_name == REFRESH_JOB_NAME
    assert schedules["monthly_statistics_refresh"].cron_schedule == "0 4 1 * *"
    assert all(s.default_status == dg.DefaultScheduleStatus.RUNNING for s in schedules.values())
    assert landing_folder_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    statistics = defs.resolve_job_def("refresh_statistics").asset_layer.asset_graph.get_all_asset_keys()
    assert dg.AssetKey(["raw", "ofsted_workbook_rows"]) in statistics


def plan_line(capsys) -> str:
    return next(line for line in capsys.readouterr().out.splitlines() if line.startswith("Refresh plan"))


HEADER = (
    "la_code,framework,inspection_type,inspection_start_date,inspection_end_date,publication_date,"
    "service_area,judgement_area,grade"
)


@pytest.mark.slow
def test_refresh_reruns_only_what_changed(warehouse_dirs, capsys):
    from tests.integration.pipeline import published, query, refresh

    raw, _data = warehouse_dirs
    copy_sample(raw, "ofsted")
    assert refresh() == 0
    assert "full refresh" in plan_line(capsys)
    stamp = published().stat().st_mtime_ns

    assert refresh() == 0
    assert "nothing changed" in plan_line(capsys)
    assert published().stat().st_mtime_ns == stamp

    (raw / "ofsted" / "sif.csv").write_text(
        HEADER + "\n865,SIF,Single inspection,10/02/2014,,15/04/2014,Overall,Overall effectiveness,Good\n"
    )
    assert refresh() == 0
    assert "incremental refresh of ofsted (1 file(s)" in plan_line(capsys)
    run_id = query("select run_id from quality.load_log order by loaded_at desc limit 1")[0][0]
    assert {r[0] for r in query("select distinct source from quality.load_log where run_id = ?", [run_id])} == {
        "ofsted"
    }
    assert query("select grade_rank from marts.inspection_judgements where framework = 'SIF'") == [(2,)]

    assert refresh(full=True) == 0
    assert "full refresh (asked for)" in plan_line(capsys)


def _benchmark_rows(work_db) -> dict[str, set[tuple]]:
    con = duckdb.connect(str(work_db), read_only=True)
    try:
        return {
            table: set(con.execute(f"select * from marts.{table}").fetchall())
            for table in ("indicator_benchmarks", "published_indicator_benchmarks")
        }
    finally:
        con.close()


def _dbt_full_refresh(data) -> bool:
    return json.loads((data / "dbt_target" / "run_results.json").read_text())["args"].get("full_refresh", False)


def _raise_one_la_absence(path) -> None:
    """The first LA's overall absence of 2016/17 (all schools) raised to 9.9%, in the file as published."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    row = next(
        r
        for r in rows
        if r["geographic_level"] == "Local authority" and r["time_period"] == "201617" and r["school_type"] == "Total"
    )
    row["sess_overall_percent"] = "9.9"
    row["sess_overall"] = str(round(int(row["sess_possible"]) * 0.099))
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.slow
def test_the_benchmarks_of_an_incremental_refresh_equal_a_full_rebuild(warehouse_dirs):
    """An incremental refresh computes again only the indicators whose inputs changed (here the absence ones,
    after one LA's figure in the absence file changed; not Ofsted's), and its benchmark tables are row for row
    what a full refresh builds."""
    from tests.integration.pipeline import refresh

    raw, data = warehouse_dirs
    copy_sample(raw, "ofsted", "school_absence")
    assert refresh() == 0 and _dbt_full_refresh(data)
    work_db = Settings.from_env().work_db
    before = _benchmark_rows(work_db)
    _raise_one_la_absence(raw / "school_absence" / "absence_la_2010_2017.csv")
    assert refresh() == 0 and not _dbt_full_refresh(data)
    con = duckdb.connect(str(work_db), read_only=True)
    changed = {r[0] for r in con.execute('select * from intermediate."indicator_benchmarks__changed"').fetchall()}
    con.close()
    assert "absence_overall_rate" in changed and all(code.startswith("absence_") for code in changed), changed
    incremental = _benchmark_rows(work_db)
    assert incremental != before  # the LA's higher absence moved the absence benchmarks

    assert refresh(full=True) == 0 and _dbt_full_refresh(data)
    assert _benchmark_rows(work_db) == incremental


INCREMENTAL_BY_KEY = {
    "intermediate.int_ssda903_episodes_merged": "la_code",
    "marts.adoption_journeys": "la_code",
    "intermediate.int_indicator_values_disclosure": "link_group",
    "marts.indicator_benchmarks": "indicator_code",
    "marts.published_indicator_values": "indicator_code",
    "marts.la_time_series": "indicator_code",
}


def _incremental_tables(work_db) -> dict[str, list[tuple]]:
    """Every row of the models built incrementally by key."""
    con = duckdb.connect(str(work_db), read_only=True)
    try:
        return {
            table: sorted(con.execute(f"select * from {table}").fetchall(), key=repr) for table in INCREMENTAL_BY_KEY
        }
    finally:
        con.close()


def _keys_computed_again(work_db) -> dict[str, set]:
    """The keys the last incremental build of each model computed again (its ``<model>__changed`` table)."""
    con = duckdb.connect(str(work_db), read_only=True)
    try:
        changed = {table: f'intermediate."{table.split(".")[1]}__changed"' for table in INCREMENTAL_BY_KEY}
        return {
            table: {row[0] for row in con.execute(f"select * from {name}").fetchall()}
            for table, name in changed.items()
        }
    finally:
        con.close()


def _as_another_la(year_folder, target) -> None:
    """A copy of the home LA's return of one year as another LA's, its children's ids made that LA's own (a file
    of the same bytes as one already loaded is not loaded twice)."""
    target.mkdir(parents=True)
    for path in year_folder.glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        child = rows[0].index("CHILD")
        for row in rows[1:]:
            row[child] = "L931" + row[child]
        with (target / path.name).open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)


@pytest.mark.slow
def test_another_las_new_return_recomputes_that_la_only_and_equals_a_full_rebuild(warehouse_dirs, monkeypatch):
    """After a new SSDA903 return of one LA, the incremental refresh merges again that LA's episodes and computes
    again its adoption journeys only, the disclosure control of the adoption indicators' link groups only, and
    the adoption indicators' published values, time series and benchmarks only; every one of those tables is
    then row for row what a full refresh builds."""
    from tests.integration.pipeline import refresh

    raw, data = warehouse_dirs
    monkeypatch.setenv("CSW_PSEUDONYM_KEY", "a test key")  # the second LA's returns are not the bundled sample
    copy_sample(raw, "ssda903", "school_absence")
    years = sorted(p.parent.name for p in (raw / "ssda903").glob("*/episodes.csv"))  # the returns as CSV files
    for year in years[:-1]:  # a second LA's returns: the home LA's, but one year shorter
        _as_another_la(raw / "ssda903" / year, raw / "ssda903" / "931" / year)
    assert refresh() == 0 and _dbt_full_refresh(data)
    work_db = Settings.from_env().work_db
    before = _incremental_tables(work_db)

    _as_another_la(raw / "ssda903" / years[-1], raw / "ssda903" / "931" / years[-1])
    assert refresh() == 0 and not _dbt_full_refresh(data)
    incremental, changed = _incremental_tables(work_db), _keys_computed_again(work_db)
    assert changed["intermediate.int_ssda903_episodes_merged"] == changed["marts.adoption_journeys"] == {"931"}
    groups, indicators = changed["intermediate.int_indicator_values_disclosure"], changed["marts.indicator_benchmarks"]
    assert groups and indicators and not any(code.startswith("absence_") for code in groups | indicators)
    assert changed["marts.published_indicator_values"] == changed["marts.la_time_series"] == indicators
    assert incremental["marts.adoption_journeys"] != before["marts.adoption_journeys"]  # 931's last year's adoptions

    assert refresh(full=True) == 0 and _dbt_full_refresh(data)
    assert _incremental_tables(work_db) == incremental


POLLER = """
import sys, time, duckdb
deadline = time.time() + float(sys.argv[2])
while time.time() < deadline:
    try:
        con = duckdb.connect(sys.argv[1], read_only=True)
        judgements = con.execute("select count(*) from marts.inspection_judgements").fetchall()[0][0]
        logged = con.execute("select count(*) from quality.load_log").fetchall()[0][0]
        con.close()
        print(judgements, logged, flush=True)
    except Exception as exc:
        print("ERROR", type(exc).__name__, exc, flush=True)
    time.sleep(0.02)
"""


@pytest.mark.slow
def test_a_polling_reader_sees_the_old_or_the_new_warehouse_never_a_mix(warehouse_dirs):
    import subprocess
    import sys
    import time

    from tests.integration.pipeline import published, query, refresh

    raw, _data = warehouse_dirs
    copy_sample(raw, "ofsted")
    assert refresh() == 0
    old = query("select (select count(*) from marts.inspection_judgements), (select count(*) from quality.load_log)")[0]
    poller = subprocess.Popen([sys.executable, "-c", POLLER, str(published()), "40"], stdout=subprocess.PIPE, text=True)
    try:
        (raw / "ofsted" / "sif.csv").write_text(
            HEADER + "\n865,SIF,Single inspection,10/02/2014,,15/04/2014,Overall,Overall effectiveness,Good\n"
        )
        assert refresh() == 0
        new = query(
            "select (select count(*) from marts.inspection_judgements), (select count(*) from quality.load_log)"
        )[0]
        time.sleep(0.5)
        poller.terminate()
        out, _ = poller.communicate(timeout=30)
    finally:
        poller.kill()
    seen = [tuple(int(v) for v in line.split()) for line in out.splitlines() if not line.startswith("ERROR")]
    errors = [line for line in out.splitlines() if line.startswith("ERROR")]
    assert new != old
    assert errors == []
    assert len(seen) > 10
    assert set(seen) <= {old, new}
    assert old in seen and new in seen


def test_sensor_first_tick_starts_nothing_when_nothing_changed_since_the_last_refresh(warehouse_dirs):
    """`make ui` after `make run`: the first cursor comes from the last successful refresh's record."""
    raw, _data = warehouse_dirs
    copy_sample(raw, "ofsted", "case_audits")
    settings = Settings.from_env()
    settings.published_db.parent.mkdir(parents=True)
    settings.published_db.write_bytes(b"published")
    write_state(settings, RefreshState(code_fingerprint(settings), take_snapshot(raw), "2026-01-01T00:00:00"))
    instance = dg.DagsterInstance.ephemeral()

    first, cursor = tick(instance)
    assert isinstance(first, dg.SkipReason) and "since the last successful refresh" in first.skip_message
    assert load_snapshot(cursor) == take_snapshot(raw)

    (raw / "ofsted" / "judgement_records_2009_2017.csv").write_text("changed\n")
    changed, _ = tick(instance, cursor)
    assert isinstance(changed, dg.RunRequest)
    assert "raw/ofsted_judgement_records" in keys(changed) and not any(
        k.startswith("raw/case_audit") for k in keys(changed)
    )
    # also at a first tick, against the refresh's record
    again, _ = tick(instance)
    assert isinstance(again, dg.RunRequest) and keys(again) == keys(changed)


def test_sensor_first_tick_refreshes_everything_when_the_record_is_of_other_code(warehouse_dirs):
    raw, _data = warehouse_dirs
    copy_sample(raw, "ofsted")
    settings = Settings.from_env()
    settings.published_db.parent.mkdir(parents=True)
    settings.published_db.write_bytes(b"published")
    write_state(settings, RefreshState("an older fingerprint", take_snapshot(raw), "2026-01-01T00:00:00"))
    first, _ = tick(dg.DagsterInstance.ephemeral())
    assert isinstance(first, dg.RunRequest)
    assert keys(first) == {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}


def test_make_ui_starts_without_warnings_and_runs_nothing_after_a_refresh(warehouse_dirs, tmp_path):
    """What `make ui` runs (pipelines/ui.py: webserver and daemon), after a refresh that saw this landing folder:
    Dagster warns of nothing and the sensor's first tick starts no run."""
    raw, data = warehouse_dirs
    copy_sample(raw, "ofsted")
    settings = Settings.from_env()
    settings.published_db.parent.mkdir(parents=True)
    settings.published_db.write_bytes(b"published")
    write_state(settings, RefreshState(code_fingerprint(settings), take_snapshot(raw), "2026-01-01T00:00:00"))
    home = data / "dagster"
    home.mkdir()
    shutil.copy(REPO_ROOT / "config" / "dagster.yaml", home / "dagster.yaml")
    log_path = tmp_path / "ui.log"
    with log_path.open("w") as log:
        ui = subprocess.Popen(
            [sys.executable, "-m", "pipelines.ui", "--port", str(free_port())],
            cwd=REPO_ROOT,
            env={**os.environ, "DAGSTER_HOME": str(home)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and "Sensor landing_folder_sensor" not in log_path.read_text():
                assert ui.poll() is None, log_path.read_text()[-3000:]
                time.sleep(1)
        finally:
            stop_process_group(ui, 60)
    text = log_path.read_text()
    assert (
        "Sensor landing_folder_sensor skipped: no new, changed or removed files since the last successful "
        "refresh" in text
    ), text[-3000:]
    assert [line for line in text.splitlines() if "warning" in line.lower()] == []
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        assert instance.get_runs_count() == 0
    recipe = (REPO_ROOT / "Makefile").read_text().split("\nui:", 1)[1].split("\n\n", 1)[0]
    assert "-m pipelines.ui" in recipe and "dagster dev" not in recipe
