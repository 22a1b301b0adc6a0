"""Suites for the raw SSDA903 tables and the published adoption scorecards.

The Episodes and Header tables hold a million rows at national scale, so their suites validate a summary
made in SQL (:func:`episodes_check_query`, :func:`header_check_query`): counts of the rows that break each
rule, and the codes with how many rows use them. Every row is covered; only the frame is smaller.

Every rule here is also applied at ingest, which quarantines the rows that break it (see
``pipelines/lib/sources/ssda903.py``): the blocking checks are invariants that guard the ingest, and a real
return's quirks end up in ``quality.rejected_rows`` rather than stopping the refresh.
"""

from __future__ import annotations

from expectations.summaries import CHILD_KEY, ISO_DATE, count_where, no_rows_breaking, not_matching
from pipelines.lib.sources.adoption_scorecards import INDICATORS
from pipelines.lib.sources.ssda903 import (
    ADOPTED_REC,
    ALL_ADOPTION_PLACEMENTS,
    CIN_CODES,
    LS_CODES,
    PLACE_CODES,
    REC_CODES,
    RNE_CODES,
    all_codes,
)

FIRST_OF_MONTH = r"^\d{4}-\d{2}-01$"


def _pseudonym_counts() -> str:
    return (
        f"{count_where('child_key is null')} as missing_child_keys, "
        f"{count_where(not_matching('child_key', CHILD_KEY))} as non_pseudonym_child_keys"
    )


def _pseudonymised(e, table: str):
    return [
        no_rows_breaking(e, "missing_child_keys", f"{table}: every row has a child_key"),
        no_rows_breaking(e, "non_pseudonym_child_keys", f"{table}: child identifiers are pseudonymised"),
    ]


def episodes_check_query(table: str = "raw.ssda903_episodes") -> str:
    """The summary of the episodes the suite validates: one row per combination of codes (and whether the
    episode is closed), with counts of the rows that break a rule. Every row is covered; a national table
    of a million episodes becomes a frame of a few thousand rows."""
    return f"""
        with episodes as (
            select *, count(*) over (partition by _file_path, child_key, decom) as copies from {table}
        )
        select rne, ls, cin, place, rec, place_provider, reason_place_change, dec is not null as closed,
            count(*) as episodes,
            {_pseudonym_counts()},
            {count_where("decom is null")} as missing_decoms,
            {count_where(not_matching("decom", ISO_DATE))} as non_date_decoms,
            {count_where("dec < decom")} as dec_before_decom,
            {count_where("copies > 1")} as repeated_episodes
        from episodes
        group by all
    """


def episodes_suite():
    """Expectations on the summary of ``raw.ssda903_episodes`` (:func:`episodes_check_query`)."""
    import great_expectations as gx

    e = gx.expectations
    adopted = " | ".join(f'rec=="{code}"' for code in ADOPTED_REC)
    expectations = [
        *_pseudonymised(e, "episodes"),
        no_rows_breaking(e, "missing_decoms", "DECOM present"),
        no_rows_breaking(e, "non_date_decoms", "DECOM is a date"),
        no_rows_breaking(e, "dec_before_decom", "DEC not before DECOM"),
        e.ExpectColumnValuesToBeInSet(column="rne", value_set=list(RNE_CODES), meta={"check": "RNE in the DfE list"}),
        e.ExpectColumnValuesToBeInSet(column="ls", value_set=list(LS_CODES), meta={"check": "LS in the DfE list"}),
        e.ExpectColumnValuesToBeInSet(column="cin", value_set=list(CIN_CODES), meta={"check": "CIN in the DfE list"}),
        e.ExpectColumnValuesToBeInSet(
            column="place", value_set=list(PLACE_CODES), meta={"check": "PLACE in the DfE list"}
        ),
        e.ExpectColumnValuesToBeInSet(column="rec", value_set=list(REC_CODES), meta={"check": "REC in the DfE list"}),
        *_in_lists(e, ("PLACE_PROVIDER", "REASON_PLACE_CHANGE")),
        e.ExpectColumnValuesToBeInSet(
            column="place",
            value_set=list(ALL_ADOPTION_PLACEMENTS),
            row_condition=f"({adopted}) & (closed == True)",
            condition_parser="pandas",
            meta={"check": "REC E11/E12 only with an adoption placement"},
        ),
        e.ExpectColumnValuesToNotBeNull(
            column="rec",
            row_condition="closed == True",
            condition_parser="pandas",
            meta={"check": "REC present on a closed episode"},
        ),
        no_rows_breaking(e, "repeated_episodes", "one episode per child and DECOM in a file"),
    ]
    return gx.ExpectationSuite(name="raw_ssda903_episodes", expectations=expectations)


def _in_lists(e, lists: tuple[str, ...]):
    """Each column in its DfE list (any year's codes: ingest has checked the return's year)."""
    return [
        e.ExpectColumnValuesToBeInSet(
            column=name.lower(), value_set=list(all_codes(name)), meta={"check": f"{name} in the DfE list"}
        )
        for name in lists
    ]


