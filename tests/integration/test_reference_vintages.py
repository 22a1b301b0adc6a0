"""An older LA list dropped into reference/ updates and extends the bundled one and the refresh publishes; a
failed refresh never shows in the published quality tables as loaded; an incremental run's summary names, per
source, what was re-read, what was unchanged and what had no data."""

import pytest

from tests.conftest import copy_sample
from tests.integration.pipeline import make_ofsted_check_fail, query, refresh
from tests.reference_vintages import las_vintage
from tests.reliability.corpus import EES, text

pytestmark = pytest.mark.slow

EXCLUSIONS = text(
    EES,
    "200708,Academic year,National,E92000001,England,,,,,,Total,1000,5,0.5",
    "200708,Academic year,Local authority,E92000001,England,E12000006,East of England,820,E10000001,Bedfordshire,"
    "Total,100,2,2",
    "200708,Academic year,Local authority,E92000001,England,E12000002,North West,875,E10000004,Cheshire,Total,100,1,1",
    "201112,Academic year,Local authority,E92000001,England,E12000009,South West,865,E06000054,Wiltshire,Total,100,1,1",
)


def summary_lines(capsys) -> dict[str, str]:
    out = capsys.readouterr().out.splitlines()
    return {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in out if ":" in line}


def test_an_older_la_list_a_failed_refresh_and_the_next_incremental_run(warehouse_dirs, capsys):
    raw, _data = warehouse_dirs
    copy_sample(raw, "ofsted", "case_audits")
    (raw / "school_exclusions").mkdir()
    (raw / "school_exclusions" / "old_counties.csv").write_bytes(EXCLUSIONS)
    assert refresh() == 0
    assert query("select count(*) from quality.rejected_rows where file_path like '%old_counties.csv'") == [(0,)]
    (ofsted_rows,) = query("select sum(rows_loaded) from quality.load_log where source = 'ofsted'")[0]

    # a refresh that fails on a blocking check after loading the March 2022 LA list
    with pytest.MonkeyPatch.context() as failing:
        make_ofsted_check_fail(failing, 1, "at most one row")
        (raw / "reference").mkdir()
        (raw / "reference" / "las_2022.csv").write_bytes(las_vintage("2022-03-31"))
        capsys.readouterr()
        assert refresh() == 1
    failed_run = query("select run_id from quality.check_results where not passed and details like '%at most one row%'")
    assert failed_run == []  # not published: the published warehouse is the first refresh's

    capsys.readouterr()
    assert refresh() == 0
    lines = summary_lines(capsys)
    assert "reference" in lines["Refresh plan"] and "again after a failed refresh" in lines["Refresh plan"]

    # item 5: the refresh published; former LAs (820, 875 are 'x' in the 2022 list) and newer ones stay known
    las = query(
        "select status, rows_read, rows_loaded, rows_rejected, cells_quarantined from quality.load_log "
        "where file_path like '%las_2022.csv'"
    )
    assert las == [("loaded", 166, 163, 3, 3)]
    reasons = [
        r
        for (r,) in query(
            "select reason from quality.rejected_rows where file_path like '%las_2022.csv' order by row_number"
        )
    ]
    assert len(reasons) == 3 and "Bedfordshire" in reasons[0] and "Cheshire" in reasons[1]
    known = {c for (c,) in query("select la_code from marts.dim_local_authority")}
    assert {"820", "875", "942", "943", "865"} <= known
    assert query("select is_current from marts.dim_local_authority where la_code = '370'") == [(True,)]
    assert query("select count(*) from quality.rejected_rows where file_path like '%old_counties.csv'") == [(0,)]
    assert query(
        "select count(distinct area_code) from marts.school_statistics_long where area_code in ('820', '875')"
    ) == [(2,)]

    # item 6: the failed refresh's files are not in the published load_log; its checks are kept, marked
    runs = query(
        "select run_id, bool_and(run_published), bool_or(not passed and severity = 'ERROR') "
        "from quality.check_results group by 1 order by min(checked_at)"
    )
    assert [(published, failed) for _run, published, failed in runs] == [(True, False), (False, True), (True, False)]
    failed_id = runs[1][0]
    assert query("select count(*) from quality.load_log where run_id = ?", [failed_id]) == [(0,)]
    assert query("select count(*) from quality.published_runs where run_id = ?", [failed_id]) == [(0,)]
    assert {r[0] for r in query("select run_id from quality.load_log")} == {runs[0][0], runs[2][0]}

    # item 6: the incremental run's summary, per source. The files whose rules read the LA list are read again
    # under the new list (so the blocking checks hold them to the rules they passed); case audits are not re-run.
    assert lines["Re-read"] == "reference (1 loaded), ofsted (2 loaded), school_exclusions (1 loaded)"
    assert lines["Unchanged"] == "case_audits (1 file, not re-run: its folder did not change)"
    empty = set(lines["No files (no data) for"].split(", "))
    assert empty == {"ssda903", "adoption_scorecards", "school_absence"}
    assert lines["Rows"].startswith(f"{163 + ofsted_rows + 4} loaded, 3 quarantined whole; 3 quarantined rows")
