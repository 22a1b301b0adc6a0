"""The GX suites on the raw case-audit tables: met by what the parser writes (also when there is nothing),
broken by what the parser must never write (a clear child_id, a description, a future date, a bad grade)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from expectations.case_audits import (
    actions_check_query,
    actions_suite,
    audits_check_query,
    audits_suite,
    theme_grades_check_query,
    theme_grades_suite,
)
from expectations.runner import validate_frame
from pipelines.lib.ingest.load import RAW_META_COLUMNS
from pipelines.lib.sources.case_audits import ACTIONS_TABLE, AUDITS_TABLE, THEMES_TABLE, parse_case_audit_file
from pipelines.sample_data.case_audits import write_case_audit_samples

SUITES = {
    AUDITS_TABLE.name: (AUDITS_TABLE, audits_suite, audits_check_query),
    THEMES_TABLE.name: (THEMES_TABLE, theme_grades_suite, theme_grades_check_query),
    ACTIONS_TABLE.name: (ACTIONS_TABLE, actions_suite, actions_check_query),
}


def frame(table, rows: list[dict]) -> pd.DataFrame:
    columns = [*table.columns, *RAW_META_COLUMNS]
    return pd.DataFrame({c: pd.Series([r.get(c) for r in rows], dtype="object") for c in columns})


def summary(name: str, data: pd.DataFrame) -> pd.DataFrame:
    """What the check validates: the summary made in SQL of ``data`` as a raw table (text columns)."""
    _table, _suite, query = SUITES[name]
    con = duckdb.connect()
    con.register("data", data)
    columns = ", ".join(f'"{c}"::varchar as "{c}"' for c in data.columns)
    con.execute(f"create table raw_rows as select {columns} from data")
    return con.execute(query("raw_rows")).df()


def failed(name: str, data: pd.DataFrame, project_dir) -> set[str]:
    _table, suite, _query = SUITES[name]
    return {o.name for o in validate_frame(summary(name, data), suite(), project_dir, asset_name=name) if not o.passed}


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    (path,) = write_case_audit_samples(raw)
    tables = {t.table_name: t for t in parse_case_audit_file(path, home_la="865", key="k")}
    return {
        name: frame(table, [{**r, "_file_path": str(path), "_row_number": r["_row_number"]} for r in tables[name].rows])
        for name, (table, _suite, _query) in SUITES.items()
    }


@pytest.mark.parametrize("name", list(SUITES))
def test_suites_met_by_the_parsed_sample_and_by_no_data(parsed, tmp_path, name):
    assert failed(name, parsed[name], tmp_path) == set()
    assert failed(name, frame(SUITES[name][0], []), tmp_path) == set()


def test_audit_suite_catches_what_the_parser_must_never_write(parsed, tmp_path):
    data = parsed[AUDITS_TABLE.name].head(5).copy()
    data["child_id"] = "C123456"
    data.loc[0, "child_key"] = "C123456"
    data.loc[1, "audit_date"] = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    data.loc[2, "overall_grade"] = "Excellent"
    data.loc[3, "case_type"] = "LAC"
    data.loc[4, "audit_id"] = data.loc[0, "audit_id"]
    assert failed(AUDITS_TABLE.name, data, tmp_path) == {
        "only the declared columns (no child_id)",
        "child_key is a pseudonym",
        "audit_date not in the future",
        "overall_grade on the scale",
        "case_type known",
        "one row per audit_id in each file",
    }


def test_action_suite_catches_a_description_and_a_future_completion(parsed, tmp_path):
    data = parsed[ACTIONS_TABLE.name].head(3).copy()
    data["description"] = "free text"
    data.loc[0, "completed_date"] = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    assert failed(ACTIONS_TABLE.name, data, tmp_path) == {
        "only the declared columns (no description)",
        "completed_date not in the future",
    }


def test_theme_and_action_suites_catch_repeats_bad_grades_and_dates(parsed, tmp_path):
    themes = parsed[THEMES_TABLE.name].head(3).copy()
    themes.loc[1, ["audit_id", "theme"]] = themes.loc[0, ["audit_id", "theme"]].to_numpy()
    themes.loc[2, "grade"] = "Superb"
    assert failed(THEMES_TABLE.name, themes, tmp_path) == {"one grade per audit and theme", "grade on the scale"}

    actions = parsed[ACTIONS_TABLE.name].head(3).copy()
    actions.loc[0, "due_date"] = "31/12/2020"
    actions.loc[1, "completed_date"] = "yesterday"
    actions.loc[2, "action_id"] = None
    assert failed(ACTIONS_TABLE.name, actions, tmp_path) == {
        "due_date ISO",
        "completed_date ISO or blank",
        "action_id present",
    }


def test_columns_are_checked_without_rows_and_named(tmp_path):
    data = frame(AUDITS_TABLE, []).drop(columns=["team"]).assign(child_id=pd.Series(dtype="object"))
    outcomes = validate_frame(summary(AUDITS_TABLE.name, data), audits_suite(), tmp_path, asset_name="audits")
    (columns,) = [o for o in outcomes if not o.passed]
    assert columns.name == "only the declared columns (no child_id)"
    assert "-team" in columns.details and "child_id" in columns.details
