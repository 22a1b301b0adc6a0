"""The case-audit parser: tables recognised by header, pseudonymisation, every row rule with its reason."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.lib.ingest.load import FileRejected, load_source
from pipelines.lib.ingest.pseudonymise import child_key
from pipelines.lib.sources.case_audits import (
    ACTIONS_TABLE,
    AUDITS_TABLE,
    REDACTED,
    TABLES,
    THEMES_TABLE,
    classify_header,
    column_key,
    forget_loaded_files,
    parse_case_audit_file,
    parse_case_audit_files,
    pseudonym_check,
    stale_pseudonyms,
)
from pipelines.sample_data.case_audits import (
    TEMPLATE_ACTIONS_CSV,
    TEMPLATE_AUDITS_CSV,
    TEMPLATE_DIR,
    TEMPLATE_NAME,
)

KEY = "unit-test-key"
LA = "865"
TODAY = dt.date(2013, 1, 31)

AUDIT_HEADER = [
    "audit_id",
    "child_id",
    "audit_date",
    "team",
    "case_type",
    "auditor_type",
    "overall_grade",
    "grade_planning",
    "grade_voice_of_child",
    "cp_plan_needed",
    "assessment_up_to_date",
]
ACTION_HEADER = ["action_id", "audit_id", "action_type", "owner_team", "due_date", "completed_date", "description"]


def audit(
    audit_id="A1",
    child="CH-0001",
    date="05/04/2012",
    team="North",
    case_type="CIN",
    auditor="Manager",
    grade="Good",
    planning="Good",
    voice="",
    cp="N",
    assessment="Y",
):
    return [audit_id, child, date, team, case_type, auditor, grade, planning, voice, cp, assessment]


def action(
    action_id="X1",
    audit_id="A1",
    kind="Increase visits",
    owner="North",
    due="20/04/2012",
    completed="",
    description="Visit weekly; the child told me about home",
):
    return [action_id, audit_id, kind, owner, due, completed, description]


def write_csv(path: Path, header: list, rows: list[list], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def parse(path: Path, today: dt.date = TODAY):
    return {t.table_name: t for t in parse_case_audit_file(path, home_la=LA, key=KEY, today=today)}


def audits_file(tmp_path: Path, *rows: list) -> Path:
    return write_csv(tmp_path / "export.csv", AUDIT_HEADER, list(rows))


def actions_file(tmp_path: Path, *rows: list) -> Path:
    return write_csv(tmp_path / "actions.csv", ACTION_HEADER, list(rows))


# --- recognising the tables ---------------------------------------------------------------------------------


def test_one_workbook_with_both_tables_under_title_rows(tmp_path):
    path = write_workbook(
        tmp_path / "anything.xlsx",
        {
            "Cover": [["Case-file audit export"], ["Exported 31/01/2013"]],
            "Sheet A": [["Case audits"], [], AUDIT_HEADER, audit(), audit("A2", "CH-0002")],
            "Sheet B": [["Follow-up actions"], ACTION_HEADER, action()],
        },
    )
    tables = parse(path)
    assert set(tables) == {AUDITS_TABLE.name, THEMES_TABLE.name, ACTIONS_TABLE.name}
    assert [r["audit_id"] for r in tables[AUDITS_TABLE.name].rows] == ["A1", "A2"]
    assert [r["_row_number"] for r in tables[AUDITS_TABLE.name].rows] == [4, 5]
    assert tables[ACTIONS_TABLE.name].rows[0]["_row_number"] == 3
    assert tables[ACTIONS_TABLE.name].sheet == "Sheet B"


def test_two_csv_files_recognised_by_header_not_name(tmp_path):
    audits = write_csv(tmp_path / "actions_export.csv", AUDIT_HEADER, [audit()])
    actions = write_csv(tmp_path / "audits_export.csv", ACTION_HEADER, [action()])
    assert set(parse(audits)) == {AUDITS_TABLE.name, THEMES_TABLE.name}
    assert set(parse(actions)) == {ACTIONS_TABLE.name}


def test_headers_in_any_case_and_spacing_and_windows_1252(tmp_path):
    header = [
        "Audit ID",
        "Child ID",
        "Audit Date",
        "Team",
        "Case Type",
        "Auditor Type",
        "Overall Grade",
        "Grade Planning",
        "Grade Voice of child",
        "CP plan needed",
        "Assessment up to date",
    ]
    path = write_csv(tmp_path / "a.csv", header, [audit(team="Équipe Nord £")], encoding="cp1252")
    rows = parse(path)[AUDITS_TABLE.name].rows
    assert rows[0]["team"] == "Équipe Nord £"
    assert column_key("  Grade - Voice of child ") == "grade_voice_of_child"


@pytest.mark.parametrize(
    "cells, kind",
    [
        (AUDIT_HEADER, "audits"),
        (ACTION_HEADER, "actions"),
        (["audit_id", "child_id", "audit_date"], "audits"),
        (["action_id", "audit_id", "due_date"], "actions"),
        (["audit_id", "grade_planning", "overall_grade"], "audits"),
        (["Case audits April 2012"], None),
        (["C123456", "05/04/2012", "North"], None),
    ],
)
def test_header_classification(cells, kind):
    assert classify_header(cells) == kind


def test_missing_required_columns_reject_the_file_naming_them(tmp_path):
    path = write_csv(
        tmp_path / "a.csv", ["audit_id", "child_id", "audit_date", "team"], [["A1", "C1", "05/04/2012", "N"]]
    )
    with pytest.raises(
        FileRejected,
        match=r"lacks required column\(s\) case_type, overall_grade, cp_plan_needed; "
        r"columns found: audit_id, child_id, audit_date, team",
    ):
        parse(path)


def test_unrecognised_file_is_rejected_without_echoing_its_cells(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["C999111", "05/04/2012", "North", "Good"], [["C999112", "x", "y", "z"]])
    with pytest.raises(FileRejected) as info:
        parse(path)
    assert "not a case-audit export" in str(info.value)
    assert "C999111" not in str(info.value)


@pytest.mark.parametrize("name", [TEMPLATE_NAME, TEMPLATE_AUDITS_CSV, TEMPLATE_ACTIONS_CSV])
def test_the_committed_template_is_recognised_and_empty(name):
    tables = parse(TEMPLATE_DIR / name)
    assert tables
    assert all(not t.rows and not t.rejections for t in tables.values())


# --- privacy ---------------------------------------------------------------------------------------------------


def test_child_id_becomes_the_shared_child_key_and_is_never_kept(tmp_path):
    path = audits_file(tmp_path, audit("A1", " CH-0001 "), audit("A2", "CH-0001"), audit("A3", "CH-0002"))
    rows = parse(path)[AUDITS_TABLE.name].rows
    assert [r["child_key"] for r in rows] == [child_key(LA, "CH-0001", KEY)] * 2 + [child_key(LA, "CH-0002", KEY)]
    assert all(r["la_code"] == LA and r["pseudonym_check"] == pseudonym_check(LA, KEY) for r in rows)
    assert all("child_id" not in r for r in rows)
    assert not any("CH-000" in str(v) for r in rows for v in r.values())
    assert set(AUDITS_TABLE.columns).isdisjoint({"child_id", "description"})


def test_description_is_never_read(tmp_path):
    text = "Mother disclosed domestic abuse to the auditor"
    tables = parse(actions_file(tmp_path, action(description=text), action("X2", due="31/02/2012", description=text)))
    parsed = tables[ACTIONS_TABLE.name]
    assert all("description" not in r for r in parsed.rows)
    assert not any(text in str(v) for r in parsed.rows for v in r.values())
    assert not any(text in f"{r.value} {r.reason}" for r in parsed.rejections)
    assert "description" not in ACTIONS_TABLE.columns


def test_a_blank_or_overlong_child_id_is_quarantined_without_its_value(tmp_path):
    pasted = "Child lives with grandmother at 12 Acacia Avenue, Trowbridge"
    tables = parse(audits_file(tmp_path, audit("A1", ""), audit("A2", pasted)))
    rejections = tables[AUDITS_TABLE.name].rejections
    assert [(r.row_number, r.column, r.value) for r in rejections] == [(2, "child_id", None), (3, "child_id", REDACTED)]
    assert not any(pasted in r.reason for r in rejections)
    assert not tables[AUDITS_TABLE.name].rows


# --- values ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, label",
    [
        ("Outstanding", "Outstanding"),
        ("good", "Good"),
        ("GOOD", "Good"),
        ("requires  improvement", "Requires improvement"),
        ("Requires Improvement to be Good", "Requires improvement to be good"),
        ("adequate", "Adequate"),
        (" Inadequate ", "Inadequate"),
    ],
)
def test_grades_case_insensitive_to_their_canonical_word(tmp_path, written, label):
    tables = parse(audits_file(tmp_path, audit(grade=written, planning=written)))
    assert tables[AUDITS_TABLE.name].rows[0]["overall_grade"] == label
    assert tables[THEMES_TABLE.name].rows[0]["grade"] == label


def test_theme_grades_in_long_form_blank_skipped(tmp_path):
    tables = parse(
        audits_file(
            tmp_path, audit("A1", planning="Good", voice="inadequate"), audit("A2", "CH-2", planning="", voice="")
        )
    )
    assert [(r["audit_id"], r["theme"], r["grade"], r["_row_number"]) for r in tables[THEMES_TABLE.name].rows] == [
        ("A1", "planning", "Good", 2),
        ("A1", "voice_of_child", "Inadequate", 2),
    ]
    assert tables[AUDITS_TABLE.name].rows_loaded == 2
    assert tables[THEMES_TABLE.name].rows_loaded == 0  # counted with their audit rows


@pytest.mark.parametrize(
    "cp, assessment, expected",
    [
        ("Y", "N", ("Y", "N")),
        ("n", "", ("N", None)),
        ("Yes", "no", ("Y", "N")),
        ("TRUE", "FALSE", ("Y", "N")),
    ],
)
def test_yes_no_flags(tmp_path, cp, assessment, expected):
    row = parse(audits_file(tmp_path, audit(cp=cp, assessment=assessment)))[AUDITS_TABLE.name].rows[0]
    assert (row["cp_plan_needed"], row["assessment_up_to_date"]) == expected


def test_a_blank_team_or_auditor_type_loads(tmp_path):
    row = parse(audits_file(tmp_path, audit(team="", auditor="")))[AUDITS_TABLE.name].rows[0]
    assert (row["team"], row["auditor_type"]) == (None, None)


def test_dates_day_first_and_case_type_upper(tmp_path):
    row = parse(audits_file(tmp_path, audit(date="05/03/2012", case_type="cla")))[AUDITS_TABLE.name].rows[0]
    assert (row["audit_date"], row["case_type"]) == ("2012-03-05", "CLA")


def test_date_cells_of_a_workbook(tmp_path):
    path = write_workbook(
        tmp_path / "a.xlsx",
        {
            "Audits": [AUDIT_HEADER, audit(date=dt.datetime(2012, 4, 5))],
            "Actions": [ACTION_HEADER, action(due=dt.datetime(2012, 4, 20), completed=dt.datetime(2012, 4, 19))],
        },
    )
    tables = parse(path)
    assert tables[AUDITS_TABLE.name].rows[0]["audit_date"] == "2012-04-05"
    assert (tables[ACTIONS_TABLE.name].rows[0]["due_date"], tables[ACTIONS_TABLE.name].rows[0]["completed_date"]) == (
        "2012-04-20",
        "2012-04-19",
    )


# --- quarantine rules: each with file row, column, value and a reason a person can act on -------------------------

AUDIT_RULES = [
    (
        "a date that does not exist",
        audit(date="31/02/2012"),
        "audit_date",
        "31/02/2012",
        "audit A1: audit_date '31/02/2012' is not a real date",
    ),
    ("a US-style date", audit(date="04/25/2012"), "audit_date", "04/25/2012", "US-style"),
    (
        "an audit in the future",
        audit(date="01/02/2013"),
        "audit_date",
        "01/02/2013",
        "audit A1: audit_date 2013-02-01 is in the future",
    ),
    ("no audit date", audit(date=""), "audit_date", None, "audit_date is blank"),
    (
        "an unknown case type",
        audit(case_type="LAC"),
        "case_type",
        "LAC",
        "case_type 'LAC' is not a case type: use EH (early help), CIN (child in need), CP (child protection plan), "
        "CLA (looked after) or CL (care leaver)",
    ),
    (
        "an unknown overall grade",
        audit(grade="Excellent"),
        "overall_grade",
        "Excellent",
        "overall_grade 'Excellent' is not a grade",
    ),
    ("a blank overall grade", audit(grade=""), "overall_grade", None, "overall_grade is blank: use Outstanding"),
    ("a blank case type", audit(case_type=""), "case_type", None, "case_type is blank: use EH"),
    (
        "an unknown theme grade",
        audit(voice="Very good"),
        "grade_voice_of_child",
        "Very good",
        "grade_voice_of_child 'Very good' is not a grade",
    ),
    ("cp_plan_needed not Y/N", audit(cp="Maybe"), "cp_plan_needed", "Maybe", "cp_plan_needed 'Maybe' is not Y or N"),
    ("cp_plan_needed blank", audit(cp=""), "cp_plan_needed", None, "cp_plan_needed is blank: write Y or N"),
    (
        "assessment_up_to_date not Y/N",
        audit(assessment="?"),
        "assessment_up_to_date",
        "?",
        "assessment_up_to_date '?' is not Y, N or blank",
    ),
]


@pytest.mark.parametrize("rule, row, column, value, reason", AUDIT_RULES, ids=[r[0] for r in AUDIT_RULES])
def test_audit_rules(tmp_path, rule, row, column, value, reason):
    tables = parse(audits_file(tmp_path, audit("A0", "CH-9"), row))
    audits = tables[AUDITS_TABLE.name]
    assert [r["audit_id"] for r in audits.rows] == ["A0"], "the other rows load"
    assert [(r.row_number, r.column, r.value) for r in audits.rejections] == [(3, column, value)]
    assert reason in audits.rejections[0].reason
    assert all(r["audit_id"] == "A0" for r in tables[THEMES_TABLE.name].rows), "a quarantined audit's themes too"
    assert audits.rows_read == 2 and audits.rows_rejected == 1


def test_duplicate_audit_id_keeps_the_first(tmp_path):
    tables = parse(
        audits_file(tmp_path, audit("A1", grade="Good"), audit("A2", "CH-2"), audit("A1", grade="Inadequate"))
    )
    audits = tables[AUDITS_TABLE.name]
    assert [(r["audit_id"], r["overall_grade"]) for r in audits.rows] == [("A1", "Good"), ("A2", "Good")]
    assert [(r.row_number, r.column, r.value, r.reason) for r in audits.rejections] == [
        (4, "audit_id", "A1", "audit A1: duplicate audit_id: the same audit_id is on row 2, which is kept")
    ]


def test_a_row_with_two_bad_cells_gives_two_reasons_and_counts_once(tmp_path):
    audits = parse(audits_file(tmp_path, audit(date="32/01/2012", case_type="X")))[AUDITS_TABLE.name]
    assert {r.column for r in audits.rejections} == {"audit_date", "case_type"}
    assert audits.rows_rejected == 1


ACTION_RULES = [
    (
        "a due date that does not exist",
        action(due="30/02/2012"),
        "due_date",
        "30/02/2012",
        "action X1: due_date '30/02/2012' is not a real date",
    ),
    ("no due date", action(due=""), "due_date", None, "due_date is blank"),
    (
        "a completed date that does not exist",
        action(completed="2012-13-01"),
        "completed_date",
        "2012-13-01",
        "is not a real date",
    ),
    (
        "a completed date in the future",
        action(completed="01/03/2013"),
        "completed_date",
        "01/03/2013",
        "completed_date 2013-03-01 is in the future (the file was loaded on 2013-01-31) (leave it blank while",
    ),
    ("no audit_id", action(audit_id=""), "audit_id", None, "audit_id is blank"),
]


@pytest.mark.parametrize("rule, row, column, value, reason", ACTION_RULES, ids=[r[0] for r in ACTION_RULES])
def test_action_rules(tmp_path, rule, row, column, value, reason):
    actions = parse(actions_file(tmp_path, action("X0"), row))[ACTIONS_TABLE.name]
    assert [r["action_id"] for r in actions.rows] == ["X0"]
    assert [(r.row_number, r.column, r.value) for r in actions.rejections] == [(3, column, value)]
    assert reason in actions.rejections[0].reason


def test_duplicate_action_id_keeps_the_first(tmp_path):
    actions = parse(actions_file(tmp_path, action("X1", completed="19/04/2012"), action("X1")))[ACTIONS_TABLE.name]
    assert [(r["action_id"], r["completed_date"]) for r in actions.rows] == [("X1", "2012-04-19")]
    assert [(r.row_number, r.column, r.value) for r in actions.rejections] == [(3, "action_id", "X1")]
    assert "which is kept" in actions.rejections[0].reason


def test_open_action_loads_with_blank_completed_date(tmp_path):
    row = parse(actions_file(tmp_path, action(completed="")))[ACTIONS_TABLE.name].rows[0]
    assert row["completed_date"] is None and row["due_date"] == "2012-04-20"


# --- re-pseudonymising when the home LA or the key changes ------------------------------------------------------


def _load(con, folder: Path, home_la: str, key: str):
    return load_source(
        con,
        source="case_audits",
        folder=folder,
        tables=TABLES,
        run_id="r",
        parser=lambda p: parse_case_audit_file(p, home_la=home_la, key=key, today=TODAY),
    )


def test_a_changed_key_or_home_la_is_noticed_and_every_file_reread(tmp_path):
    folder = tmp_path / "case_audits"
    folder.mkdir()
    audits_file(folder, audit("A1", "CH-1"))
    con = duckdb.connect()
    _load(con, folder, LA, KEY)
    assert not stale_pseudonyms(con, LA, KEY)
    assert stale_pseudonyms(con, LA, "another-key") and stale_pseudonyms(con, "866", KEY)
    forget_loaded_files(con)
    result = _load(con, folder, "866", "another-key")
    assert [f.status for f in result.files] == ["loaded"]
    assert con.execute("select child_key, la_code from raw.case_audit_rows").fetchall() == [
        (child_key("866", "CH-1", "another-key"), "866")
    ]


def test_a_repeat_on_another_sheet_of_the_same_workbook_is_a_duplicate(tmp_path):
    path = write_workbook(
        tmp_path / "a.xlsx",
        {
            "Audits 2012": [AUDIT_HEADER, audit("A1")],
            "Audits 2013": [AUDIT_HEADER, audit("A2", "CH-2"), audit("A1", "CH-3")],
        },
    )
    tables = parse_case_audit_file(path, home_la=LA, key=KEY, today=TODAY)
    audits = [t for t in tables if t.table_name == AUDITS_TABLE.name]
    assert [[r["audit_id"] for r in t.rows] for t in audits] == [["A1"], ["A2"]]
    assert [(r.row_number, r.value, r.reason) for r in audits[1].rejections] == [
        (
            3,
            "A1",
            "sheet 'Audits 2013', audit A1: duplicate audit_id: the same audit_id is on row 2 of sheet "
            "'Audits 2012', which is kept",
        )
    ]


# --- the batch parser: every changed file in one pass, in the load's one transaction ------------------------------


def test_the_batch_parser_loads_a_windows_1252_file_with_the_others_in_one_transaction(tmp_path):
    folder = tmp_path / "case_audits"
    folder.mkdir()
    write_csv(folder / "a.csv", AUDIT_HEADER, [audit("A1", "CH-1", team="Équipe Nord £")], encoding="cp1252")
    write_csv(folder / "b.csv", AUDIT_HEADER, [audit("B1", "CH-2"), audit("B1", "CH-3")])
    write_csv(folder / "c.csv", ACTION_HEADER, [action()])
    con = duckdb.connect()
    result = load_source(
        con,
        source="case_audits",
        folder=folder,
        tables=TABLES,
        run_id="r",
        batch_parser=lambda c, paths: parse_case_audit_files(c, paths, home_la=LA, key=KEY, today=TODAY),
    )
    assert [(f.status, f.rows_read, f.rows_loaded, f.rows_rejected) for f in result.files] == [
        ("loaded", 1, 1, 0),
        ("loaded", 2, 1, 1),
        ("loaded", 1, 1, 0),
    ]
    teams = con.execute("select team from raw.case_audit_rows where audit_id = 'A1'").fetchall()
    assert teams == [("Équipe Nord £",)]
    assert con.execute("select count(*) from raw.case_audit_theme_grades").fetchall() == [(2,)]


def test_each_distinct_child_id_is_pseudonymised_once(tmp_path, monkeypatch):
    from pipelines.lib.sources import case_audits

    calls = []
    monkeypatch.setattr(
        case_audits, "child_key", lambda la, child, key: calls.append(child) or child_key(la, child, key)
    )
    rows = parse(audits_file(tmp_path, audit("A1", "CH-1"), audit("A2", "CH-1"), audit("A3", "CH-2")))[
        AUDITS_TABLE.name
    ].rows
    assert sorted(c for c in calls if not c.startswith("\x00")) == ["CH-1", "CH-2"]
    assert [r["child_key"] for r in rows] == [child_key(LA, c, KEY) for c in ("CH-1", "CH-1", "CH-2")]
