"""The benchmarks as an Excel workbook, for colleagues who work in Excel.

Text that Excel (or LibreOffice) could read as a formula when a cell is edited or the sheet is saved as
CSV - anything starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return - is written with a
leading apostrophe, as text, so a file name or a team name can never run as a formula. Numbers stay numbers.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
BENCHMARK_COLUMNS = [
    ("indicator_code", "Indicator code"),
    ("title", "Indicator"),
    ("period_label", "Period"),
    ("time_period", "Time period"),
    ("breakdown", "Breakdown"),
    ("value", "Value"),
    ("status_symbol", "Status"),
    ("unit", "Unit"),
    ("polarity", "Polarity"),
    ("england_value", "England"),
    ("region_value", "Region"),
    ("sn_mean", "Neighbours mean"),
    ("sn_median", "Neighbours median"),
    ("sn_count", "Neighbours with a value"),
    ("sn_model", "Neighbour model"),
    ("rank", "Rank"),
    ("rank_of", "Rank of"),
    ("quartile_band", "Quartile band"),
    ("threshold", "Threshold"),
    ("rag", "RAG"),
]
CATALOGUE_COLUMNS = ["indicator_code", "title", "domain", "unit", "polarity", "definition", "source"]


def neutralise(value: Any) -> Any:
    """A cell value that cannot be taken for a formula: risky text gets a leading apostrophe; a control character
    a worksheet cannot hold (from a damaged file that loaded) is shown as U+FFFD instead of stopping the export."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cells(sheet, row: Iterable[Any]) -> list:
    """A row's values as written: neutralised, and text that would be read as an error value (``#N/A``) a
    cell typed as text."""
    out = []
    for value in row:
        value = neutralise(value)
        if isinstance(value, str) and value in ERROR_CODES:
            value = WriteOnlyCell(sheet, value)
            value.data_type = "s"
        out.append(value)
    return out


def _write_sheet(
    book: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], widths: dict | None = None
) -> int:
    """One sheet streamed to the file (openpyxl's write-only mode: no cell objects held, about half the time
    for a national warehouse's 8,000 benchmark rows): a bold, shaded header frozen above the rows and a filter
    over them; text stays text. Widths and panes are set before the rows (a streamed sheet writes them first)."""
    sheet = book.create_sheet(title)
    for i, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(60, max(10, len(str(name)) + 2))
    for letter, width in (widths or {}).items():
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    head = []
    for name in header:
        cell = WriteOnlyCell(sheet, neutralise(name))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        head.append(cell)
    sheet.append(head)
    count = 0
    for row in rows:
        sheet.append(_cells(sheet, row))
        count += 1
    if count:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"
    return count


def write_workbook(
    path: Path, benchmarks: Sequence[dict], catalogue: Sequence[dict], about: Sequence[tuple[str, str]]
) -> int:
    """Write the workbook (Benchmarks, Indicators, About sheets) atomically; returns the benchmark rows."""
    book = Workbook(write_only=True)
    rows = _write_sheet(
        book,
        "Benchmarks",
        [label for _, label in BENCHMARK_COLUMNS],
        ([r.get(key) for key, _ in BENCHMARK_COLUMNS] for r in benchmarks),
        widths={"B": 50},
    )
    _write_sheet(book, "Indicators", CATALOGUE_COLUMNS, ([r.get(k) for k in CATALOGUE_COLUMNS] for r in catalogue))
    _write_sheet(book, "About", ["", ""], about)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    book.save(tmp)
    os.replace(tmp, path)
    return rows


def export_benchmarks(
    work_db: Path, home_la: str, out_dir: Path, refreshed: dt.datetime | None = None
) -> tuple[Path, int]:
    """The home LA's published benchmarks (every indicator, period and breakdown) as an XLSX workbook."""
    refreshed = refreshed or dt.datetime.now()
    con = duckdb.connect(str(work_db), read_only=True)
    try:

        def rows(sql: str, params: list) -> list[dict]:
            cursor = con.execute(sql, params)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, r)) for r in cursor.fetchall()]

        benchmarks = rows(
            "select * from marts.published_indicator_benchmarks where la_code = ? "
            "order by indicator_code, time_period, breakdown",
            [home_la],
        )
        catalogue = rows("select * from marts.indicator_catalogue order by domain, indicator_code", [])
        names = rows("select la_name from marts.dim_local_authority where la_code = ?", [home_la])
    finally:
        con.close()
    la_name = names[0]["la_name"] if names else home_la
    about = [
        ("Local authority", f"{la_name} ({home_la})"),
        ("Refreshed", f"{refreshed:%d %B %Y %H:%M}"),
        (
            "Source",
            "marts.published_indicator_benchmarks of the children's services warehouse: published "
            "figures after statistical disclosure control ('c' = suppressed).",
        ),
        (
            "Benchmarks",
            "England and region: the published rows of the same indicator, period and breakdown. "
            "Neighbours: mean and median of the DfE statistical neighbours with a value (2021 model for "
            "periods before 2025, 2025 model from 2025). Rank: 1 = best by polarity, ties share the "
            "lower rank, of all LAs with a value. Quartile band: A best quarter .. D worst, "
            "ceil(4 x rank / rank of), none with fewer than 4 LAs. RAG: green meets the threshold, "
            "red does not.",
        ),
    ]
    path = out_dir / f"benchmarks_{home_la}.xlsx"
    count = write_workbook(path, benchmarks, catalogue, about)
    return path, count
