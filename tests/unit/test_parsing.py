import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.lib.ingest.parsing import classify_area_code, grade_rank, parse_date, parse_framework


@pytest.mark.parametrize(
    "text, expected",
    [
        ("05/03/2012", dt.date(2012, 3, 5)),
        ("5/3/2012", dt.date(2012, 3, 5)),
        ("24/04/12", dt.date(2012, 4, 24)),
        ("2012-03-05", dt.date(2012, 3, 5)),
        ("2012-03-05 00:00:00", dt.date(2012, 3, 5)),
        (" 16/03/2012 ", dt.date(2012, 3, 16)),
        ("", None),
        (None, None),
    ],
)
def test_dates_read_day_first(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text, reason",
    [
        ("31/02/2012", "not a real date"),
        ("03/25/2012", "US-style"),
        ("March 2012", "not a date in dd/mm/yyyy"),
        ("2012/13", "not a date"),
    ],
)
def test_bad_dates_say_why(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_date(text)


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_any_date_round_trips_in_both_forms(day):
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(day.isoformat()) == day


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_two_digit_years_are_this_century(day):
    assert parse_date(day.strftime("%d/%m/%y")) == day


@pytest.mark.parametrize(
    "label, framework, rank",
    [
        ("Outstanding", "ILACS", 1),
        ("GOOD", "SIF", 2),
        ("Adequate", "SLAC", 3),
        ("requires improvement", "SIF", 3),
        ("Requires improvement to be good", "ILACS", 3),
        ("  Inadequate ", "CP", 4),
    ],
)
def test_grades_rank_on_one_scale_case_insensitively(label, framework, rank):
    assert grade_rank(label, framework) == rank


def test_a_grade_from_another_framework_is_refused_with_the_scale():
    with pytest.raises(ValueError, match=r"not a grade of the SLAC framework.*Adequate"):
        grade_rank("Requires improvement to be good", "SLAC")
    with pytest.raises(ValueError, match="not a grade"):
        grade_rank("Satisfactory")


@given(st.sampled_from(["outstanding", "good", "adequate", "inadequate"]), st.sampled_from(["SLAC", "CP"]))
def test_grade_case_and_spacing_never_matter(word, framework):
    variants = [word.upper(), word.title(), f"  {word}  "]
    assert {grade_rank(v, framework) for v in variants} == {grade_rank(word, framework)}


def test_frameworks_and_area_codes():
    assert parse_framework(" slac ") == "SLAC"
    with pytest.raises(ValueError, match="not a framework"):
        parse_framework("JTAI")
    assert classify_area_code("865") == ("dfe", "865")
    assert classify_area_code("e06000054") == ("ons", "E06000054")
    with pytest.raises(ValueError, match="neither"):
        classify_area_code("86")
