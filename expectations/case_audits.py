"""Suites for the raw case-audit tables.

The ingest quarantines every row that breaks a rule, so these are invariants of the raw tables: when one
fails, the parser has a bug (or someone wrote to the raw tables by hand), and the refresh stops before
anything is published. They also guard the privacy rules: the raw tables have exactly their declared
columns (no ``child_id``, no ``description``) and every ``child_key`` is a 32-hex pseudonym.

A council's audit tool exports hundreds of thousands of audits, actions and theme grades, so each suite
validates a summary made in SQL (``*_check_query``), as the SSDA903 and school statistics suites do: one row
per combination of the coded values (case type, grade, Y/N flags), with counts of the rows that break each
rule, and the raw table's columns that are not the declared ones. Every row is covered; the frame stays small
and the check's memory does not grow with the data.
"""

from __future__ import annotations

from expectations.summaries import CHILD_KEY, ISO_DATE, count_where, no_rows_breaking, not_matching
from pipelines.lib.ingest.load import RAW_META_COLUMNS
from pipelines.lib.sources.case_audits import ACTIONS_TABLE, AUDITS_TABLE, CASE_TYPES, GRADE_LABELS, THEMES_TABLE

GRADE_WORDS = sorted(GRADE_LABELS.values())


def _missing(columns: tuple[str, ...]) -> str:
    return ", ".join(f"{count_where(f'{c} is null')} as missing_{c}" for c in columns)


def _date(column: str) -> str:
    return f"try_strptime({column}, '%Y-%m-%d')::date"


def _summary(table, relation: str, group_by: tuple[str, ...], counts: str, partition: tuple[str, ...]) -> str:
    """One row per combination of ``group_by`` with ``counts``, beside the columns of ``relation`` that are
    not ``table``'s declared ones (``-name`` for a declared column that is missing). A table without rows
    still gives one row, so that its columns are checked."""
    declared = ", ".join(f"'{c}'" for c in (*table.columns, *RAW_META_COLUMNS))
    groups = ", ".join(group_by)
    return f"""
        with rows_ as (
            select *, count(*) over (partition by {", ".join(partition)}) as copies from {relation}
        ),
        columns_ as (
            select coalesce(string_agg(name, ', ' order by name), '') as columns_not_declared from (
                select column_name as name from (describe {relation}) where column_name not in ({declared})
                union all
                select '-' || d from unnest([{declared}]) as t(d)
                where d not in (select column_name from (describe {relation}))
            )
        ),
        summary as (
            select {groups + "," if groups else ""} count(*) as row_count, {counts},
                {count_where("copies > 1")} as repeated_rows
            from rows_
            {"group by " + groups if groups else ""}
        )
        select * from columns_ left join summary on true
    """


def audits_check_query(relation: str = f"raw.{AUDITS_TABLE.name}") -> str:
    """The summary of ``raw.case_audit_rows`` that :func:`audits_suite` validates."""
    return _summary(
        AUDITS_TABLE,
        relation,
        group_by=("la_code", "case_type", "overall_grade", "cp_plan_needed", "assessment_up_to_date"),
        counts=", ".join(
            [
                _missing(
                    ("audit_id", "child_key", "la_code", "audit_date", "case_type", "overall_grade", "cp_plan_needed")
                ),
                f"{count_where(not_matching('child_key', CHILD_KEY))} as non_pseudonym_child_keys",
                f"{count_where(not_matching('audit_date', ISO_DATE))} as non_iso_audit_dates",
                f"{count_where(_date('audit_date') + ' > current_date')} as future_audit_dates",
            ]
        ),
        partition=("_file_path", "audit_id"),
    )


def theme_grades_check_query(relation: str = f"raw.{THEMES_TABLE.name}") -> str:
    """The summary of ``raw.case_audit_theme_grades`` that :func:`theme_grades_suite` validates."""
    return _summary(
        THEMES_TABLE,
        relation,
        group_by=("grade",),
        counts=_missing(("audit_id", "theme", "grade")),
        partition=("_file_path", "audit_id", "theme"),
    )


