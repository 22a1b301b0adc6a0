"""Suites for the raw case-audit tables.

The ingest quarantines every row that breaks a rule, so these are invariants of the raw tables: when one
fails, the parser has a bug (or someone wrote to the raw tables by hand), and the refresh stops before
anything is published. They also guard the privacy rules: the raw tables have exactly their declared
columns (no ``child_id``, no ``description``) and every ``child_key`` is a 32-hex pseudonym.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelines.lib.case_audits import ACTIONS_TABLE, AUDITS_TABLE, CASE_TYPES, GRADE_LABELS, THEMES_TABLE
from pipelines.lib.ingest import RAW_META_COLUMNS

ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
GRADE_WORDS = sorted(GRADE_LABELS.values())


def _columns(table) -> list[str]:
    return [*table.columns, *RAW_META_COLUMNS]


def days_after(frame: pd.DataFrame, column: str, today: dt.date) -> pd.Series:
    """Days from ``today`` to each ISO date of ``column`` (positive = in the future), NaN where blank."""
    dates = pd.to_datetime(frame[column], format="%Y-%m-%d", errors="coerce")
    return (dates - pd.Timestamp(today)).dt.days.astype("float64")


def prepare_audits(frame: pd.DataFrame, today: dt.date | None = None) -> pd.DataFrame:
    """Add the derived column the audits suite checks (audit dates against today)."""
    frame = frame.copy()
    frame["audit_days_after_today"] = days_after(frame, "audit_date", today or dt.date.today())
    return frame


def prepare_actions(frame: pd.DataFrame, today: dt.date | None = None) -> pd.DataFrame:
    """Add the derived columns the actions suite checks."""
    frame = frame.copy()
    today = today or dt.date.today()
    frame["completed_days_after_today"] = days_after(frame, "completed_date", today)
    due = pd.to_datetime(frame["due_date"], format="%Y-%m-%d", errors="coerce")
    frame["due_date_parsed"] = due.notna()
    return frame


def audits_suite():
    """Expectations on ``raw.case_audit_rows`` (after :func:`prepare_audits`)."""
    import great_expectations as gx

    e = gx.expectations
    expectations = [
        e.ExpectTableColumnsToMatchSet(
            column_set=[*_columns(AUDITS_TABLE), "audit_days_after_today"], exact_match=True,
            meta={"check": "only the declared columns (no child_id)"}),
        *(
            e.ExpectColumnValuesToNotBeNull(column=column, meta={"check": f"{column} present"})
            for column in ("audit_id", "child_key", "la_code", "audit_date", "case_type", "overall_grade",
                           "cp_plan_needed")
        ),
        e.ExpectColumnValuesToMatchRegex(
            column="child_key", regex=r"^[0-9a-f]{32}$", meta={"check": "child_key is a pseudonym"}),
        e.ExpectColumnValuesToMatchRegex(
            column="la_code", regex=r"^\d{3}$", meta={"check": "la_code is a 3-digit DfE code"}),
        e.ExpectColumnValuesToMatchRegex(column="audit_date", regex=ISO_DATE, meta={"check": "audit_date ISO"}),
        e.ExpectColumnValuesToBeBetween(
            column="audit_days_after_today", max_value=0, meta={"check": "audit_date not in the future"}),
        e.ExpectColumnValuesToBeInSet(
            column="case_type", value_set=sorted(CASE_TYPES), meta={"check": "case_type known"}),
        e.ExpectColumnValuesToBeInSet(
            column="overall_grade", value_set=GRADE_WORDS, meta={"check": "overall_grade on the scale"}),
        e.ExpectColumnValuesToBeInSet(
            column="cp_plan_needed", value_set=["Y", "N"], meta={"check": "cp_plan_needed Y or N"}),
        e.ExpectColumnValuesToBeInSet(
            column="assessment_up_to_date", value_set=["Y", "N"], meta={"check": "assessment_up_to_date Y, N or blank"}),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["_file_path", "audit_id"], meta={"check": "one row per audit_id in each file"}),
    ]
    return gx.ExpectationSuite(name="raw_case_audit_rows", expectations=expectations)


def theme_grades_suite():
    """Expectations on ``raw.case_audit_theme_grades``."""
    import great_expectations as gx

    e = gx.expectations
    expectations = [
        e.ExpectTableColumnsToMatchSet(column_set=_columns(THEMES_TABLE), exact_match=True,
                                       meta={"check": "only the declared columns"}),
        *(
            e.ExpectColumnValuesToNotBeNull(column=column, meta={"check": f"{column} present"})
            for column in ("audit_id", "theme", "grade")
        ),
        e.ExpectColumnValuesToBeInSet(column="grade", value_set=GRADE_WORDS, meta={"check": "grade on the scale"}),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["_file_path", "audit_id", "theme"], meta={"check": "one grade per audit and theme"}),
    ]
    return gx.ExpectationSuite(name="raw_case_audit_theme_grades", expectations=expectations)


def actions_suite():
    """Expectations on ``raw.case_audit_action_rows`` (after :func:`prepare_actions`)."""
    import great_expectations as gx

    e = gx.expectations
    expectations = [
        e.ExpectTableColumnsToMatchSet(
            column_set=[*_columns(ACTIONS_TABLE), "completed_days_after_today", "due_date_parsed"], exact_match=True,
            meta={"check": "only the declared columns (no description)"}),
        *(
            e.ExpectColumnValuesToNotBeNull(column=column, meta={"check": f"{column} present"})
            for column in ("action_id", "audit_id", "due_date")
        ),
        e.ExpectColumnValuesToBeInSet(column="due_date_parsed", value_set=[True], meta={"check": "due_date ISO"}),
        e.ExpectColumnValuesToMatchRegex(
            column="completed_date", regex=ISO_DATE, meta={"check": "completed_date ISO or blank"}),
        e.ExpectColumnValuesToBeBetween(
            column="completed_days_after_today", max_value=0, meta={"check": "completed_date not in the future"}),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["_file_path", "action_id"], meta={"check": "one row per action_id in each file"}),
    ]
    return gx.ExpectationSuite(name="raw_case_audit_action_rows", expectations=expectations)
