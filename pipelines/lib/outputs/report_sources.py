"""Sources of the committee report's figures, named by publication and date from what was loaded.

A figure in the marts carries its ``source_file``: the landing file it came from (a ``quality.load_log`` row
says when it was loaded and its SHA-256), or, for figures the warehouse computes, a description such as
``SSDA903 returns of 865, 2011 to 2013``. A source line names each publication once:

- a spreadsheet (.xlsx, .ods) by its own title, as the publisher wrote it in the document properties (read
  from the file when it is still the file that was loaded), else by its file name; prefixed with the
  publisher named in the indicator catalogue's ``source`` ("Publisher, publication");
- any other file (a CSV has no title) by the catalogue's ``source`` (its first publication where it names
  several, separated by "; "), with the periods its figures cover;
- a computed figure by its description, the years of all its parts joined ("2008-09 to 2023-24").

Never by folder or table name.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.lib.ingest.load import sha256_file
from pipelines.lib.sources.ssda903 import season

SPREADSHEETS = {".xlsx": "docProps/core.xml", ".xlsm": "docProps/core.xml", ".ods": "meta.xml"}
TITLE = re.compile(r"<dc:title>([^<]*)</dc:title>")
COMPUTED = re.compile(r"^(?P<name>.+?), (?P<first>\d{4}) to (?P<last>\d{4})$")


@dataclass(frozen=True)
class LoadedFile:
    path: str
    source: str
    sha256: str | None
    loaded_at: dt.datetime | None


def loaded_files(con: duckdb.DuckDBPyConnection) -> dict[str, LoadedFile]:
    """Each file's latest load (quality.load_log); empty where the warehouse has no load log."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'quality' and table_name = 'load_log'"
    ).fetchone()[0]
    if not exists:
        return {}
    rows = con.execute("""
        select file_path, source, sha256, loaded_at from quality.load_log
        where status in ('loaded', 'unchanged')
        qualify row_number() over (partition by file_path order by loaded_at desc) = 1""").fetchall()
    return {path: LoadedFile(path, source, sha, at) for path, source, sha, at in rows}


def spreadsheet_title(loaded: LoadedFile) -> str | None:
    """The workbook's own title (document properties), or its file name; None for other files."""
    path = Path(loaded.path)
    member = SPREADSHEETS.get(path.suffix.lower())
    if member is None:
        return None
    title = None
    try:
        if path.is_file() and (loaded.sha256 is None or sha256_file(path) == loaded.sha256):
            with zipfile.ZipFile(path) as archive:
                found = TITLE.search(archive.read(member).decode("utf-8", "replace"))
                title = found.group(1).strip() if found else None
    except (OSError, KeyError, zipfile.BadZipFile):
        title = None
    return title or path.stem.replace("_", " ")


def publisher(catalogue_source: str) -> str | None:
    """'Ofsted' of 'Ofsted, Local authority inspection outcomes ...' (the catalogue's 'Publisher, title')."""
    head, sep, _ = catalogue_source.partition(",")
    return head.strip() if sep and len(head.split()) <= 3 else None


def _span(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{labels[0]} to {labels[-1]}"


def name_sources(rows: Iterable[dict], catalogue_source: str, files: dict[str, LoadedFile]) -> list[str]:
    """The publications behind the rows (each with ``source_file``, ``time_period`` and ``period_label``)."""
    titled: dict[str, dt.datetime | None] = {}
    untitled: dict[str, dict[int, str]] = {}
    computed: dict[str, list[int]] = {}
    for row in rows:
        source_file = row.get("source_file")
        if not source_file:
            continue
        loaded = files.get(source_file)
        if loaded is None:
            match = COMPUTED.match(source_file)
            if match:
                computed.setdefault(match["name"], []).extend([int(match["first"]), int(match["last"])])
            else:
                computed.setdefault(source_file, [])
            continue
        title = spreadsheet_title(loaded)
        if title:
            prefix = publisher(catalogue_source)
            name = title if not prefix or title.lower().startswith(prefix.lower()) else f"{prefix}, {title}"
            titled[name] = loaded.loaded_at
        else:
            name = catalogue_source.split("; ")[0] or Path(source_file).name
            untitled.setdefault(name, {})[row["time_period"]] = row["period_label"]
    out = [f"{name}{_loaded(at)}" for name, at in titled.items()]
    out += [f"{name}, {_span([periods[k] for k in sorted(periods)])}" for name, periods in untitled.items()]
    out += [
        f"{name}, {season(min(years))} to {season(max(years))}" if years else name for name, years in computed.items()
    ]
    return out


def _loaded(at: dt.datetime | None) -> str:
    return f" (loaded {at:%d %B %Y})" if at else ""
