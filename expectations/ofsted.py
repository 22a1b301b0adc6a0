"""Suites for the raw Ofsted tables: grades in their framework's scale, dates in order,
LA codes known, one overall judgement per inspection."""

from __future__ import annotations

from collections.abc import Iterable

from pipelines.lib.ingest.parsing import FRAMEWORK_GRADE_WORDS, GRADE_RANKS
from pipelines.lib.ingest.rules import phrase_pattern

# Each framework's grade words as the ingest reads them (pipelines/lib/parsing.grade_rank: any case, any spacing).
FRAMEWORK_GRADES = {framework: phrase_pattern(words) for framework, words in FRAMEWORK_GRADE_WORDS.items()}
ILACS_GRADES = FRAMEWORK_GRADES["ILACS"]
# Ofsted's statistics write every framework's third grade as 'Requires improvement to be good' in some
# vintages, and once a bare 3: any word of the four-point scale, or 1-4.
STATISTICS_GRADES = phrase_pattern(set(GRADE_RANKS) | {"1", "2", "3", "4"})
WORKBOOK_GRADE_COLUMNS = (
    "overall_effectiveness",
    "impact_of_leaders",
    "help_and_protection",
    "children_in_care",
    "care_leavers",
)


def workbook_suite(known_la_codes: Iterable[str]):
    """Expectations on ``raw.ofsted_workbook_rows``."""
    import great_expectations as gx

    e = gx.expectations
    expectations = [
        e.ExpectColumnValuesToNotBeNull(column="la_code", meta={"check": "LA code present"}),
        e.ExpectColumnValuesToBeInSet(
            column="la_code", value_set=sorted(set(known_la_codes)), meta={"check": "LA code known"}
        ),
        *(
            e.ExpectColumnValuesToMatchRegex(
                column=column, regex=ILACS_GRADES, meta={"check": f"{column} grade in ILACS scale"}
            )
            for column in WORKBOOK_GRADE_COLUMNS
        ),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="publication_date",
            column_B="inspection_date",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta={"check": "published on or after the inspection"},
        ),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["_file_path", "_sheet", "la_code", "inspection_date"],
            row_condition="overall_effectiveness.notnull()",
            condition_parser="pandas",
            meta={"check": "one overall judgement per inspection"},
        ),
    ]
    return gx.ExpectationSuite(name="raw_ofsted_workbook_rows", expectations=expectations)


def _la_and_framework_known(e, known_la_codes: Iterable[str]) -> list:
    return [
        e.ExpectColumnValuesToBeInSet(
            column="la_code", value_set=sorted(set(known_la_codes)), meta={"check": "LA code known"}
        ),
        e.ExpectColumnValuesToBeInSet(
            column="framework", value_set=sorted(FRAMEWORK_GRADES), meta={"check": "framework known"}
        ),
    ]


def history_suite(known_la_codes: Iterable[str]):
    """Expectations on ``raw.ofsted_history_judgements`` (rows without a judgement list an LA only)."""
    import great_expectations as gx

    e = gx.expectations
    expectations = [
        *_la_and_framework_known(e, known_la_codes),
        e.ExpectColumnValuesToMatchRegex(
            column="grade", regex=STATISTICS_GRADES, meta={"check": "grade on Ofsted's four-point scale"}
        ),
        e.ExpectColumnValuesToNotBeNull(
            column="publication_date",
            row_condition="grade.notnull() & inspection_date.isnull()",
            condition_parser="pandas",
            meta={"check": "every judgement dated"},
        ),
        e.ExpectColumnValuesToNotBeNull(column="la_code", meta={"check": "LA code present"}),
    ]
    return gx.ExpectationSuite(name="raw_ofsted_history_judgements", expectations=expectations)


def judgement_records_suite(known_la_codes: Iterable[str]):
    """Expectations on ``raw.ofsted_judgement_records``."""
    import great_expectations as gx

    e = gx.expectations
    date_pairs = (
        ("inspection_end_date", "inspection_start_date"),
        ("publication_date", "inspection_start_date"),
        ("publication_date", "inspection_end_date"),
    )
    expectations = [
        *_la_and_framework_known(e, known_la_codes),
        *(
            e.ExpectColumnValuesToMatchRegex(
                column="grade",
                regex=regex,
                row_condition=f'framework=="{framework}"',
                condition_parser="pandas",
                meta={"check": f"grade in the {framework} scale"},
            )
            for framework, regex in FRAMEWORK_GRADES.items()
        ),
        *(
            e.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=later,
                column_B=earlier,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                meta={"check": f"{earlier} not after {later}"},
            )
            for later, earlier in date_pairs
        ),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["_file_path", "la_code", "framework", "inspection_start_date", "service_key"],
            row_condition='judgement_key=="overall effectiveness"',
            condition_parser="pandas",
            meta={"check": "one overall judgement per inspection and service area in each file"},
        ),
    ]
    return gx.ExpectationSuite(name="raw_ofsted_judgement_records", expectations=expectations)
