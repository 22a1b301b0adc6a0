"""CSV files landed in DuckDB as text, by DuckDB's own reader: many files in one ``read_csv`` call.

Every source that takes CSV lands its files here first, in one shape (``LANDED_COLUMNS``): a row per line
of a file, with the file's path, ``_sheet`` (NULL: a CSV file has no sheets; a workbook's sheets land in the
same shape with their names), the line number (1-based, header and blank lines counted, as a person counts
them in the file) and the line's fields as a list of text (a blank field may be ``''`` or NULL:
:func:`columns_sql` gives NULL for both, as :mod:`pipelines.lib.ingest.readers` does). Each source then finds its
header rows and maps fields to its declared columns in SQL (:func:`header_rows`,
:func:`columns_sql`), and applies its row rules in SQL.

DuckDB reads each line whole (one declared column, no quoting), and the fields are split in SQL: a line
without a quote by ``string_split``; a line with quotes by a regular expression that keeps quoted commas and
unescapes doubled quotes. Reading lines rather than letting DuckDB split fields keeps every line, including
blank lines and rows with too many or too few fields (so that row numbers stay those of the file, and a rule
can say "row 7 has 14 fields, the header 12"), which DuckDB's own field splitting would drop or refuse.

Files DuckDB cannot read as UTF-8 lines (Windows-1252 or UTF-16 text, a NUL byte, a quoted field spanning
lines, a line longer than DuckDB's limit, line ends of more than one kind) are read by the project's Python CSV
reader instead and land in the same table in the same shape. Which files those are is told from their bytes
beforehand, and then by a trial read on a cursor of its own (:func:`refused_by_duckdb`, for what the bytes do
not show), never by letting the landing's own ``read_csv`` fail: a load is one transaction, and a failed
statement would abort it. The caller never sees the difference, and :class:`Landing` says which files were
read which way and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.lib.ingest.readers import decode_text, normalise_header, read_csv_text
from pipelines.lib.sql import quote_identifier as quote_ident  # the one quoting helper, under a short name

LANDED_COLUMNS = ("_file_path", "_sheet", "_row_number", "fields")
UNIT_SEPARATOR = "\x1f"  # the "delimiter" of a line read whole: a control character no CSV export writes
LONGEST_LINE = 1_000_000  # bytes; DuckDB's reader refuses a line over its max_line_size (2 MB by default)
BLANK = " \t\r\n\x0b\x0c\xa0"  # what Python's str.strip() removes from a cell read by the Python reader
_QUOTED_FIELD = '("(?:[^"]|"")*"|[^,]*),'


@dataclass
class Landing:
    """What :func:`land_csv_files` did: files read by DuckDB, files read by Python and why."""

    native: list[str] = field(default_factory=list)
    python: dict[str, str] = field(default_factory=dict)  # file path -> why DuckDB's reader was not used


def create_landing_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """An empty temporary landing table ``table`` (replacing one of that name)."""
    con.execute(
        f"create or replace temp table {quote_ident(table)} (_file_path varchar, _sheet varchar, "
        "_row_number bigint, fields varchar[])"
    )


def _fields_sql(line: str) -> str:
    """SQL splitting the text ``line`` (an expression) into its CSV fields, as written (a blank field is ``''``:
    :func:`columns_sql` makes it NULL, once per declared column rather than once per field)."""
    return (
        f"case when {line} is null then []::varchar[] when strpos({line}, '\"') = 0 then string_split({line}, ',') "
        f"else list_transform(regexp_extract_all({line} || ',', '{_QUOTED_FIELD}', 1), f -> case when f like "
        "'\"%\"' and length(f) > 1 then replace(f[2:-2], '\"\"', '\"') else f end) end"
    )


def _read_lines_sql(count: int) -> str:
    placeholders = ", ".join("?" for _ in range(count))
    return (
        f"select filename as _file_path, ordinality as _ordinal, line from read_csv([{placeholders}], "
        f"columns = {{'line': 'varchar'}}, header = false, delim = '{UNIT_SEPARATOR}', quote = '', "
        "escape = '', auto_detect = false, filename = true, strict_mode = true) with ordinality"
    )


def _land_native(con, files: Sequence[Path], table: str) -> list[str]:
    """One ``read_csv`` over ``files`` into ``table``; raises duckdb.Error when any file cannot be read. Returns
    the files with a line of an odd number of quotes (a quoted field that goes on to the next line): well-formed
    CSV has an even number on every line, so these are left for the Python reader."""
    con.execute(f"create or replace temp table _csw_lines as {_read_lines_sql(len(files))}", [str(p) for p in files])
    try:
        numbered = "select *, _ordinal - min(_ordinal) over (partition by _file_path) + 1 as _row from _csw_lines"
        con.execute(
            f"insert into {quote_ident(table)} select _file_path, null, _row, {_fields_sql('line')} from ({numbered})"
        )
        spanning = con.execute(
            "select distinct _file_path from _csw_lines where strpos(line, '\"') > 0 "
            "and (length(line) - length(replace(line, '\"', ''))) % 2 = 1"
        ).fetchall()
    finally:
        con.execute("drop table if exists _csw_lines")
    return sorted(r[0] for r in spanning)


def land_rows(con, table: str, path: Path, sheet: str | None, rows: list[list[str | None]]) -> None:
    """Rows read by a Python reader (a CSV file it decoded, or one sheet of a workbook) landed in the same shape
    (through a pandas frame: DuckDB reads it without a Python loop)."""
    if not rows:
        return
    batch = pd.DataFrame(
        {
            "_file_path": str(path),
            "_sheet": sheet,
            "_row_number": range(1, len(rows) + 1),
            "fields": pd.Series(rows, dtype="object"),
        }
    )
    con.register("_csw_batch", batch)
    try:
        con.execute(
            f"insert into {quote_ident(table)} select _file_path, _sheet, _row_number, "
            "fields::varchar[] from _csw_batch"
        )  # blank fields are NULL here, '' when DuckDB read them
    finally:
        con.unregister("_csw_batch")


def land_python(con, path: Path, table: str, text: str | None = None) -> None:
    """One CSV file read by the Python CSV reader (any encoding it knows, quoted fields over lines)."""
    if text is None:
        text, _encoding = decode_text(path.read_bytes())
    land_rows(con, table, path, None, read_csv_text(text, name=path.stem).rows)


def land_csv_files(con: duckdb.DuckDBPyConnection, files: Sequence[Path], table: str) -> Landing:
    """Land every line of ``files`` into the temporary table ``table`` (created here): DuckDB's reader for the
    files it can read, in one call; the Python reader for the others (see the module docstring).

    Which files DuckDB can read is decided beforehand, from their bytes, never by trying: a load is one
    transaction, and a ``read_csv`` that fails would abort it."""
    create_landing_table(con, table)
    landing = Landing()
    native = [p for p in files if not _python_only(p, landing)]
    landing.python.update(refused_by_duckdb(con, native))
    native = [p for p in native if str(p) not in landing.python]
    if native:
        for spanning in _land_native(con, native, table):
            con.execute(f"delete from {quote_ident(table)} where _file_path = ?", [spanning])
            landing.python[spanning] = "a quoted field goes on over more than one line"
        landing.native = [str(p) for p in native if str(p) not in landing.python]
    for path in files:
        if str(path) in landing.python:
            land_python(con, path, table)
    return landing


def refused_by_duckdb(con: duckdb.DuckDBPyConnection, files: Sequence[Path]) -> dict[str, str]:
    """File path -> why, for the files DuckDB's line reader refuses although their bytes did not show it. Tried
    on a cursor (a connection of its own, whose failed statement aborts nothing of ``con``'s transaction): the
    files together once, and only when that fails each file on its own, to name the ones refused."""
    if not files:
        return {}
    probe = con.cursor()
    try:
        try:
            probe.execute(f"select count(*) from ({_read_lines_sql(len(files))})", [str(p) for p in files])
            return {}
        except duckdb.Error:
            pass
        refused = {}
        for path in files:
            try:
                probe.execute(f"select count(*) from ({_read_lines_sql(1)})", [str(path)])
            except duckdb.Error as exc:
                refused[str(path)] = f"DuckDB's reader refused it ({str(exc).splitlines()[0]})"
        return refused
    finally:
        probe.close()


def _line_end_kinds(data: bytes) -> int:
    """How many kinds of line end (CRLF, a lone CR, a lone LF) the text uses."""
    crlf = data.count(b"\r\n")
    return sum(n > 0 for n in (crlf, data.count(b"\r") - crlf, data.count(b"\n") - crlf))


def _python_only(path: Path, landing: Landing) -> bool:
    """Files DuckDB's UTF-8 line reader cannot take, told from their bytes: UTF-16 or other non-UTF-8 text, a
    NUL byte, a line longer than DuckDB reads (``LONGEST_LINE``), line ends of more than one kind."""
    data = path.read_bytes()
    why = None
    if b"\x00" in data:
        why = "UTF-16 text" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "a NUL byte in the text"
    elif UNIT_SEPARATOR.encode() in data:
        why = "a unit-separator control character in the text"
    elif len(data) > LONGEST_LINE and max(map(len, data.splitlines())) > LONGEST_LINE:
        why = f"a line longer than {LONGEST_LINE:,} bytes"
    elif _line_end_kinds(data) > 1:
        why = "line ends of more than one kind (CRLF, CR, LF)"
    else:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            why = "not UTF-8 text"
    if why:
        landing.python[str(path)] = why
    return why is not None


def header_rows(
    con: duckdb.DuckDBPyConnection, table: str, required: Iterable[str], max_scan: int = 30
) -> dict[tuple[str, str], tuple[int, list[str]]]:
    """Per (file, sheet) of a landing table: the first row within ``max_scan`` whose normalised fields hold
    every ``required`` name, with its normalised names (see :func:`readers.normalise_header`). A file with no
    such row is not in the result."""
    wanted = sorted({normalise_header(n) for n in required})
    con.execute(
        f"create or replace temp table _csw_top as select * from {quote_ident(table)} where _row_number <= ?",
        [max_scan],
    )  # first: DuckDB would otherwise normalise every row of the table before filtering
    try:
        rows = con.execute(
            """select _file_path, _sheet, arg_min(_row_number, _row_number), arg_min(names, _row_number) from (
                select _file_path, _sheet, _row_number, list_transform(fields, f -> lower(trim(regexp_replace(
                    replace(replace(coalesce(f, ''), '\ufeff', ''), '\xa0', ' '), '\\s+', ' ', 'g')))) as names
                from _csw_top)
            where list_has_all(names, ?::varchar[]) group by all""",
            [wanted],
        ).fetchall()
    finally:
        con.execute("drop table if exists _csw_top")
    return {(file, sheet): (row, names) for file, sheet, row, names in rows}


def blank_to_null(expression: str) -> str:
    """SQL: the text ``expression``, NULL when it is empty or only white space (as Python's ``str.strip`` sees it)."""
    return f"case when trim({expression}, '{BLANK}') = '' then null else {expression} end"


def columns_sql(table: str, positions: str, columns: Sequence[str]) -> str:
    """SQL selecting, from landing table ``table`` joined to the table ``positions`` (one row per file and
    sheet: ``_file_path``, ``_sheet``, ``_header_row`` and, per declared column, the 1-based position of its
    field in that file, NULL when the file has no such column), the data rows below each header with the
    declared ``columns`` as text, plus ``_file_path``, ``_sheet``, ``_row_number`` and ``_field_count``."""
    picked = ", ".join(f"{blank_to_null(f'l.fields[p.{quote_ident(c)}]')} as {quote_ident(c)}" for c in columns)
    return (
        f"select l._file_path, l._sheet, l._row_number, len(l.fields) as _field_count, {picked} "
        f"from {quote_ident(table)} l join {quote_ident(positions)} p on l._file_path = p._file_path "
        "and l._sheet is not distinct from p._sheet where l._row_number > p._header_row"
    )
