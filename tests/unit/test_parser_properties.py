"""Property-based tests of the shared parsers: statistics symbols and LA names (dates and grades are in
test_parsing.py)."""

import csv
import io

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.lib.reference.lists import normalise_la_name
from pipelines.lib.reference.school_areas import load_area_reference
from pipelines.lib.sources.school_statistics import STATUS_SYMBOLS, parse_school_statistics_file
from tests.conftest import REPO_ROOT

LA_NAMES = [
    row["la_name"]
    for row in csv.DictReader(
        (REPO_ROOT / "dbt_project" / "seeds" / "reference" / "ref_la_codes.csv").open(encoding="utf-8")
    )
]


@given(st.sampled_from(LA_NAMES), st.sampled_from([str.upper, str.lower, str.title, lambda s: f"  {s} "]))
def test_la_names_match_whatever_their_case_and_spacing(name, variant):
    assert normalise_la_name(variant(name)) == normalise_la_name(name)


@given(st.sampled_from([n for n in LA_NAMES if ", " in n]))
def test_la_names_match_with_or_without_their_comma(name):
    assert normalise_la_name(name.replace(",", "")) == normalise_la_name(name)
    if name.endswith((", City of", ", County of")):
        assert normalise_la_name(name.split(",")[0]) == normalise_la_name(name)


@given(st.sampled_from([n for n in LA_NAMES if " and " in n]))
def test_ampersand_means_and(name):
    assert normalise_la_name(name.replace(" and ", " & ")) == normalise_la_name(name)


def test_las_sharing_a_name_key_never_existed_at_the_same_time():
    """Dorset 835 (the county) and 838 (the unitary) share a name: a name resolves by period, never ambiguously."""
    spans: dict[str, list[tuple[str, str, str]]] = {}
    for row in csv.DictReader((REPO_ROOT / "dbt_project/seeds/reference/ref_la_codes.csv").open(encoding="utf-8")):
        spans.setdefault(normalise_la_name(row["la_name"]), []).append(
            (row["la_code"], row["date_of_operation"], row["date_of_termination"] or "9999-12-31")
        )
    for key, rows in spans.items():
        for code_a, start_a, end_a in rows:
            for code_b, start_b, end_b in rows:
                if code_a != code_b:
                    assert end_a < start_b or end_b < start_a, f"{key}: {code_a} and {code_b} overlap"


CELL = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(str),
    st.decimals(min_value=0, max_value=100, places=2, allow_nan=False).map(lambda d: f"{d:.2f}"),
    st.sampled_from(["c", "x", "z", "low", "k", "u", ":", "~", "..", ".", "-", "C", "X", " x "]),
)


@pytest.fixture(scope="module")
def reference():
    return load_area_reference(None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(CELL, CELL), min_size=1, max_size=8))
def test_symbols_become_null_values_with_a_status_and_numbers_survive(tmp_path_factory, reference, cells):
    path = tmp_path_factory.mktemp("ees") / "stats.csv"
    out = io.StringIO()
    out.write(
        "time_period,time_identifier,geographic_level,country_code,country_name,school_type,"
        "headcount,sess_overall_percent\n"
    )
    for n, (count, rate) in enumerate(cells):
        out.write(f"{2010 + n}{(11 + n) % 100:02d},Academic year,National,E92000001,England,Type {n},{count},{rate}\n")
    path.write_text(out.getvalue())
    con = duckdb.connect()
    (table,) = parse_school_statistics_file(path, "school_absence", reference, con)
    staged = table.frame.df()
    quarantined = {(r.row_number, r.column, r.reason) for r in table.rejections}
    for _, row in staged.iterrows():
        published = row["raw_value"].strip()
        if pd.notna(row["status_symbol"]):
            assert pd.isna(row["value"])
            assert row["status_symbol"] in STATUS_SYMBOLS
            assert row["published_symbol"].strip().lower() == published.lower()
        else:
            assert float(row["value"]) == pytest.approx(float(published))
    assert table.rows_read == len(cells)
    assert table.rows_read == table.rows_loaded + table.rows_rejected
    assert all(column in {"headcount", "sess_overall_percent"} for _row, column, _reason in quarantined), quarantined
