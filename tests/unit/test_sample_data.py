"""The generated sample Ofsted files follow the official layout and match what is committed in raw/."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from pipelines.sample_data.ofsted import (
    AS_AT_SHEET,
    HISTORY_SHEET,
    IN_YEAR_SHEET,
    LEGACY_NAME,
    WORKBOOK_NAME,
    write_ofsted_samples,
)
from tests.conftest import fixture_path

REPO = Path(__file__).resolve().parents[2]
OFFICIAL_WORKBOOK = ("ofsted", "LA_Inspection_Outcomes_as_at_31_March_2025.ods")
DATA_SHEETS = [AS_AT_SHEET, IN_YEAR_SHEET, HISTORY_SHEET]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    raw_dir = tmp_path_factory.mktemp("raw")
    write_ofsted_samples(raw_dir)
    return raw_dir / "ofsted"


def sheet(path: Path, name: str) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def table(path: Path, name: str) -> list[dict]:
    rows = sheet(path, name)
    return [dict(zip(rows[2], row)) for row in rows[3:]]


def as_date(value):
    return value.date() if isinstance(value, dt.datetime) else value


@pytest.mark.fixtures
def test_layout_matches_official_workbook(generated):
    official = CalamineWorkbook.from_path(str(fixture_path(*OFFICIAL_WORKBOOK)))
    sample = CalamineWorkbook.from_path(str(generated / WORKBOOK_NAME))
    assert sample.sheet_names == official.sheet_names
    for name in DATA_SHEETS:
        assert sheet(generated / WORKBOOK_NAME, name)[2] == official.get_sheet_by_name(name).to_python()[2]


def test_as_at_sheet_has_one_row_per_la(generated):
    codes = [row["Local authority area code"] for row in table(generated / WORKBOOK_NAME, AS_AT_SHEET)]
    assert len(codes) == len(set(codes)) == 153


def test_wiltshire_latest_inspection(generated):
    rows = table(generated / WORKBOOK_NAME, AS_AT_SHEET)
    wiltshire = next(row for row in rows if row["Local authority area code"] == "E06000054")
    assert wiltshire["Local authority name"] == "Wiltshire"
    assert wiltshire["Overall effectiveness"] == "Outstanding"
    assert as_date(wiltshire["Publication date"]) == dt.date(2023, 12, 12)


def test_dates_are_date_cells(generated):
    wb = openpyxl.load_workbook(generated / WORKBOOK_NAME)
    for name in DATA_SHEETS:
        ws = wb[name]
        date_columns = [
            i for i, h in enumerate(next(ws.iter_rows(min_row=3, max_row=3, values_only=True))) if "date" in h.lower()
        ]
        assert len(date_columns) == 2
        for row in ws.iter_rows(min_row=4):
            for i in date_columns:
                assert row[i].is_date and row[i].number_format == "dd/mm/yyyy", (name, row[i].coordinate)


def test_care_leavers_blank_before_2023_and_visits_ungraded(generated):
    for row in table(generated / WORKBOOK_NAME, HISTORY_SHEET):
        judged = row["The experiences and progress of care leavers"] != ""
        assert judged == (as_date(row["Inspection date"]) >= dt.date(2023, 1, 1))
    for row in table(generated / WORKBOOK_NAME, IN_YEAR_SHEET):
        assert (row["Visit Theme"] != "") == (row["Overall effectiveness"] == "")


def test_legacy_judgement_records(generated):
    with (generated / LEGACY_NAME).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {(r["la_code"], r["framework"], r["inspection_start_date"], r["publication_date"]) for r in rows} == {
        ("865", "SLAC", "05/03/2012", "24/04/2012")
    }
    assert [(r["service_area"], r["judgement_area"], r["grade"]) for r in rows] == [
        ("Safeguarding", "Overall effectiveness", "Inadequate"),
        ("Safeguarding", "Capacity for improvement", "Adequate"),
        ("Looked after children", "Overall effectiveness", "Adequate"),
        ("Looked after children", "Capacity for improvement", "Good"),
        ("Looked after children", "Making a positive contribution", "Outstanding"),
        ("Looked after children", "Enjoying and achieving", "Good"),
        ("Looked after children", "Economic well-being", "Good"),
    ]


def test_generation_is_byte_reproducible(generated, tmp_path):
    write_ofsted_samples(tmp_path)
    for name in (WORKBOOK_NAME, LEGACY_NAME):
        assert (tmp_path / "ofsted" / name).read_bytes() == (generated / name).read_bytes()


def test_committed_raw_files_match_fresh_generation(generated):
    committed = REPO / "raw" / "ofsted"
    assert (committed / LEGACY_NAME).read_bytes() == (generated / LEGACY_NAME).read_bytes()
    fresh = CalamineWorkbook.from_path(str(generated / WORKBOOK_NAME))
    stored = CalamineWorkbook.from_path(str(committed / WORKBOOK_NAME))
    assert stored.sheet_names == fresh.sheet_names
    for name in fresh.sheet_names:
        assert stored.get_sheet_by_name(name).to_python() == fresh.get_sheet_by_name(name).to_python(), name
