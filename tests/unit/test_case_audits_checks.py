"""The GX suites on the raw case-audit tables: met by what the parser writes (also when there is nothing),
broken by what the parser must never write (a clear child_id, a description, a future date, a bad grade)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from expectations.case_audits import actions_suite, audits_suite, prepare_actions, prepare_audits, theme_grades_suite
from expectations.runner import validate_frame
from pipelines.lib.case_audits import ACTIONS_TABLE, AUDITS_TABLE, THEMES_TABLE, parse_case_audit_file
from pipelines.lib.ingest import RAW_META_COLUMNS
from pipelines.sample_data.case_audits import write_case_audit_samples

SUITES = {
    AUDITS_TABLE.name: (AUDITS_TABLE, audits_suite, prepare_audits),
    THEMES_TABLE.name: (THEMES_TABLE, theme_grades_suite, None),
    ACTIONS_TABLE.name: (ACTIONS_TABLE, actions_suite, prepare_actions),
}


def frame(table, rows: list[dict]) -> pd.DataFrame:
    columns = [*table.columns, *RAW_META_COLUMNS]
    return pd.DataFrame({c: pd.Series([r.get(c) for r in rows], dtype="object") for c in columns})


def failed(name: str, data: pd.DataFrame, project_dir) -> set[str]:
    _table, suite, prepare = SUITES[name]
    if prepare is not None:
        data = prepare(data)
    return {o.name for o in validate_frame(data, suite(), project_dir, asset_name=name) if not o.passed}


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    (path,) = write_case_audit_samples(raw)
    tables = {t.table_name: t for t in parse_case_audit_file(path, home_la="865", key="k")}
    return {
        name: frame(table, [{**r, "_file_path": str(path), "_row_number": r["_row_number"]}
                            for r in tables[name].rows])
        for name, (table, _suite, _prepare) in SUITES.items()
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
        "only the declared columns (no child_id)", "child_key is a pseudonym", "audit_date not in the future",
        "overall_grade on the scale", "case_type known", "one row per audit_id in each file"}


def test_action_suite_catches_a_description_and_a_future_completion(parsed, tmp_path):
    data = parsed[ACTIONS_TABLE.name].head(3).copy()
    data["description"] = "free text"
    data.loc[0, "completed_date"] = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    assert failed(ACTIONS_TABLE.name, data, tmp_path) == {
        "only the declared columns (no description)", "completed_date not in the future"}