def header_check_query(table: str = "raw.ssda903_header") -> str:
    """The summary of the Header rows the suite validates: one row per file, with counts of the rows that
    break a rule."""
    return f"""
        with header as (
            select *, count(*) over (partition by _file_path, child_key) as copies from {table}
        )
        select _file_path, count(*) as children,
            {_pseudonym_counts()},
            {count_where(not_matching("birth_month", FIRST_OF_MONTH))} as birth_months_not_cut,
            {count_where(not_matching("mc_birth_month", FIRST_OF_MONTH))} as mc_birth_months_not_cut,
            {count_where("copies > 1")} as repeated_children
        from header
        group by _file_path
    """


def header_suite():
    """Expectations on the summary of ``raw.ssda903_header`` (:func:`header_check_query`)."""
    import great_expectations as gx

    e = gx.expectations
    expectations = [
        *_pseudonymised(e, "header"),
        no_rows_breaking(e, "birth_months_not_cut", "dates of birth cut to the month"),
        no_rows_breaking(e, "mc_birth_months_not_cut", "mother's child's date of birth cut to the month"),
        no_rows_breaking(e, "repeated_children", "one Header row per child in a file"),
    ]
    return gx.ExpectationSuite(name="raw_ssda903_header", expectations=expectations)


def _row_pseudonymised(e, table: str):
    return [
        e.ExpectColumnValuesToNotBeNull(column="child_key", meta={"check": f"{table}: every row has a child_key"}),
        e.ExpectColumnValuesToMatchRegex(
            column="child_key", regex=CHILD_KEY, meta={"check": f"{table}: child identifiers are pseudonymised"}
        ),
    ]


def ad1_check_query(table: str = "raw.ssda903_ad1") -> str:
    """The AD1 rows (a few per LA and year), each with ``adoption_placement_start``: the date the child moved
    in with the adopters, from the same return's Episodes
    (:func:`pipelines.lib.sources.ssda903.placement_starts_sql`)."""
    from pipelines.lib.sources.ssda903 import placement_starts_sql

    return f"""
        select ad1.*, starts.adoption_placement_start
        from {table} as ad1
        left join ({placement_starts_sql()}) as starts using (la_code, collection_year, child_key)
    """


def ad1_suite():
    """Expectations on ``raw.ssda903_ad1`` with ``adoption_placement_start`` (:func:`ad1_check_query`)."""
    import great_expectations as gx

    e = gx.expectations
    expectations = [
        *_row_pseudonymised(e, "AD1"),
        e.ExpectColumnValuesToMatchRegex(
            column="birth_month", regex=FIRST_OF_MONTH, meta={"check": "AD1 dates of birth cut to the month"}
        ),
        e.ExpectColumnValuesToBeInSet(
            column="foster_care", value_set=["0", "1"], meta={"check": "FOSTER_CARE is 0 or 1"}
        ),
        *_in_lists(e, ("NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="adoption_placement_start",
            column_B="date_match",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta={"check": "DATE_MATCH not after the adoption placement"},
        ),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["_file_path", "child_key"], meta={"check": "one AD1 row per child in a file"}
        ),
    ]
    return gx.ExpectationSuite(name="raw_ssda903_ad1", expectations=expectations)


def placed_adoption_suite():
    """Expectations on ``raw.ssda903_placed_adoption``."""
    import great_expectations as gx

    e = gx.expectations
    expectations = [
        *_row_pseudonymised(e, "PlacedAdoption"),
        e.ExpectColumnValuesToNotBeNull(column="date_placed", meta={"check": "DATE_PLACED present"}),
        *_in_lists(e, ("REASON_PLACED_CEASED",)),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="date_placed_ceased",
            column_B="date_placed",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta={"check": "DATE_PLACED_CEASED not before DATE_PLACED"},
        ),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["_file_path", "child_key", "date_placed"],
            meta={"check": "one row per child and DATE_PLACED in a file"},
        ),
    ]
    return gx.ExpectationSuite(name="raw_ssda903_placed_adoption", expectations=expectations)


def published_scorecards_suite():
    """Expectations on ``raw.adoption_scorecards_published``."""
    import great_expectations as gx

    e = gx.expectations
    expectations = [
        e.ExpectColumnValuesToBeInSet(
            column="indicator", value_set=list(INDICATORS), meta={"check": "indicator is A1, A2, A3 or A10"}
        ),
        e.ExpectColumnValuesToBeInSet(
            column="geographic_level",
            value_set=["national", "regional", "local_authority"],
            meta={"check": "geographic level known"},
        ),
        e.ExpectColumnValuesToMatchRegex(
            column="time_period", regex=r"^\d{4}$", meta={"check": "time_period is the period's end year"}
        ),
        e.ExpectColumnValuesToMatchRegex(
            column="value", regex=r"^-?\d+(\.\d+)?$", meta={"check": "value is a number (or null with a symbol)"}
        ),
        e.ExpectColumnValuesToNotBeNull(column="area_code", meta={"check": "area code present"}),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["_file_path", "area_code", "time_period", "indicator"],
            meta={"check": "one value per area, period and indicator in a file"},
        ),
    ]
    return gx.ExpectationSuite(name="raw_adoption_scorecards_published", expectations=expectations)
