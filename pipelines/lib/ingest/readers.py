"""Read landing-folder files into rows of text, whatever their format.

A file is recognised by its content, never by its name: a CSV saved as ``.xlsx``
or a workbook saved as ``.csv`` is read as what it is. Every reader returns
:class:`Sheet` objects whose cells are ``str`` (spreadsheet dates become ISO
``yyyy-mm-dd`` text, whole numbers lose their ``.0``) or ``None`` for a blank.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

csv.field_size_limit(256 * 1024 * 1024)


class UnreadableFile(Exception):
    """The file cannot be read as a table at all (binary, corrupt, empty)."""


@dataclass
class Sheet:
    """One table of a file: a CSV file, or one sheet of a workbook."""

    name: str
    rows: list[list[str | None]] = field(default_factory=list)


def sniff_format(data: bytes) -> str:
    """Tell a file's format from its first bytes: ``xlsx``, ``ods``, ``xml``, ``csv`` or ``binary``."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
                if "mimetype" in names and b"opendocument.spreadsheet" in zf.read("mimetype"):
                    return "ods"
                if "xl/workbook.xml" in names:
                    return "xlsx"
        except zipfile.BadZipFile:
            return "damaged_zip"
        return "binary"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    head = data[:4096].lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<?xml") or head.startswith(b"<"):
        return "xml"
    if b"\x00" in data[:8192]:
        return "binary"
    return "csv"


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8 (with or without BOM), else Windows-1252. Returns (text, encoding)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    return value if value.strip() != "" else None


def read_csv_text(text: str, name: str = "csv") -> Sheet:
    """Parse CSV text (any line endings, quoted fields with commas or newlines) into a Sheet."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = [[c if c.strip() else None for c in row] for row in reader]  # _blank_to_none: the reader gives str
    return Sheet(name=name, rows=rows)


def cell_to_text(value: object) -> str | None:
    """Turn a spreadsheet cell into text: dates as ISO, integral floats without ``.0``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return _blank_to_none(str(value))


def read_workbook(path: Path) -> list[Sheet]:
    """Read every sheet of an .xlsx or .ods workbook with python-calamine."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        sheets = []
        for sheet_name in wb.sheet_names:
            raw = wb.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
            sheets.append(Sheet(sheet_name, [[cell_to_text(c) for c in row] for row in raw]))
        return sheets
    except Exception as exc:  # calamine raises several private error types
        raise UnreadableFile(f"the workbook cannot be opened ({exc})") from exc


def read_tables(path: Path) -> tuple[str, list[Sheet]]:
    """Read a landing file into sheets. Returns (format, sheets); raises UnreadableFile."""
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile("the file is empty")
    fmt = sniff_format(data)
    if fmt in ("xlsx", "ods"):
        return fmt, read_workbook(path)
    if fmt == "csv":
        text, _encoding = decode_text(data)
        return fmt, [read_csv_text(text, name=path.stem)]
    if fmt == "damaged_zip":
        raise UnreadableFile(
            "the workbook cannot be opened: it is damaged or was cut short (save or download it again)"
        )
    if fmt == "xls":
        raise UnreadableFile("old binary Excel (.xls) is not accepted: save it as .xlsx or CSV")
    if fmt == "xml":
        raise UnreadableFile("an XML file is not a table this source accepts")
    raise UnreadableFile("the file is binary data, not CSV, XLSX or ODS")


def normalise_header(value: str | None) -> str:
    """Header cell as a comparable key: BOM and outer spaces removed, lower case, single spaces."""
    if value is None:
        return ""
    return " ".join(value.replace("\ufeff", "").replace("\xa0", " ").split()).lower()


def find_header_row(rows: list[list[str | None]], required: set[str], max_scan: int = 30) -> int | None:
    """Index of the first row (within ``max_scan``) that holds every ``required`` normalised header."""
    for i, row in enumerate(rows[:max_scan]):
        names = {normalise_header(c) for c in row}
        if required <= names:
            return i
    return None
