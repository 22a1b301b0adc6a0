"""The benchmarks workbook: text that a spreadsheet could read as a formula is written as inert text."""

import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from pipelines.lib.outputs.excel_export import neutralise, write_workbook

RISKY = ['=HYPERLINK("http://example.invalid","x")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tcmd", "\r=1"]


@pytest.mark.parametrize("text", RISKY)
def test_text_starting_like_a_formula_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Wiltshire", "team=North locality", "2012-04", "a=b", "", 12.5, -3, None])
def test_other_values_are_unchanged(value):
    assert neutralise(value) == value


def test_no_cell_of_the_workbook_is_a_formula(tmp_path):
    path = tmp_path / "b.xlsx"
    rows = [
        {"indicator_code": code, "title": title, "breakdown": "team=" + title, "value": v, "rank": -1}
        for code, title, v in zip(["a", "b", "c", "d", "e", "f"], RISKY, [1.5, -2.0, None, 0, 3, 4])
    ]
    catalogue = [{"indicator_code": "a", "title": "=1+2", "source": "@evil", "definition": "-x"}]
    assert write_workbook(path, rows, catalogue, [("Note", "=cmd|' /C calc'!A0")]) == len(rows)
    book = load_workbook(path)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for risky in [*RISKY, "=1+2", "@evil", "-x", "=cmd|' /C calc'!A0"]:
        risky = risky.replace("\r", "\n")  # XML reads a carriage return back as a line feed
        assert risky not in texts and "'" + risky in texts
    numbers = [c.value for c in book["Benchmarks"]["F"][1:]]
    assert numbers == [1.5, -2.0, None, 0, 3, 4]
    with zipfile.ZipFile(path) as archive:
        xml = "".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xml"))
    assert "<f>" not in xml and "<f " not in xml


def test_a_control_character_from_a_damaged_file_never_stops_the_workbook(tmp_path):
    assert neutralise("time_identifier=Academi\x03c year") == "time_identifier=Academi\ufffdc year"
    book = Workbook()
    book.active.append([neutralise("a\x00b"), neutralise("=\x1f")])
    book.save(tmp_path / "x.xlsx")  # openpyxl refuses control characters: neutralised, they save
