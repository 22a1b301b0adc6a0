"""Ofsted's statistics in every layout: recognised by their header cells, LAs by code or by name.

Each layout the contract lists is generated here (sheet renamed, header moved down, names without codes,
two tables on one sheet, a wide history sheet, cover and notes sheets first), and every Ofsted file of the
public fixtures is read in place (skipped where ../shared is absent).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import Workbook

from pipelines.lib.ingest.load import FileRejected
from pipelines.lib.ingest.readers import normalise_header
from pipelines.lib.reference.school_areas import load_area_reference
from pipelines.lib.sources.ofsted import parse_ofsted_file
from pipelines.lib.sources.ofsted_history import history_groups
from tests.conftest import fixture_path

TODAY = dt.date(2026, 1, 1)
ILACS = (
    "Overall effectiveness",
    "The impact of leaders on social work practice with children and families",
    "The experiences and progress of children who need help and protection",
    "The experiences and progress of children in care",
    "The experiences and progress of care leavers",
)
GOOD4 = ["Good", "Good", "Good", "Good", None]


@pytest.fixture(scope="module")
def areas():
    return load_area_reference(None)  # the bundled reference lists


def _workbook(path: Path, sheets: list[tuple[str, list[list]]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets:
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


COVER = ("Cover", [["Local authority inspection outcomes as at 31 March 2024"], ["Published", "14 May 2024"]])
NOTES = ("Notes", [["Notes"], ["1", "LAs are named, not coded."]])
AS_AT_2024 = ["Web link", "Local authority name", "Ofsted region", "Inspection date", "Publication date", *ILACS]


def _as_at_rows(title_rows: int = 2) -> list[list]:
    titles = [["Local authority inspection outcomes as at 31 March 2024"], ["This worksheet contains one table."]]
    titles += [[None]] * (title_rows - 2)
    return [
        *titles,
        AS_AT_2024,
        [
            "Ofsted Local Authority Webpage",
            "Bristol",
            "South West",
            dt.datetime(2023, 3, 6),
            "05/05/2023",
            "Good",
            "Good",
            "Good",
            "Good",
            "Good",
        ],
        [
            "Ofsted Local Authority Webpage",
            "Durham",
            "North East, Yorkshire and the Humber",
            "10/10/2022",
            "12/12/2022",
            "Requires improvement to be good",
            "Good",
            "Good",
            "Good",
            None,
        ],
        [
            "Ofsted Local Authority Webpage",
            "Kingston upon Hull",
            "North East, Yorkshire and the Humber",
            "14/11/2022",
            "20/01/2023",
            "Requires improvement to be good",
            *["Requires improvement to be good"] * 3,
            None,
        ],
        ["Ofsted Local Authority Webpage", "St Helens", "North West", "01/02/2021", "01/04/2021", *GOOD4],
        [
            "Ofsted Local Authority Webpage",
            "Herefordshire",
            "West Midlands",
            "01/06/2022",
            "01/08/2022",
            *["Inadequate"] * 4,
            None,
        ],
        [
            "Ofsted Local Authority Webpage",
            "Bournemouth, Christchurch & Poole",
            "South West",
            "06/12/2021",
            "11/02/2022",
            *["Inadequate"] * 4,
            None,
        ],
    ]


WIDE_ILACS = [
    "Local authority name",
    "Local authority status",
    "Ofsted region",
    "First ILACS inspection date",
    "First ILACS publication date",
    "First ILACS inspection type",
    *(f"First ILACS {j}" for j in ILACS[:4]),
    "Latest ILACS inspection date",
    "Latest ILACS publication date",
    "Latest ILACS inspection type",
    *(f"Latest ILACS {j}" for j in ILACS),
]


def _wide_ilacs_rows() -> list[list]:
    return [
        ["ILACS inspection history 2018-2024"],
        [None],
        WIDE_ILACS,
        [
            "Wiltshire",
            "Current",
            "South West",
            "03/06/2019",
            "22/07/2019",
            "ILACS Standard Inspection",
            *GOOD4[:4],
            "25/09/2023",
            "12/12/2023",
            "ILACS Short Inspection",
            "Outstanding",
            "Outstanding",
            "Good",
            "Outstanding",
            "Outstanding",
        ],
        [
            "Northamptonshire",
            "No longer exists",
            "East Midlands",
            "17/06/2019",
            "29/07/2019",
            "ILACS Standard Inspection",
            "Inadequate",
            "Requires improvement to be good",
            "Inadequate",
            "Inadequate",
            *[None] * 8,
        ],
    ]


def _tables(tables):
    return {(t.sheet, t.table_name): t for t in tables}


def _codes(table) -> Counter:
    return Counter(r["la_code"] for r in table.rows)


def test_2024_layout_names_without_codes_and_a_wide_ilacs_history(tmp_path, areas):
    path = _workbook(
        tmp_path / "outcomes_2024.xlsx",
        [
            COVER,
            ("Contents", [["Contents"], ["Sheet", "What"]]),
            NOTES,
            ("Inspections_31_March_2024", _as_at_rows()),
            ("ILACS_inspection_history", _wide_ilacs_rows()),
        ],
    )
    tables = _tables(parse_ofsted_file(path, areas, TODAY))
    as_at = tables[("Inspections_31_March_2024", "ofsted_workbook_rows")]
    assert as_at.rejections == []
    assert [r["la_code"] for r in as_at.rows] == ["801", "840", "810", "342", "884", "839"]
    assert as_at.rows[0]["inspection_date"] == "2023-03-06" and as_at.rows[0]["publication_date"] == "2023-05-05"
    history = tables[("ILACS_inspection_history", "ofsted_history_judgements")]
    assert history.rejections == [] and history.rows_read == 2
    wiltshire = [
        (r["inspection_date"], r["publication_date"], r["inspection_type"], r["judgement_area"], r["grade"])
        for r in history.rows
        if r["la_code"] == "865"
    ]
    assert ("2019-06-03", "2019-07-22", "ILACS Standard Inspection", "Overall effectiveness", "Good") in wiltshire
    assert ("2023-09-25", "2023-12-12", "ILACS Short Inspection", ILACS[4], "Outstanding") in wiltshire
    assert len(wiltshire) == 9
    # A former LA named without a code is the LA that existed at the inspection.
    assert _codes(history)["928"] == 4


def test_sheet_renamed_and_header_moved_down(tmp_path, areas):
    path = _workbook(tmp_path / "renamed.xlsx", [COVER, ("LA outcomes (latest)", _as_at_rows(title_rows=6))])
    (table,) = parse_ofsted_file(path, areas, TODAY)
    assert table.rejections == [] and len(table.rows) == 6
    assert table.rows[0]["_row_number"] == 8  # header on row 7 after title and blank rows


def test_two_tables_on_one_sheet(tmp_path, areas):
    rows = _as_at_rows()
    rows += [
        [None],
        [None],
        ["Table 2: local authorities that no longer exist"],
        AS_AT_2024,
        [
            "Ofsted Local Authority Webpage",
            "Bournemouth",
            "South West",
            "16/07/2018",
            "24/08/2018",
            "Requires improvement to be good",
            "Inadequate",
            "Requires improvement to be good",
            "Requires improvement to be good",
            None,
        ],
        ["Ofsted Local Authority Webpage", "Dorset", "South West", "01/10/2018", "20/11/2018", *GOOD4],
    ]
    path = _workbook(tmp_path / "two_tables.xlsx", [("Inspections", rows)])
    first, second = parse_ofsted_file(path, areas, TODAY)
    assert first.rows_read == 6 and second.rows_read == 2  # the caption and blank rows are not data
    assert [r["la_code"] for r in second.rows] == ["837", "835"]  # the LAs of 2018, not their successors
    assert [r["_row_number"] for r in second.rows] == [14, 15]


UNDERLYING_HEADER = [
    "Web link",
    "Local authority name",
    "LA region",
    "LA Authority Type",
    "Safeguarding & Looked After Children (SLAC) Inspection publication date",
    "SLAC Safeguarding Overall effectiveness (OE)",
    "SLAC Looked After Children Overall Effectiveness (OE)",
    "SLAC re-inspection of Safeguarding publication date",
    "SLAC re-inspection Safeguarding OE",
    "Child Protection Inspections (CPI) publication date",
    "CPI Overall Effectiveness (OE)",
    "Single Inspection of LA Children's Services (SIF)  First SIF publication date",
    " First SIF Overall Judgement\n(OE)",
    " First SIF children looked after and achieving permanence ",
    "LSCB Overall Effectiveness ",
    "First ILACS framework inspection type",
    "First ILACS framework publication date",
    "First ILACS framework overall effectiveness",
    "First ILACS framework experiences and progress of children in care and care leavers",
]


def _underlying_rows() -> list[list]:
    web = "Ofsted Local Authority Webpage"
    return [
        ["Children's social care data in England 20XX - LA inspections 2009-20XX"],
        ["Two tables."],
        [None],
        ["Table 10: LA inspections 2009-2023"],
        UNDERLYING_HEADER,
        [
            web,
            "Wiltshire",
            "South West",
            "Unitary",
            "24/04/2012",
            "Inadequate",
            "Requires improvement to be good",
            None,
            None,
            "16/08/2013",
            "Requires improvement to be good",
            dt.datetime(2015, 9, 1),
            "Requires improvement to be good",
            " -",
            "Requires improvement to be good",
            "ILACS Standard Inspection",
            "22/07/2019",
            "Good",
            "Good",
        ],
        [
            web,
            "Barnet",
            "London",
            "London Borough",
            "24/02/2012",
            "Good",
            "3",
            "20/11/2012",
            "Brilliant",
            None,
            None,
            "07/07/2017",
            "Inadequate",
            "Inadequate",
            "Inadequate",
            None,
            None,
            None,
            None,
        ],
        [web, "North Northamptonshire", None, "Unitary", *[None] * 15],
        [web, "Nowhere upon Sea", "South West", "Unitary", "01/01/2011", "Good", "Good", *[None] * 12],
        [None],
        [None],
        ["Table 11: History of inspections of local authorities that existed before the restructure"],
        UNDERLYING_HEADER,
        [
            web,
            "Poole",
            "South West",
            "Unitary",
            "16/12/2011",
            "Good",
            "Good",
            None,
            None,
            None,
            None,
            "24/11/2017",
            "Requires improvement to be good",
            "Good",
            "Good",
            None,
            None,
            None,
            None,
        ],
    ]


def test_wide_history_of_every_framework(tmp_path, areas):
    path = _workbook(tmp_path / "underlying.xlsx", [COVER, NOTES, ("LA inspections since 2009", _underlying_rows())])
    main, former = parse_ofsted_file(path, areas, TODAY)
    judged = {
        (r["framework"], r["inspection_type"], r["service_area"], r["judgement_area"]): (
            r["publication_date"],
            r["grade"],
        )
        for r in main.rows
        if r.get("la_code") == "865"
    }
    assert judged == {
        ("SLAC", "Safeguarding and looked after children inspection", "Safeguarding", "Overall effectiveness"): (
            "2012-04-24",
            "Inadequate",
        ),
        (
            "SLAC",
            "Safeguarding and looked after children inspection",
            "Looked after children",
            "Overall effectiveness",
        ): ("2012-04-24", "Requires improvement to be good"),
        ("CP", "Child protection inspection", "Overall", "Overall effectiveness"): (
            "2013-08-16",
            "Requires improvement to be good",
        ),
        ("SIF", "Single inspection of LA children's services", "Overall", "Overall effectiveness"): (
            "2015-09-01",
            "Requires improvement to be good",
        ),
        ("SIF", "Single inspection of LA children's services", "LSCB", "LSCB overall effectiveness"): (
            "2015-09-01",
            "Requires improvement to be good",
        ),
        ("ILACS", "ILACS Standard Inspection", "Overall", "Overall effectiveness"): ("2019-07-22", "Good"),
        ("ILACS", "ILACS Standard Inspection", "Children in care", ILACS[3]): ("2019-07-22", "Good"),
    }  # the dash under SIF children looked after is no judgement
    barnet = {(r["framework"], r["service_area"]): r["grade"] for r in main.rows if r.get("la_code") == "302"}
    assert barnet[("SLAC", "Looked after children")] == "3"  # a bare grade is kept as published
    assert ("SLAC", "Safeguarding") in barnet
    by_column = {r.column: r for r in main.rejections}
    assert by_column["SLAC re-inspection Safeguarding OE"].value == "Brilliant"
    assert by_column["SLAC re-inspection Safeguarding OE"].row_number == 7
    assert "is not a grade: expected Outstanding" in by_column["SLAC re-inspection Safeguarding OE"].reason
    unknown = by_column["Local authority name"]
    assert unknown.value == "Nowhere upon Sea" and "matches no LA in the reference LA list" in unknown.reason
    # Every row read is loaded or quarantined: North Northamptonshire (no inspection yet) is listed once.
    assert main.rows_read == 4 and main.rows_loaded + main.rows_rejected == 4
    assert next(r for r in main.rows if r["la_name"] == "North Northamptonshire").get("framework") is None
    assert {r["la_code"] for r in former.rows} == {"836"} and {r["table_number"] for r in former.rows} == {"2"}
    assert main.notes == [
        (
            "sheet 'LA inspections since 2009' table 1 (header row 5): wide inspection history "
            "(SLAC, CP, SIF, ILACS), 4 LA rows unpivoted to 12 judgements"
        )
    ]


def test_an_inspection_graded_twice_on_a_sheet_is_quarantined(tmp_path, areas):
    rows = _as_at_rows()
    rows += [[None], AS_AT_2024, rows[3]]  # Bristol again, in a second table
    first, second = parse_ofsted_file(_workbook(tmp_path / "twice.xlsx", [("Inspections", rows)]), areas, TODAY)
    assert first.rejections == [] and second.rows == []
    (rejection,) = second.rejections
    assert (rejection.row_number, rejection.column) == (12, "overall_effectiveness")
    assert rejection.reason == (
        "a second overall judgement for LA 801 inspected 2023-03-06 on this sheet; row 4 is kept"
    )


def test_history_groups_are_found_from_header_words():
    groups = history_groups([normalise_header(c) for c in UNDERLYING_HEADER])
    assert [(g.framework, g.occurrence, len(g.grades)) for g in groups] == [
        ("SLAC", "", 2),
        ("SLAC", "re-inspection of safeguarding", 1),
        ("CP", "", 1),
        ("SIF", "first", 3),
        ("ILACS", "first", 2),
    ]


def test_no_full_inspection_is_a_row_without_a_judgement(tmp_path, areas):
    rows = [
        ["LA level at 31 March 2022"],
        [
            "Web link",
            "Local authority name",
            "Ofsted region",
            "Inspection date",
            "Overall effectiveness",
            "Impact of leaders",
        ],
        [
            "Ofsted Local Authority Webpage",
            "West Northamptonshire",
            "East Midlands",
            "No full inspection",
            "No full inspection",
            "No full inspection",
        ],
        ["Ofsted Local Authority Webpage", "Wiltshire", "South West", "03/06/2019", "Good", "Good"],
    ]
    (table,) = parse_ofsted_file(_workbook(tmp_path / "nfi.xlsx", [("LA_level", rows)]), areas, TODAY)
    assert table.rejections == []
    assert [(r["la_code"], r["inspection_date"], r["overall_effectiveness"], r["remark"]) for r in table.rows] == [
        ("941", None, None, "No full inspection"),
        ("865", "2019-06-03", "Good", None),
    ]
    assert table.rows[1].get("publication_date") is None  # this layout gives only the inspection date
    assert table.notes == ["sheet 'LA_level': 1 LA row(s) say 'No full inspection' (loaded without a judgement)"]


def test_rejection_names_what_was_expected_and_what_was_found(tmp_path, areas):
    path = _workbook(
        tmp_path / "other.xlsx",
        [
            ("Cover", [["Local authority inspection outcomes as at 31 March 2024"]]),
            ("Data", [["Title"], ["urn", "provider", "rating", "date"]]),
        ],
    )
    with pytest.raises(FileRejected) as caught:
        parse_ofsted_file(path, areas, TODAY)
    reason = str(caught.value)
    assert reason.startswith("not an Ofsted file this warehouse reads: expected Ofsted's official statistics")
    assert "found sheet 'Data' with columns urn, provider, rating, date" in reason
    assert "first row found" not in reason and "Cover" not in reason


# --- the real files, read in place -------------------------------------------------------------------------


def _real(*parts):
    return parse_ofsted_file(fixture_path(*parts), load_area_reference(None), TODAY)


@pytest.mark.parametrize(
    "year, main_rows, former", [(2022, 152, {"835", "836", "837"}), (2023, 152, {"835", "836", "837", "928"})]
)
def test_underlying_data_vintages(year, main_rows, former):
    tables = _real("ofsted_vintages", f"Childrens_social_care_in_England_{year}_underlying_data.ods")
    assert all(t.rejections == [] for t in tables)
    history = [t for t in tables if t.table_name == "ofsted_history_judgements"]
    assert [t.rows_read for t in history] == [main_rows, len(former)]
    assert {r["la_code"] for r in history[1].rows} == former
    wiltshire = {
        (r["framework"], r["service_area"], r["judgement_area"]): (r["publication_date"], r["grade"])
        for r in history[0].rows
        if r["la_code"] == "865"
    }
    assert wiltshire[("SLAC", "Safeguarding", "Overall effectiveness")] == ("2012-04-24", "Inadequate")
    assert wiltshire[("SLAC", "Looked after children", "Overall effectiveness")][1] == "Requires improvement to be good"
    assert wiltshire[("CP", "Overall", "Overall effectiveness")][0] == "2013-08-16"
    assert wiltshire[("SIF", "Overall", "Overall effectiveness")][0] == "2015-09-01"
    ilacs = wiltshire[("ILACS", "Overall", "Overall effectiveness")]
    assert ilacs == ({2022: "2019-07-21", 2023: "2019-07-22"}[year], "Good")
    long = [t for t in tables if t.table_name == "ofsted_workbook_rows"]
    assert [t.rows_read for t in long] == {2022: [152, 129], 2023: [152, 111]}[year]
    assert sum(t.rows_read for t in tables) == sum(t.rows_loaded + t.rows_rejected for t in tables)


def test_2025_workbook():
    tables = _real("ofsted", "LA_Inspection_Outcomes_as_at_31_March_2025.ods")
    assert [(t.sheet, len(t.rows), len(t.rejections)) for t in tables] == [
        ("Inspections_as_at_31_March", 153, 0),
        ("In-year_inspections", 112, 0),
        ("ILACS_inspection_history", 271, 0),
    ]


@pytest.mark.parametrize(
    "parts",
    [("ofsted", "ofsted_csc_ilacs_overview.xlsx"), ("ofsted_vintages", "ofsted_childrens_services_overview.csv")],
)
def test_scraper_outputs_are_not_accepted_and_the_reason_says_why(parts):
    with pytest.raises(FileRejected) as caught:
        _real(*parts)
    reason = str(caught.value)
    assert "lacks required column(s)" in reason and "framework" in reason and "columns found: urn" in reason


def test_history_suite_passes_the_rows_the_rules_accept_and_catches_what_they_refuse(tmp_path, areas):
    """Every expectation of the blocking history check is also an ingest rule: the rows of a generated
    underlying-data sheet pass it; rows the rules would have quarantined fail it."""
    import pandas as pd

    from expectations.ofsted import history_suite
    from expectations.runner import validate_frame
    from pipelines.lib.sources.ofsted import HISTORY_TABLE

    path = _workbook(tmp_path / "underlying.xlsx", [("LA inspections", _underlying_rows())])
    rows = [r for t in parse_ofsted_file(path, areas, TODAY) for r in t.rows]
    frame = pd.DataFrame([{c: r.get(c) for c in HISTORY_TABLE.columns} for r in rows])
    known = areas.known_la_codes
    assert [o.name for o in validate_frame(frame, history_suite(known), tmp_path / "gx", "ok") if not o.passed] == []
    broken = frame.copy()
    broken.loc[0, "grade"] = "Brilliant"
    broken.loc[1, "la_code"] = "999"
    broken.loc[2, ["publication_date", "inspection_date"]] = None
    failed = {o.name for o in validate_frame(broken, history_suite(known), tmp_path / "gx", "broken") if not o.passed}
    assert failed == {"grade on Ofsted's four-point scale", "LA code known", "every judgement dated"}
