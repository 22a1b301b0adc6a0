"""Ofsted's real workbook (LA inspection outcomes as at 31 March 2025), read in place: grades compared in force
at 31 March across all LAs, the share judged Good or better, and the latest outcomes of current LAs only."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import fixture_path
from tests.integration.pipeline import query, refresh

pytestmark = [pytest.mark.fixtures, pytest.mark.slow]


@pytest.fixture(scope="module")
def ofsted_warehouse(tmp_path_factory):
    workbook = fixture_path("ofsted", "LA_Inspection_Outcomes_as_at_31_March_2025.ods")
    root = tmp_path_factory.mktemp("ofsted")
    raw, data = root / "raw", root / "data"
    (raw / "ofsted").mkdir(parents=True)
    shutil.copy(workbook, raw / "ofsted")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CSW_RAW_DIR", str(raw))
        patch.setenv("CSW_DATA_DIR", str(data))
        patch.delenv("DAGSTER_HOME", raising=False)
        assert refresh() == 0
        yield


def test_grades_in_force_at_31_march_2025_ranked_across_all_las(ofsted_warehouse):
    """Wiltshire's ILACS Outstanding (published 12/12/2023) is in force at 31 March 2024 and 2025: 1st (tied
    with every Outstanding LA) of the 153 LAs with a grade in 2025, never "1 of 3" LAs published that month."""
    got = {
        year: (value, rank, rank_of)
        for year, value, rank, rank_of in query(
            "select time_period, value, rank, rank_of from marts.indicator_benchmarks "
            "where indicator_code = 'ofsted_overall_grade_rank' and la_code = '865'"
        )
    }
    assert got[2025] == (1.0, 1, 153) and got[2024][0] == 1.0
    assert query(
        "select count(*) from marts.ofsted_grades_in_force where snapshot_year = 2025 "
        "and overall_grade_rank is not null"
    ) == [(153,)]
    # the ILACS history starts in 2018: at 31 March 2019 too few LAs had a grade in this file to rank them
    (note,) = query(
        "select rank_note from marts.indicator_benchmarks where indicator_code = "
        "'ofsted_overall_grade_rank' and time_period = 2019 and value is not null limit 1"
    )[0]
    assert note.startswith("not ranked: ") and note.endswith("fewer than 100")


def test_share_good_or_better_in_england_the_region_and_neighbours(ofsted_warehouse):
    (england,) = query(
        "select value, numerator, denominator from marts.indicator_values where indicator_code = "
        "'ofsted_good_or_better_pct' and area_code = 'E92000001' and time_period = 2025"
    )
    good = query(
        "select count(*) from marts.ofsted_grades_in_force where snapshot_year = 2025 and overall_grade_rank <= 2"
    )[0][0]
    assert england == (round(good / 153 * 100, 1), good, 153)
    (row,) = query(
        "select value, england_value, region_value, sn_count, rank, rank_note from "
        "marts.indicator_benchmarks where indicator_code = 'ofsted_good_or_better_pct' "
        "and la_code = '865' and time_period = 2025"
    )
    assert row[:2] == (100.0, england[0]) and row[2] is not None and row[3] == 10 and row[4] is None
    assert row[5].startswith("not ranked: each LA's value is 100")


def test_latest_outcomes_of_current_las_only(ofsted_warehouse):
    assert query(
        "select count(*) from marts.latest_inspection_outcomes as l join marts.dim_local_authority "
        "using (la_code) where not is_current"
    ) == [(0,)]