def actions_check_query(relation: str = f"raw.{ACTIONS_TABLE.name}") -> str:
    """The summary of ``raw.case_audit_action_rows`` that :func:`actions_suite` validates."""
    return _summary(
        ACTIONS_TABLE,
        relation,
        group_by=(),
        counts=", ".join(
            [
                _missing(("action_id", "audit_id", "due_date")),
                f"{count_where(_date('due_date') + ' is null')} as non_iso_due_dates",
                f"{count_where(not_matching('completed_date', ISO_DATE))} as non_iso_completed_dates",
                f"{count_where(_date('completed_date') + ' > current_date')} as future_completed_dates",
            ]
        ),
        partition=("_file_path", "action_id"),
    )


def _present(e, columns: tuple[str, ...]):
    return [no_rows_breaking(e, f"missing_{c}", f"{c} present") for c in columns]


def _declared_columns(e, check: str):
    return e.ExpectColumnValuesToBeInSet(column="columns_not_declared", value_set=[""], meta={"check": check})


def audits_suite():
    """Expectations on the summary of ``raw.case_audit_rows`` (:func:`audits_check_query`)."""
    import great_expectations as gx

    e = gx.expectations
    expectations = [
        _declared_columns(e, "only the declared columns (no child_id)"),
        *_present(
            e, ("audit_id", "child_key", "la_code", "audit_date", "case_type", "overall_grade", "cp_plan_needed")
        ),
        no_rows_breaking(e, "non_pseudonym_child_keys", "child_key is a pseudonym"),
        e.ExpectColumnValuesToMatchRegex(
            column="la_code", regex=r"^\d{3}$", meta={"check": "la_code is a 3-digit DfE code"}
        ),
        no_rows_breaking(e, "non_iso_audit_dates", "audit_date ISO"),
        no_rows_breaking(e, "future_audit_dates", "audit_date not in the future"),
        e.ExpectColumnValuesToBeInSet(
            column="case_type", value_set=sorted(CASE_TYPES), meta={"check": "case_type known"}
        ),
        e.ExpectColumnValuesToBeInSet(
            column="overall_grade", value_set=GRADE_WORDS, meta={"check": "overall_grade on the scale"}
        ),
        e.ExpectColumnValuesToBeInSet(
            column="cp_plan_needed", value_set=["Y", "N"], meta={"check": "cp_plan_needed Y or N"}
        ),
        e.ExpectColumnValuesToBeInSet(
            column="assessment_up_to_date", value_set=["Y", "N"], meta={"check": "assessment_up_to_date Y, N or blank"}
        ),
        no_rows_breaking(e, "repeated_rows", "one row per audit_id in each file"),
    ]
    return gx.ExpectationSuite(name="raw_case_audit_rows", expectations=expectations)


def theme_grades_suite():
    """Expectations on the summary of ``raw.case_audit_theme_grades`` (:func:`theme_grades_check_query`)."""
    import great_expectations as gx

    e = gx.expectations
    expectations = [
        _declared_columns(e, "only the declared columns"),
        *_present(e, ("audit_id", "theme", "grade")),
        e.ExpectColumnValuesToBeInSet(column="grade", value_set=GRADE_WORDS, meta={"check": "grade on the scale"}),
        no_rows_breaking(e, "repeated_rows", "one grade per audit and theme"),
    ]
    return gx.ExpectationSuite(name="raw_case_audit_theme_grades", expectations=expectations)


def actions_suite():
    """Expectations on the summary of ``raw.case_audit_action_rows`` (:func:`actions_check_query`)."""
    import great_expectations as gx

    e = gx.expectations
    expectations = [
        _declared_columns(e, "only the declared columns (no description)"),
        *_present(e, ("action_id", "audit_id", "due_date")),
        no_rows_breaking(e, "non_iso_due_dates", "due_date ISO"),
        no_rows_breaking(e, "non_iso_completed_dates", "completed_date ISO or blank"),
        no_rows_breaking(e, "future_completed_dates", "completed_date not in the future"),
        no_rows_breaking(e, "repeated_rows", "one row per action_id in each file"),
    ]
    return gx.ExpectationSuite(name="raw_case_audit_action_rows", expectations=expectations)
