"""The generated sample school statistics: DfE's layouts, the sample areas and years, and what is committed."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.reference.school_areas import load_area_reference
from pipelines.lib.sources.school_statistics import parse_school_statistics_file
from pipelines.sample_data.schools import write_school_samples

REPO = Path(__file__).resolve().parents[2]
SN_2021 = REPO / "dbt_project" / "seeds" / "reference" / "ref_statistical_neighbours.csv"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> list[Path]:
    return write_school_samples(tmp_path_factory.mktemp("raw"))


@pytest.fixture(scope="module")
def parsed(generated):
    reference = load_area_reference(None)
    con = duckdb.connect()
    out = {}
    for path in generated:
        source = path.parent.name
        (table,) = parse_school_statistics_file(path, source, reference, con)
        out[path.name] = (table, table.frame.df() if table.frame is not None else None)
    return out


def test_committed_raw_files_match_fresh_generation(generated):
    for path in generated:
        committed = REPO / "raw" / path.parent.name / path.name
        assert committed.read_bytes() == path.read_bytes(), path.name


def test_generation_is_byte_reproducible(generated, tmp_path):
    again = write_school_samples(tmp_path)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in generated]


def test_small_and_in_dfe_layouts(generated):
    assert sum(p.stat().st_size for p in generated) < 2_000_000  # every LA, seven years
    by_name = {p.name: p.read_bytes() for p in generated}
    series = by_name["exclusions_la_time_series_2010_2013.csv"]
    assert series.startswith(b'"year","level","la_name","school_type"') and b'"Region"' in series
    ees = by_name["exclusions_la_2013_2017.csv"]
    assert b"\r\n" in ees and b"\x96" in by_name["exclusions_la_2013_2017.meta.csv"]  # cp1252 en dash, CRLF
    assert by_name["absence_la_2010_2017.csv"].startswith(b"\xef\xbb\xbf")


def test_every_sample_row_loads(parsed):
    for name, (table, _frame) in parsed.items():
        assert table.rejections == [], name
        assert table.rows_loaded == table.rows_read, name


def test_wiltshire_region_neighbours_and_england_for_2010_to_2013(parsed):
    with SN_2021.open(newline="") as fh:
        neighbours = {
            r["neighbour_la_code"] for r in csv.DictReader(fh) if r["la_code"] == "865" and r["sn_model"] == "2021"
        }
    neighbours = (neighbours - {"838"}) | {"835"}  # Dorset was 835 until 2019
    wanted = {"865", "E12000009", "E92000001", *neighbours}
    for name in ("exclusions_la_time_series_2010_2013.csv", "absence_la_2010_2017.csv"):
        frame = parsed[name][1]
        for period in ("201011", "201112", "201213"):
            assert wanted <= set(frame.loc[frame["time_period"] == period, "area_code"]), (name, period)


def test_published_wiltshire_suspension_rates(parsed):
    frame = parsed["exclusions_la_time_series_2010_2013.csv"][1]
    rates = frame[
        (frame["area_code"] == "865")
        & (frame["indicator"] == "fixed_excl_rate")
        & (frame["breakdown"] == "school_type=State-funded secondary")
    ]
    assert dict(zip(rates["time_period"], rates["value"])) == {"201011": "8.45", "201112": "6.22", "201213": "5.02"}


def test_every_la_of_each_year_so_benchmarks_rank_among_all_las(parsed):
    """Ranks need at least 100 LAs with a value: the sample holds every LA DfE published, as it then was."""
    for name in ("exclusions_la_time_series_2010_2013.csv", "exclusions_la_2013_2017.csv", "absence_la_2010_2017.csv"):
        frame = parsed[name][1]
        las = frame[frame["geography_level"] == "local_authority"]
        for period, codes in las.groupby("time_period")["area_code"]:
            codes = set(codes)
            assert len(codes) >= 150, (name, period, len(codes))
            # before the 2019 reorganisation: Dorset county, Bournemouth and Poole, not Dorset or BCP
            assert {"835", "836", "837", "928", "909"} <= codes and not {"838", "839", "940"} & codes, (name, period)
        regions = set(frame.loc[frame["geography_level"] == "regional", "area_code"])
        # every region (DfE's pre-EES series has Inner and Outer London, E13, instead of London)
        assert {f"E1200000{i}" for i in range(1, 10)} - {"E12000007"} <= regions, name
