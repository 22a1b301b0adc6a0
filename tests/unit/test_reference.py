"""Reference lists (LA codes, regions, statistical neighbours): parsing as published, and the seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.lib.ingest.readers import Sheet, decode_text, read_csv_text, read_tables
from pipelines.lib.reference.lists import (
    ReferenceTableError,
    normalise_la_name,
    parse_las,
    parse_reference_date,
    parse_regions,
    parse_sn_2021,
    parse_sn_2025,
    recognise_reference_sheet,
)
from pipelines.tools.extract_reference_seeds import (
    DEFAULT_OUT_DIR,
    build_seeds,
    read_reference_dir,
    render_seeds,
)
from tests.conftest import fixture_path

LAS = "las.csv"
REGIONS = "regions.csv"
SN_2021 = "New_Statistical_Neighbour_Groupings_April_2021.csv"
SN_2025 = "sn_model_2025_wide.csv"

LAS_HEADER = (
    "new_la_code,la_name,date_of_operation,date_of_termination,parent_geography_code,"
    "entity_code,entity_description,status,old_la_code\n"
)
SN_2021_HEADER = "LA num,LA Name,LA number,GOInd,GOReg," + ",".join(f"SN{k},SNP" for k in range(1, 11)) + ",\n"
SN_2025_HEADER = (
    "old_la_code,la_name,region_ind,region_name," + ",".join(f"SN_{k},SN_{k}P" for k in range(1, 11)) + "\n"
)


def sheet_from(text: str) -> Sheet:
    return read_csv_text(text, name="inline")


def sn_2021_row(la_code: str, name: str, neighbours: list[str], band: str = "Very Close") -> str:
    pairs = ",".join(f"{code},{band}" for code in neighbours)
    return f"{la_code},{name},{la_code},1,East Midlands,{pairs},\n"


def sn_2025_row(la_code: str, name: str, neighbours: list[str], band: str = "Close ") -> str:
    pairs = ",".join(f"{code},{band}" for code in neighbours)
    return f"{la_code},{name},1,East Midlands,{pairs}\n"


TEN = [str(code) for code in range(801, 811)]


# ---------------------------------------------------------------------------
# The public files, read in place
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference_dir() -> Path:
    return fixture_path("reference")


@pytest.fixture(scope="module")
def public(reference_dir: Path):
    def load(file_name: str) -> Sheet:
        return read_tables(reference_dir / file_name)[1][0]

    return load


@pytest.fixture(scope="module")
def las_table(public):
    return parse_las(public(LAS))


@pytest.fixture(scope="module")
def sn_2021_table(public):
    return parse_sn_2021(public(SN_2021))


@pytest.fixture(scope="module")
def sn_2025_table(public):
    return parse_sn_2025(public(SN_2025))


def by_ons(table) -> dict[str, dict]:
    return {row["ons_code"]: row for row in table.rows}


def neighbours_of(table, la_code: str) -> list[dict]:
    return sorted((r for r in table.rows if r["la_code"] == la_code), key=lambda r: int(r["neighbour_rank"]))


@pytest.mark.fixtures
class TestPublicLas:
    def test_every_row_is_read_and_each_ons_code_appears_once(self, las_table):
        assert las_table.rows_read == 176
        codes = [row["ons_code"] for row in las_table.rows]
        assert len(codes) == len(set(codes)) == 171

    def test_every_current_la_is_there_once(self, las_table):
        live = [row for row in las_table.rows if row["status"] == "live"]
        assert len(live) == len({row["la_code"] for row in live}) == 153

    @pytest.mark.parametrize(
        ("ons_code", "la_code", "la_name", "row_number"),
        [
            ("E06000061", "940", "North Northamptonshire", 62),
            ("E06000062", "941", "West Northamptonshire", 64),
            ("E06000063", "942", "Cumberland", 65),
            ("E06000064", "943", "Westmorland and Furness", 67),
            ("E09000021", "314", "Kingston upon Thames", 129),
            ("E09000027", "318", "Richmond upon Thames", 136),
        ],
    )
    def test_las_of_composite_rows_keep_their_own_row(self, las_table, ons_code, la_code, la_name, row_number):
        row = by_ons(las_table)[ons_code]
        assert (row["la_code"], row["la_name"], row["_row_number"]) == (la_code, la_name, row_number)

    def test_composite_rows_alone_are_split_into_one_row_per_la(self, public):
        las = public(LAS)
        composite_only = Sheet("las", [las.rows[0], *(row for row in las.rows[1:] if "/" in (row[0] or ""))])
        table = parse_las(composite_only)
        assert [(r["ons_code"], r["la_code"], r["la_name"]) for r in table.rows] == [
            ("E06000061", "940", "North Northamptonshire"),
            ("E06000062", "941", "West Northamptonshire"),
            ("E06000063", "942", "Cumberland"),
            ("E06000064", "943", "Westmorland and Furness"),
            ("E09000021", "314", "Kingston upon Thames"),
            ("E09000027", "318", "Richmond upon Thames"),
        ]
        assert table.rejections == []

    def test_barnsley_keeps_both_ons_codes(self, las_table):
        rows = by_ons(las_table)
        assert rows["E08000016"]["la_code"] == rows["E08000038"]["la_code"] == "370"
        assert rows["E08000016"]["status"] == "terminated"
        assert rows["E08000016"]["date_of_termination"] == "2025-04-30"
        assert rows["E08000038"]["date_of_operation"] == "2025-05-01"

    @pytest.mark.parametrize(
        ("county", "unitary", "la_code"),
        [
            ("E10000033", "E06000054", "865"),  # Wiltshire
            ("E10000026", "E06000051", "893"),  # Shropshire
            ("E10000022", "E06000048", "929"),  # Northumberland
            ("E10000010", "E06000047", "840"),  # Durham -> County Durham
        ],
    )
    def test_x_county_takes_the_code_of_its_same_named_successor(self, las_table, county, unitary, la_code):
        rows = by_ons(las_table)
        assert rows[county]["la_code"] == rows[unitary]["la_code"] == la_code

    def test_pre_2009_counties_keep_their_published_codes(self, las_table):
        rows = by_ons(las_table)
        assert (rows["E10000001"]["la_code"], rows["E10000004"]["la_code"]) == ("820", "875")

    def test_unusable_rows_are_quarantined_with_reasons(self, las_table):
        rejected = {r.row_number: r for r in las_table.rejections}
        assert set(rejected) == {147, 177}
        assert rejected[147].value == "x" and "Cornwall and Isles of Scilly" in rejected[147].reason
        assert rejected[177].value == "z" and "not an ONS local authority code" in rejected[177].reason

    def test_dates_are_iso_and_names_trimmed(self, las_table):
        row = by_ons(las_table)["E06000023"]
        assert row == {
            "ons_code": "E06000023",
            "la_code": "801",
            "la_name": "Bristol, City of",
            "region_code": "E12000009",
            "date_of_operation": "2009-01-01",
            "date_of_termination": None,
            "status": "live",
            "entity_code": "E06",
            "_row_number": 24,
        }


@pytest.mark.fixtures
class TestPublicNeighbours:
    def test_2021_has_152_plus_4_las_with_ten_neighbours(self, sn_2021_table):
        assert sn_2021_table.rejections == []
        assert sn_2021_table.rows_read == 156
        assert len(sn_2021_table.rows) == 1560
        la_codes = {row["la_code"] for row in sn_2021_table.rows}
        assert len(la_codes) == 156
        assert all(len(neighbours_of(sn_2021_table, code)) == 10 for code in la_codes)

    def test_2021_camden_nearest_neighbour_is_westminster(self, sn_2021_table):
        first = neighbours_of(sn_2021_table, "202")[0]
        assert (first["neighbour_la_code"], first["neighbour_rank"], first["closeness"]) == ("213", "1", "Very close")
        assert first["sn_model"] == "2021"

    def test_2021_old_las_after_the_footer_are_kept(self, sn_2021_table):
        dorset = neighbours_of(sn_2021_table, "835")
        assert [r["neighbour_la_code"] for r in dorset[:3]] == ["893", "878", "916"]
        assert dorset[0]["_row_number"] == 157
        assert {"835", "836", "837", "928"} <= {row["la_code"] for row in sn_2021_table.rows}

    def test_2025_has_153_las_with_ten_trimmed_neighbours(self, sn_2025_table):
        assert sn_2025_table.rejections == []
        assert len(sn_2025_table.rows) == 1530
        assert len({row["la_code"] for row in sn_2025_table.rows}) == 153
        first = neighbours_of(sn_2025_table, "301")[0]
        assert (first["neighbour_la_code"], first["closeness"], first["sn_model"]) == ("308", "Close", "2025")

    @pytest.mark.parametrize("table_name", ["sn_2021_table", "sn_2025_table"])
    def test_bands_are_harmonised(self, request, table_name):
        table = request.getfixturevalue(table_name)
        assert {row["closeness"] for row in table.rows} == {
            "Extremely close",
            "Very close",
            "Close",
            "Somewhat close",
            "Not close",
        }


@pytest.mark.fixtures
def test_public_regions(public):
    table = parse_regions(public(REGIONS))
    assert len(table.rows) == 11 and table.rejections == []
    assert {r["region_code"]: r["region_name"] for r in table.rows}["E12000003"] == "Yorkshire and The Humber"


@pytest.mark.fixtures
def test_recognise_tells_the_four_public_lists_apart(public):
    assert [recognise_reference_sheet(public(name)) for name in (LAS, REGIONS, SN_2021, SN_2025)] == [
        "las",
        "regions",
        "sn_2021",
        "sn_2025",
    ]


@pytest.mark.fixtures
def test_committed_seeds_equal_what_the_extractor_produces(reference_dir):
    expected = render_seeds(build_seeds(read_reference_dir(reference_dir)))
    assert sorted(expected) == sorted(path.name for path in DEFAULT_OUT_DIR.glob("*.csv"))
    for file_name, text in expected.items():
        committed = (DEFAULT_OUT_DIR / file_name).read_text(encoding="utf-8")
        assert committed == text, f"{file_name} drifted: re-run pipelines.tools.extract_reference_seeds"


@pytest.mark.fixtures
def test_seed_row_counts(reference_dir):
    seeds = build_seeds(read_reference_dir(reference_dir))
    assert {name: len(rows) for name, rows in seeds.items()} == {
        "ref_la_codes": 171,
        "ref_regions": 12,
        "ref_statistical_neighbours": 3090,
        "ref_la_names": 8,
    }
    variants = {(row["la_code"], row["name_variant"]) for row in seeds["ref_la_names"]}
    assert {
        ("810", "Kingston Upon Hull, City of"),
        ("839", "Bournemouth, Christchurch & Poole"),
        ("342", "St Helens"),
    } <= variants
    assert {"region_code": "E92000001", "region_name": "England"} in seeds["ref_regions"]


# ---------------------------------------------------------------------------
# Hand-made inline files
# ---------------------------------------------------------------------------


def test_recognise_uses_headers_not_names():
    cases = {
        "las": LAS_HEADER,
        "regions": "region_code,region_name\n",
        "sn_2021": SN_2021_HEADER,
        "sn_2025": SN_2025_HEADER,
        None: "time_period,geographic_level,region_code,region_name,la_name,value\n",
    }
    for kind, text in cases.items():
        assert recognise_reference_sheet(Sheet(name="las", rows=sheet_from(text).rows)) == kind


def test_recognise_returns_none_for_an_empty_sheet():
    assert recognise_reference_sheet(Sheet(name="regions")) is None


def test_bom_is_ignored_in_the_header():
    text, encoding = decode_text("\ufeffregion_code,region_name\nE12000001,North East\n".encode("utf-8"))
    assert encoding == "utf-8-sig"
    assert parse_regions(sheet_from(text)).rows[0]["region_code"] == "E12000001"
    with_bom_kept = sheet_from("\ufeffregion_code,region_name\nE12000001,North East\n")
    assert recognise_reference_sheet(with_bom_kept) == "regions"
    assert parse_regions(with_bom_kept).rows[0]["region_name"] == "North East"


def test_regions_reject_bad_codes_and_duplicates():
    table = parse_regions(sheet_from("region_code,region_name\nE12000001,North East\nNE,North East\nE12000001,Again\n"))
    assert [r["region_code"] for r in table.rows] == ["E12000001"]
    assert [(r.row_number, r.column) for r in table.rejections] == [(3, "region_code"), (4, "region_code")]


def test_sn_2021_reads_duplicate_snp_columns_by_position_and_keeps_rows_after_the_footer():
    text = (
        "\ufeff"
        + SN_2021_HEADER
        + sn_2021_row("940", "North Northamptonshire", TEN, "Extremely Close")
        + ",,,,,\n,Old SNs:,,,\n,,,,,\n"
        + sn_2021_row("928", "Northamptonshire", TEN, "Not Close")
    )
    table = parse_sn_2021(sheet_from(text))
    assert table.rejections == [] and table.rows_read == 2
    assert [(r["la_code"], r["neighbour_rank"], r["neighbour_la_code"]) for r in table.rows[:2]] == [
        ("940", "1", "801"),
        ("940", "2", "802"),
    ]
    old = [r for r in table.rows if r["la_code"] == "928"]
    assert len(old) == 10 and old[0]["_row_number"] == 6 and old[0]["closeness"] == "Not close"


def test_sn_bad_closeness_band_is_rejected_with_its_row_number():
    text = SN_2021_HEADER + sn_2021_row("940", "North Northamptonshire", TEN) + sn_2021_row("941", "West", TEN, "Near")
    table = parse_sn_2021(sheet_from(text))
    assert {r["la_code"] for r in table.rows} == {"940"}
    assert len(table.rejections) == 10
    first = table.rejections[0]
    assert (first.row_number, first.column, first.value) == (3, "SNP (closeness of SN1)", "Near")
    assert "Near" in first.reason and "Somewhat close" in first.reason
    assert table.rows_rejected == 1


def test_sn_2025_trims_bands_and_rejects_self_neighbours():
    neighbours = ["302", *TEN[1:]]
    text = SN_2025_HEADER + sn_2025_row("301", "Barking", TEN) + sn_2025_row("302", "Barnet", neighbours)
    table = parse_sn_2025(sheet_from(text))
    assert {r["closeness"] for r in table.rows} == {"Close"}
    assert [(r.row_number, r.column, r.value) for r in table.rejections] == [(3, "SN_1", "302")]


def test_sn_2021_la_number_must_agree_with_la_num():
    row = sn_2021_row("940", "North Northamptonshire", TEN).replace("940,North Northamptonshire,940", "940,N,941")
    table = parse_sn_2021(sheet_from(SN_2021_HEADER + row))
    assert [(r.column, r.value) for r in table.rejections] == [("LA number", "941")]


def test_a_missing_column_names_what_is_missing_and_what_was_found():
    expected = "required columns missing: sn_10, sn_10p.*columns found: old_la_code"
    with pytest.raises(ReferenceTableError, match=expected):
        parse_sn_2025(sheet_from(SN_2025_HEADER.replace(",SN_10,SN_10P", "")))


def las_sheet(*rows: str) -> Sheet:
    return sheet_from(LAS_HEADER + "".join(f"{row}\n" for row in rows))


def test_las_composite_that_does_not_pair_up_is_rejected():
    table = parse_las(las_sheet("E06000061 / E06000062,North Northamptonshire,01/04/2021,,E12000004,E06,U,live,940"))
    assert table.rows == []
    assert (table.rejections[0].row_number, table.rejections[0].column) == (2, "new_la_code")
    assert "do not pair up" in table.rejections[0].reason


def test_las_x_code_resolves_only_through_a_same_named_successor():
    table = parse_las(
        las_sheet(
            "E10000033,Wiltshire,01/01/2009,31/03/2009,E12000009,E10,Counties,terminated,x",
            "E06000054,Wiltshire,01/04/2009,,E12000009,E06,Unitary,live,865",
            "E10000005,Cornwall and Isles of Scilly,01/01/2009,31/03/2009,E12000009,E10,Counties,terminated,x",
        )
    )
    assert {r["ons_code"]: r["la_code"] for r in table.rows} == {"E10000033": "865", "E06000054": "865"}
    assert [(r.row_number, r.column, r.value) for r in table.rejections] == [(4, "old_la_code", "x")]


@pytest.mark.parametrize(
    ("cell", "column"),
    [
        ("z,British Forces Post Office overseas establishments,,,,,,live,702", "new_la_code"),
        ("E06000001,Hartlepool,2009/01/01,,E12000001,E06,U,live,805", "date_of_operation"),
        ("E06000001,Hartlepool,12/31/2009,,E12000001,E06,U,live,805", "date_of_operation"),
        ("E06000001,Hartlepool,01/01/2009,31/12/2008,E12000001,E06,U,terminated,805", "date_of_termination"),
        ("E06000001,Hartlepool,01/01/2009,,E12000001,E06,U,open,805", "status"),
        ("E06000001,Hartlepool,01/01/2009,,North East,E06,U,live,805", "parent_geography_code"),
        ("E06000001,Hartlepool,01/01/2009,,E12000001,E06,U,live,8050", "old_la_code"),
    ],
)
def test_las_rows_breaking_a_rule_are_quarantined(cell, column):
    table = parse_las(las_sheet(cell))
    assert table.rows == []
    assert [(r.row_number, r.column) for r in table.rejections] == [(2, column)]


def test_las_conflicting_repeat_of_an_ons_code_is_rejected():
    table = parse_las(
        las_sheet(
            "E06000001,Hartlepool,01/01/2009,,E12000001,E06,U,live,805",
            "E06000001,Hartlepool,01/01/2009,,E12000001,E06,U,live,806",
        )
    )
    assert [r["la_code"] for r in table.rows] == ["805"]
    assert "already listed on row 2 with a different la_code" in table.rejections[0].reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [("01/04/2009", "2009-04-01"), ("1/4/2009", "2009-04-01"), ("2009-04-01", "2009-04-01"), (None, None)],
)
def test_reference_dates_are_day_first(value, expected):
    assert parse_reference_date(value) == expected


@pytest.mark.parametrize("value", ["12/31/2009", "31/03/09", "31/02/2009", "2009-04-01 00:00", "April 2009"])
def test_reference_dates_refuse_anything_else(value):
    with pytest.raises(ValueError):
        parse_reference_date(value)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Bristol City of", "Bristol, City of"),
        ("Bristol", "Bristol, City of"),
        ("St. Helens", "St Helens"),
        ("Bournemouth, Christchurch & Poole", "Bournemouth, Christchurch and Poole"),
        ("Hammersmith & Fulham", "Hammersmith and Fulham"),
        ("Isles Of Scilly", "Isles of Scilly"),
        ("Kingston Upon Hull, City of", "Kingston upon Hull City of"),
        ("Kingston upon Hull", "Kingston upon Hull, City of"),
        ("Herefordshire", "Herefordshire, County of"),
        ("County Durham", "Durham"),
        ("  barnsley ", "BARNSLEY"),
        ("Stockton-on-Tees", "Stockton on Tees"),
    ],
)
def test_normalise_la_name_equivalences(one, other):
    assert normalise_la_name(one) == normalise_la_name(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [("City of London", "London"), ("Dorset (Pre LG)", "Dorset"), ("North Tyneside", "South Tyneside")],
)
def test_normalise_la_name_keeps_different_authorities_apart(one, other):
    assert normalise_la_name(one) != normalise_la_name(other)


# ---------------------------------------------------------------------------
# A dropped-in list updates and extends the bundled one (older vintages included)
# ---------------------------------------------------------------------------


def test_an_older_las_vintage_updates_and_extends_the_bundled_list_at_ingest(tmp_path):
    from pipelines.lib.reference.areas import load_la_lookup
    from pipelines.lib.reference.school_areas import load_area_reference
    from pipelines.lib.sources.school_statistics import parse_period
    from tests.reference_vintages import abolished_in_2009, created_after, las_vintage

    (tmp_path / "las_2022.csv").write_bytes(
        las_vintage(
            "2022-03-31",
            extra_rows=(("E06000099", "Atlantis", "01/04/2021", "", "E12000009", "E06", "", "live", "998"),),
        )
    )
    lookup = load_la_lookup(tmp_path)
    # former LAs the vintage codes 'x' (quarantined there) and LAs created after it stay known; its new LA is added
    assert {"820", "875", "942", "943", "998"} <= lookup.dfe_codes
    assert set(abolished_in_2009()) | set(created_after()) <= lookup.dfe_codes
    reference = load_area_reference(tmp_path)
    assert reference.exists_in("820", parse_period("200708", "Academic year").period)
    assert reference.exists_in("998", parse_period("202122", "Academic year").period)
    barnsley_2009 = next(r for r in reference.las if r.ons_code == "E08000016")
    assert barnsley_2009.end is None  # the vintage (Barnsley still live in 2022) replaced the bundled row
    assert "E08000038" in reference.ons_to_dfe  # ... and the bundled newer code stays


def test_the_newest_of_several_dropped_in_lists_wins(tmp_path):
    from pipelines.lib.reference.school_areas import load_area_reference
    from tests.reference_vintages import las_vintage

    (tmp_path / "a_current.csv").write_bytes(las_vintage("2026-01-01"))
    (tmp_path / "b_older.csv").write_bytes(las_vintage("2022-03-31"))
    barnsley_2009 = next(r for r in load_area_reference(tmp_path).las if r.ons_code == "E08000016")
    assert barnsley_2009.end is not None  # the 2026 list (Barnsley's old code ended 2025) is the newest
