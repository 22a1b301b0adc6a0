"""Case audits end to end: two refreshes of a landing folder holding the sample export, hand-worked months,
a workbook breaking every rule, and actions whose audit arrives only with the second refresh.

Refresh 1: sample workbook, hand-worked CSV pair (January and February 2011), bad-rows workbook (2010),
late actions CSV (one action whose audit is in no file, one completed before its audit), a file that is not
an export. Refresh 2: the same plus the late audit, which brings its action out of the quarantine.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.cli import run_refresh
from pipelines.lib.config import Settings
from pipelines.lib.ingest.pseudonymise import child_key
from pipelines.sample_data.case_audits import ACTION_TYPES, SAMPLE_NAME, generate

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
KEY = "integration-test-pseudonym-key"
HOME_LA = "865"
FUTURE = (dt.date.today() + dt.timedelta(days=30)).strftime("%d/%m/%Y")
FUTURE_ISO = (dt.date.today() + dt.timedelta(days=30)).isoformat()

AUDIT_HEADER = [
    "audit_id",
    "child_id",
    "audit_date",
    "team",
    "case_type",
    "auditor_type",
    "overall_grade",
    "grade_planning",
    "cp_plan_needed",
    "assessment_up_to_date",
]
ACTION_HEADER = ["action_id", "audit_id", "action_type", "owner_team", "due_date", "completed_date", "description"]

# January 2011: Hand A Good, Hand A Inadequate (CP plan needed), Hand B outstanding, Hand B Adequate (CP plan
# needed). February 2011: Hand A Good, REQUIRES IMPROVEMENT, Requires improvement. Child HW-001 twice.
HAND_AUDITS = [
    ["H1", "HW-001", "05/01/2011", "Hand A", "CIN", "Manager", "Good", "Good", "N", "Y"],
    ["H2", "HW-002", "06/01/2011", "Hand A", "CP", "Independent", "Inadequate", "inadequate", "Y", "N"],
    ["H3", "HW-003", "2011-01-07", "Hand B", "CLA", "IRO", "outstanding", "", "N", ""],
    ["H4", "HW-004", "10/01/11", "Hand B", "EH", "CP chair", "Adequate", "Requires improvement", "Y", "Y"],
    ["H5", "HW-001", "03/02/2011", "Hand A", "CIN", "Manager", "Good", "Good", "N", "Y"],
    ["H6", "HW-005", "04/02/2011", "Hand A", "CP", "Manager", "REQUIRES IMPROVEMENT", "", "N", "Y"],
    ["H7", "HW-006", "05/02/2011", "Hand A", "CL", "Manager", "Requires improvement", "Good", "N", "Y"],
]
# Due in January 2011: K1 on time (on its due date), K2 late (no owner team: the audit's, Hand A), K3 open
# (Hand B). Due in February 2011: K4 done early (Hand B).
HAND_ACTIONS = [
    ["K1", "H1", "Increase visits", "Hand A", "20/01/2011", "20/01/2011", "Hand-worked note one: visit the flat"],
    ["K2", "H2", "Strategy discussion", "", "25/01/2011", "30/01/2011", "Hand-worked note two: call the school"],
    ["K3", "H3", "Re-assessment", "Hand B", "28/01/2011", "", "Hand-worked note three: new assessment"],
    ["K4", "H4", "Other", "Hand B", "10/02/2011", "01/02/2011", "Hand-worked note four: chase the GP"],
]
# Header on row 3 of the sheet; each row after B1 breaks one rule.
BAD_AUDITS = [
    ["B1", "BAD-CHILD-1", "01/06/2010", "Team Q", "CIN", "Manager", "Good", "Good", "N", "Y"],  # 4 kept
    ["B2", "BAD-CHILD-2", "31/02/2010", "Team Q", "CIN", "Manager", "Good", "Good", "N", "Y"],  # 5
    ["B3", "BAD-CHILD-3", FUTURE, "Team Q", "CIN", "Manager", "Good", "Good", "N", "Y"],  # 6
    ["B4", "BAD-CHILD-4", "01/06/2010", "Team Q", "XYZ", "Manager", "Good", "Good", "N", "Y"],  # 7
    ["B5", "BAD-CHILD-5", "01/06/2010", "Team Q", "CIN", "Manager", "Excellent", "Good", "N", "Y"],  # 8
    ["B6", "BAD-CHILD-6", "01/06/2010", "Team Q", "CIN", "Manager", "Good", "Very good", "N", "Y"],  # 9
    ["B1", "BAD-CHILD-7", "02/06/2010", "Team Q", "CIN", "Manager", "Inadequate", "Good", "N", "Y"],  # 10
    ["B7", "BAD-CHILD-8", "01/06/2010", "Team Q", "CIN", "Manager", "Good", "Good", "Maybe", "Y"],  # 11
    ["B8", "", "01/06/2010", "Team Q", "CIN", "Manager", "Good", "Good", "N", "Y"],  # 12
    ["B9", "BAD-CHILD-9", "15/06/2010", "Team Q", "CP", "Manager", "Good", "Good", "N", ""],  # 13 kept
    ["B10", "BAD-CHILD-10", "20/06/2010", "", "CP", "", "Inadequate", "", "Y", ""],  # 14 kept
]
BAD_ACTIONS = [
    ["Q1", "B1", "Increase visits", "Team Q", "20/06/2010", "18/06/2010", "Bad-file note Q1"],  # 2 kept
    ["Q2", "B1", "Other", "Team Q", "30/02/2010", "", "Bad-file note Q2"],  # 3
    ["Q3", "B2", "Other", "Team Q", "01/07/2010", "", "Bad-file note Q3"],  # 4 orphan
    ["Q4", "B9", "Other", "Team Q", "30/06/2010", "10/06/2010", "Bad-file note Q4"],  # 5 early
    ["Q1", "B1", "Other", "Team Q", "20/06/2010", "", "Bad-file note Q1 again"],  # 6 dup
    ["Q6", "B9", "Other", "Team Q", "30/06/2010", FUTURE, "Bad-file note Q6"],  # 7
]
LATE_ACTIONS = [
    ["L1", "LATE-1", "Gather information", "Team Q", "15/08/2010", "10/08/2010", "Late note L1"],  # 2
    ["L2", "H1", "Other", "Hand A", "20/01/2011", "31/12/2010", "Late note L2"],  # 3
]
LATE_AUDITS = [["LATE-1", "LATE-CHILD-1", "01/08/2010", "Team Q", "CP", "IRO", "Requires improvement", "", "N", ""]]
NOT_AN_EXPORT = "C999999,notes about the export\nsecond line,more notes\n"


def write_csv(path: Path, header: list, rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def write_bad_workbook(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    audits = wb.create_sheet("Audit export")
    for row in [["Case-file audits, summer 2010"], [], AUDIT_HEADER, *BAD_AUDITS]:
        audits.append(row)
    actions = wb.create_sheet("Follow-up")
    for row in [ACTION_HEADER, *BAD_ACTIONS]:
        actions.append(row)
    wb.save(path)


@dataclass
class Refresh:
    status: int
    run_id: str
    published: Path
    work: Path

    def query(self, sql: str, params=None) -> list[tuple]:
        con = duckdb.connect(str(self.published), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


@dataclass
class Runs:
    raw: Path
    first: Refresh
    second: Refresh


def _refresh(settings: Settings, name: str) -> Refresh:
    status = run_refresh()
    keep = settings.data_dir.parent / f"{name}.duckdb"
    shutil.copy(settings.published_db, keep)
    con = duckdb.connect(str(settings.work_db), read_only=True)
    run_id = con.execute("select run_id from quality.load_log order by loaded_at desc limit 1").fetchall()[0][0]
    con.close()
    work = settings.data_dir.parent / f"{name}_work" / settings.work_db.name  # views name their catalog
    work.parent.mkdir()
    shutil.copy(settings.work_db, work)
    return Refresh(status, run_id, keep, work)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    base = tmp_path_factory.mktemp("case_audits_pipeline")
    raw = base / "raw"
    folder = raw / "case_audits"
    (folder / "sample").mkdir(parents=True)
    shutil.copy(REPO / "raw" / "case_audits" / SAMPLE_NAME, folder / "sample" / SAMPLE_NAME)
    write_csv(folder / "2011" / "hand_worked_audits.csv", AUDIT_HEADER, HAND_AUDITS)
    write_csv(folder / "2011" / "hand_worked_actions.csv", ACTION_HEADER, HAND_ACTIONS)
    write_bad_workbook(folder / "bad" / "bad_rows.xlsx")
    write_csv(folder / "late_actions.csv", ACTION_HEADER, LATE_ACTIONS)
    (folder / "notes.csv").write_text(NOT_AN_EXPORT, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CSW_RAW_DIR", str(raw))
        mp.setenv("CSW_DATA_DIR", str(base / "data"))
        mp.setenv("CSW_HOME_LA", HOME_LA)
        mp.setenv("CSW_PSEUDONYM_KEY", KEY)
        mp.delenv("DAGSTER_HOME", raising=False)
        settings = Settings.from_env()
        first = _refresh(settings, "first")
        write_csv(folder / "late_audits.csv", AUDIT_HEADER, LATE_AUDITS)
        second = _refresh(settings, "second")
    return Runs(raw, first, second)


def _path(runs: Runs, *parts: str) -> str:
    return str(runs.raw.joinpath("case_audits", *parts))


def test_both_refreshes_publish_with_every_check_passing(runs):
    for refresh in (runs.first, runs.second):
        assert refresh.status == 0
        failed = refresh.query(
            "select asset, check_name, details from quality.check_results "
            "where run_id = ? and not passed and severity = 'ERROR'",
            [refresh.run_id],
        )
        assert failed == []
    checks = {
        r[0]
        for r in runs.first.query("select check_name from quality.check_results where run_id = ?", [runs.first.run_id])
    }
    assert {
        "gx: child_key is a pseudonym",
        "gx: only the declared columns (no child_id)",
        "gx: only the declared columns (no description)",
    } <= checks
    assert any(c.startswith("dbt: relationships_case_audit_actions_audit_id") for c in checks)
    assert any(c.startswith("dbt: unique_case_audits_audit_id") for c in checks)
    assert any(c.startswith("dbt: assert_case_audit_percentages_between_0_and_100") for c in checks)


# --- quarantine ----------------------------------------------------------------------------------------------


def test_each_rule_quarantines_its_row_with_file_row_column_value_and_reason(runs):
    bad = _path(runs, "bad", "bad_rows.xlsx")
    rows = runs.first.query(
        "select row_number, column_name, value, reason, table_name from quality.rejected_rows "
        "where file_path = ? order by table_name, row_number",
        [bad],
    )
    got = {(table, row, column, value): reason for row, column, value, reason, table in rows}
    expected = {
        (
            "case_audit_rows",
            5,
            "audit_date",
            "31/02/2010",
        ): "sheet 'Audit export', audit B2: audit_date '31/02/2010' is not a real date",
        ("case_audit_rows", 6, "audit_date", FUTURE): f"audit_date {FUTURE_ISO} is in the future",
        ("case_audit_rows", 7, "case_type", "XYZ"): "case_type 'XYZ' is not a case type",
        ("case_audit_rows", 8, "overall_grade", "Excellent"): "overall_grade 'Excellent' is not a grade",
        ("case_audit_rows", 9, "grade_planning", "Very good"): "grade_planning 'Very good' is not a grade",
        (
            "case_audit_rows",
            10,
            "audit_id",
            "B1",
        ): "duplicate audit_id: the same audit_id is on row 4 of sheet 'Audit export', which is kept",
        ("case_audit_rows", 11, "cp_plan_needed", "Maybe"): "cp_plan_needed 'Maybe' is not Y or N",
        ("case_audit_rows", 12, "child_id", None): "child_id is blank",
        (
            "case_audit_action_rows",
            3,
            "due_date",
            "30/02/2010",
        ): "sheet 'Follow-up', action Q2: due_date '30/02/2010' is not a real date",
        (
            "case_audit_action_rows",
            6,
            "action_id",
            "Q1",
        ): "duplicate action_id: the same action_id is on row 2 of sheet 'Follow-up', which is kept",
        ("case_audit_action_rows", 7, "completed_date", FUTURE): f"completed_date {FUTURE_ISO} is in the future",
        (
            "marts.case_audit_actions",
            4,
            "audit_id",
            "B2",
        ): "sheet 'Follow-up', action Q3: no audit with audit_id 'B2' in any loaded case-audit file",
        (
            "marts.case_audit_actions",
            5,
            "completed_date",
            "2010-06-10",
        ): "sheet 'Follow-up', action Q4: completed_date 2010-06-10 is before the date of its audit B9 (2010-06-15)",
    }
    assert set(got) == set(expected)
    for key, reason in expected.items():
        assert reason in got[key], key


def test_the_rest_of_the_bad_file_loads(runs):
    assert runs.first.query(
        "select audit_id, team, overall_grade_label, actions_raised from marts.case_audits "
        "where audit_id like 'B%' order by 1"
    ) == [("B1", "Team Q", "Good", 1), ("B10", None, "Inadequate", 0), ("B9", "Team Q", "Good", 0)]
    assert runs.first.query("select action_id from marts.case_audit_actions where audit_id like 'B%'") == [("Q1",)]
    assert runs.first.query(
        "select rows_read, rows_loaded, rows_rejected from quality.load_log where run_id = ? and file_path = ?",
        [runs.first.run_id, _path(runs, "bad", "bad_rows.xlsx")],
    ) == [(17, 4, 13)]
    # An audit without a team counts in the total only.
    assert runs.first.query(
        "select breakdown, value from marts.indicator_values "
        "where indicator_code = 'case_audits_completed' and time_period = 201006 order by 1"
    ) == [("Total", 3.0), ("team=Team Q", 2.0)]


def test_an_action_whose_audit_arrives_later_leaves_the_quarantine(runs):
    late = _path(runs, "late_actions.csv")
    sql = "select row_number, column_name, value from quality.rejected_rows where file_path = ? order by 2"
    assert runs.first.query(sql, [late]) == [(2, "audit_id", "LATE-1"), (3, "completed_date", "2010-12-31")]
    assert runs.second.query(sql, [late]) == [(3, "completed_date", "2010-12-31")]
    assert runs.first.query("select count(*) from marts.case_audit_actions where action_id = 'L1'") == [(0,)]
    assert runs.second.query(
        "select audit_id, completed_on_time, days_to_complete from marts.case_audit_actions where action_id = 'L1'"
    ) == [("LATE-1", True, 9)]
    statuses = dict(
        runs.second.query("select file_path, status from quality.load_log where run_id = ?", [runs.second.run_id])
    )
    assert statuses[_path(runs, "late_audits.csv")] == "loaded"
    assert statuses[late] == "unchanged"
    assert runs.second.query("select count(*) from marts.case_audits")[0][0] == (
        runs.first.query("select count(*) from marts.case_audits")[0][0] + 1
    )


def test_a_file_that_is_not_an_export_is_rejected_whole_without_its_content(runs):
    reason = runs.first.query(
        "select status, reason from quality.load_log where run_id = ? and file_path = ?",
        [runs.first.run_id, _path(runs, "notes.csv")],
    )
    assert reason[0][0] == "rejected" and "not a case-audit export" in reason[0][1]
    assert "C999999" not in reason[0][1]


# --- marts -----------------------------------------------------------------------------------------------------


def test_child_key_is_the_shared_pseudonym(runs):
    """The same function and inputs as SSDA903: child_key(home LA, child id, key)."""
    keys = dict(runs.second.query("select audit_id, child_key from marts.case_audits where audit_id like 'H%'"))
    assert keys["H1"] == child_key(HOME_LA, "HW-001", KEY) == keys["H5"]
    assert keys["H2"] == child_key(HOME_LA, "HW-002", KEY)
    audits, _ = generate()
    first = audits[0]
    assert runs.second.query("select child_key, la_code from marts.case_audits where audit_id = ?", [first[0]]) == [
        (child_key(HOME_LA, first[1], KEY), HOME_LA)
    ]


def test_marts_columns_and_values(runs):
    assert runs.second.query(
        "select audit_id, audit_date, audit_month, team, case_type, auditor_type, overall_grade_label, "
        "overall_grade_rank, cp_plan_needed, assessment_up_to_date, actions_raised from marts.case_audits "
        "where audit_id in ('H3', 'H4') order by 1"
    ) == [
        ("H3", dt.date(2011, 1, 7), dt.date(2011, 1, 1), "Hand B", "CLA", "IRO", "Outstanding", 1, False, None, 1),
        ("H4", dt.date(2011, 1, 10), dt.date(2011, 1, 1), "Hand B", "EH", "CP chair", "Adequate", 3, True, True, 1),
    ]
    assert runs.second.query(
        "select audit_id, theme, grade_label, grade_rank from marts.case_audit_themes where audit_id like 'H%' "
        "order by 1"
    ) == [
        ("H1", "planning", "Good", 2),
        ("H2", "planning", "Inadequate", 4),
        ("H4", "planning", "Requires improvement", 3),
        ("H5", "planning", "Good", 2),
        ("H7", "planning", "Good", 2),
    ]
    assert runs.second.query(
        "select action_id, audit_id, action_type, owner_team, due_date, completed_date, is_open, completed_on_time, "
        "days_to_complete from marts.case_audit_actions where action_id like 'K%' order by 1"
    ) == [
        ("K1", "H1", "Increase visits", "Hand A", dt.date(2011, 1, 20), dt.date(2011, 1, 20), False, True, 15),
        ("K2", "H2", "Strategy discussion", None, dt.date(2011, 1, 25), dt.date(2011, 1, 30), False, False, 24),
        ("K3", "H3", "Re-assessment", "Hand B", dt.date(2011, 1, 28), None, True, None, None),
        ("K4", "H4", "Other", "Hand B", dt.date(2011, 2, 10), dt.date(2011, 2, 1), False, True, 22),
    ]


# --- indicators ------------------------------------------------------------------------------------------------

HAND_WORKED = {
    # (indicator, time_period, breakdown): (value, numerator, denominator)
    ("case_audits_completed", 201101, "Total"): (4, None, None),
    ("case_audits_good_or_better_pct", 201101, "Total"): (50.0, 2, 4),
    ("case_audits_inadequate_pct", 201101, "Total"): (25.0, 1, 4),
    ("case_audits_cp_plan_needed", 201101, "Total"): (2, None, None),
    ("case_audit_actions_on_time_pct", 201101, "Total"): (33.3, 1, 3),
    ("case_audits_completed", 201101, "team=Hand A"): (2, None, None),
    ("case_audits_good_or_better_pct", 201101, "team=Hand A"): (50.0, 1, 2),
    ("case_audits_inadequate_pct", 201101, "team=Hand A"): (50.0, 1, 2),
    ("case_audits_cp_plan_needed", 201101, "team=Hand A"): (1, None, None),
    ("case_audit_actions_on_time_pct", 201101, "team=Hand A"): (50.0, 1, 2),
    ("case_audits_completed", 201101, "team=Hand B"): (2, None, None),
    ("case_audits_good_or_better_pct", 201101, "team=Hand B"): (50.0, 1, 2),
    ("case_audits_inadequate_pct", 201101, "team=Hand B"): (0.0, 0, 2),
    ("case_audits_cp_plan_needed", 201101, "team=Hand B"): (1, None, None),
    ("case_audit_actions_on_time_pct", 201101, "team=Hand B"): (0.0, 0, 1),
    ("case_audits_completed", 201102, "Total"): (3, None, None),
    ("case_audits_good_or_better_pct", 201102, "Total"): (33.3, 1, 3),
    ("case_audits_inadequate_pct", 201102, "Total"): (0.0, 0, 3),
    ("case_audits_cp_plan_needed", 201102, "Total"): (0, None, None),
    ("case_audit_actions_on_time_pct", 201102, "Total"): (100.0, 1, 1),
    ("case_audits_completed", 201102, "team=Hand A"): (3, None, None),
    ("case_audits_good_or_better_pct", 201102, "team=Hand A"): (33.3, 1, 3),
    ("case_audits_inadequate_pct", 201102, "team=Hand A"): (0.0, 0, 3),
    ("case_audits_cp_plan_needed", 201102, "team=Hand A"): (0, None, None),
    ("case_audit_actions_on_time_pct", 201102, "team=Hand B"): (100.0, 1, 1),
}


def test_indicators_on_hand_worked_months(runs):
    rows = runs.second.query(
        "select indicator_code, time_period, breakdown, value, numerator, denominator, area_code, area_name, "
        "geography_level, la_code, period_label, status_symbol from marts.indicator_values "
        "where indicator_code like 'case_audit%' and time_period in (201101, 201102)"
    )
    got = {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in rows}
    assert got == HAND_WORKED
    assert {r[6:] for r in rows} == {
        (HOME_LA, "Wiltshire", "local_authority", HOME_LA, "2011-01", None),
        (HOME_LA, "Wiltshire", "local_authority", HOME_LA, "2011-02", None),
    }


def test_indicators_in_the_catalogue(runs):
    codes = {
        r[0]
        for r in runs.second.query("select indicator_code from marts.indicator_catalogue where domain = 'Case audits'")
    }
    assert codes == {
        "case_audits_completed",
        "case_audits_good_or_better_pct",
        "case_audits_inadequate_pct",
        "case_audits_cp_plan_needed",
        "case_audit_actions_on_time_pct",
    }


def _expected_sample_month(month: dt.date) -> dict[str, float]:
    """The sample's totals for a month, computed straight from the generator's rows."""
    audits, actions = generate()
    in_month = [a for a in audits if (a[2].year, a[2].month) == (month.year, month.month)]
    due = [a for a in actions if (a[4].year, a[4].month) == (month.year, month.month)]
    n = len(in_month)
    return {
        "case_audits_completed": n,
        "case_audits_good_or_better_pct": round(100 * sum(a[6] in ("Good", "Outstanding") for a in in_month) / n, 1),
        "case_audits_inadequate_pct": round(100 * sum(a[6] == "Inadequate" for a in in_month) / n, 1),
        "case_audits_cp_plan_needed": sum(a[-2] == "Y" for a in in_month),
        "case_audit_actions_on_time_pct": round(
            100 * sum(a[5] is not None and a[5] <= a[4] for a in due) / len(due), 1
        ),
    }


@pytest.mark.parametrize("month", [dt.date(2012, 4, 1), dt.date(2012, 8, 1), dt.date(2012, 12, 1)])
def test_sample_indicators_match_the_generated_rows(runs, month):
    rows = dict(
        runs.second.query(
            "select indicator_code, value from marts.indicator_values where indicator_code like 'case_audit%' "
            "and breakdown = 'Total' and time_period = ?",
            [int(month.strftime("%Y%m"))],
        )
    )
    assert rows == pytest.approx(_expected_sample_month(month))


def test_sample_tells_a_story_of_improvement(runs):
    values = {
        (code, period): value
        for code, period, value in runs.second.query(
            "select indicator_code, time_period, value from marts.indicator_values "
            "where indicator_code like 'case_audit%' and breakdown = 'Total' and time_period in (201204, 201212)"
        )
    }
    assert values[("case_audits_good_or_better_pct", 201212)] > values[("case_audits_good_or_better_pct", 201204)] + 30
    assert values[("case_audits_inadequate_pct", 201212)] < values[("case_audits_inadequate_pct", 201204)] - 20
    assert values[("case_audits_cp_plan_needed", 201212)] < values[("case_audits_cp_plan_needed", 201204)]
    assert values[("case_audit_actions_on_time_pct", 201212)] > values[("case_audit_actions_on_time_pct", 201204)] + 30
    teams = runs.second.query(
        "select count(distinct breakdown) from marts.indicator_values "
        "where indicator_code = 'case_audits_completed' and time_period = 201206"
    )
    assert teams == [(5,)]  # Total and four teams


# --- privacy ---------------------------------------------------------------------------------------------------


def _text_values(db: Path):
    """(schema.table.column, value) for every non-null text value of every table and view of ``db``."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_catalog = current_database()"
        ).fetchall()
        for schema, table, column in columns:
            for (value,) in con.execute(
                f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null'
            ).fetchall():
                yield f"{schema}.{table}.{column}", value
    finally:
        con.close()


def _identifiers_and_free_text() -> tuple[set[str], set[str]]:
    audits, actions = generate()
    ids = {a[1] for a in audits} | {r[1] for r in HAND_AUDITS + BAD_AUDITS + LATE_AUDITS if r[1]} | {"C999999"}
    texts = {a[6] for a in actions} | {d for _, d in ACTION_TYPES.values()}
    texts |= {r[6] for r in HAND_ACTIONS + BAD_ACTIONS + LATE_ACTIONS}
    return ids, texts


@pytest.mark.parametrize("which", ["published", "work"])
def test_no_child_identifier_or_free_text_in_any_text_column(runs, which):
    """Every text column of every table (published file; and the working file with raw, staging, marts)."""
    db = runs.second.published if which == "published" else runs.second.work
    ids, texts = _identifiers_and_free_text()
    id_pattern = re.compile("|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)))
    scanned = 0
    leaks = []
    for where, value in _text_values(db):
        scanned += 1
        if id_pattern.search(value) or any(t in value for t in texts):
            leaks.append((where, value[:80]))
    assert scanned > 1000
    assert leaks == []
    schemas = {w.split(".")[0] for w, _ in _text_values(db)}
    assert {"marts", "quality"} <= schemas and (which == "published" or "raw" in schemas)
