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


def test_the_streamed_sheets_keep_values_types_header_panes_and_filter(tmp_path):
    """The sheets are streamed (openpyxl's write-only mode): every value comes back as written, text that reads
    like an error value stays text, the header is bold and shaded and frozen, the filter covers the rows."""
    from pipelines.lib.outputs.excel_export import BENCHMARK_COLUMNS

    odd = ["#N/A", "#DIV/0!", "  padded  ", "Ünïcödé – “quotes”", "", None, 0, -7, 2**40, 1 / 3, True, "=1"]
    keys = [key for key, _ in BENCHMARK_COLUMNS]
    rows = [{key: odd[(i + j) % len(odd)] for j, key in enumerate(keys)} for i in range(40)]
    path = tmp_path / "b.xlsx"
    assert write_workbook(path, rows, [{"indicator_code": "#REF!"}], [("Refreshed", "today")]) == 40
    book = load_workbook(path)
    sheet = book["Benchmarks"]
    assert [c.value for c in sheet[1]] == [label for _, label in BENCHMARK_COLUMNS]
    assert all(c.font.bold and c.fill.fgColor.rgb.endswith("DDE6F0") for c in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(keys)).column_letter}41"
    assert sheet.column_dimensions["B"].width == 50
    for i, row in enumerate(sheet.iter_rows(min_row=2)):
        expected = [neutralise(rows[i][key]) for key in keys]
        assert [c.value if c.value != "" else None for c in row] == [v if v != "" else None for v in expected]
        assert not [c.coordinate for c in row if c.data_type == "e"]  # '#N/A' is text, not Excel's error
    assert book["Indicators"]["A2"].value == "#REF!" and book["Indicators"]["A2"].data_type == "s"
    assert [c.value for c in book["About"][2]] == ["Refreshed", "today"]
